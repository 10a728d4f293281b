"""The service: a revenue ledger in a store, and the questions it answers. It is the one place
that runs the expressions core and analysis build; faces call it.

>>> from netretain import Ledger
>>> ledger = Ledger("company.duckdb")
>>> ledger.ingest(invoice_lines="invoice_lines.csv", fx_rates="fx_rates.csv")
>>> ledger.report().ndr
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from netretain.analysis import drill
from netretain.analysis.attributes import By, available
from netretain.analysis.benchmarks import Placement, benchmark
from netretain.analysis.bridge import Bridge, bridge
from netretain.analysis.cohorts import CohortMatrix, cohort_matrix
from netretain.analysis.drill import Behind, behind
from netretain.analysis.explain import Explanation, explain
from netretain.analysis.metrics import MetricsMonth, metrics
from netretain.analysis.segments import SegmentTable, segments, trend
from netretain.core import monthly
from netretain.core.arith import first_day, month_label, parse_month
from netretain.core.monthly import Sources
from netretain.core.query import Query
from netretain.core.report import build_report, month_rows
from netretain.core.results import MonthMovements, Report, Stamped
from netretain.definitions import Definition, default
from netretain.engines import open_store
from netretain.engines.duckdb import DuckDBStore
from netretain.errors import LedgerError, NotFoundError, UnsupportedError, arg
from netretain.incentives.grants import IncentiveGrant
from netretain.ingest import log
from netretain.ledger import build, hooks
from netretain.ledger import check as checking
from netretain.ledger import log as revenue_log
from netretain.ledger import verify as verifying
from netretain.ledger.ingest import IngestResult, Step, ingest
from netretain.ledger.run import run
from netretain.ledger.verify import Verdict
from netretain.predict.results import PlanFit, Prediction
from netretain.store import Store, refused_table
from netretain.store.catalogue import REJECTS
from netretain.transparency.heads import SignedHead

T = TypeVar("T")


def date_month(day: dt.date) -> int:
    """The month index of a date (Python side)."""
    return day.year * 12 + day.month - 1


def ingest_summary(log_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ingest log (one row per file) as one entry per ingest: when, which files, row counts."""
    out: dict[int, dict[str, Any]] = {}
    for row in log_rows:
        entry = out.setdefault(
            row["ingest_id"],
            {"ingest_id": row["ingest_id"], "at": row["at"], "files": [], "accepted": 0,
             "rejected": 0},
        )  # fmt: skip
        entry["files"].append(row["file"])
        entry["accepted"] += int(row["accepted"] or 0)
        entry["rejected"] += int(row["rejected"] or 0)
    return list(out.values())


def current_month() -> int:
    """This calendar month's index: the latest month a question may ask for."""
    return date_month(dt.date.today())


class Ledger:
    """A revenue ledger in a store (by default one DuckDB file) and the questions it answers.

    `Ledger(path)` opens the file for writing (one writer at a time); `read_only=True` shares it
    with other readers. A file that does not exist is created by the first ingest; anything else
    asked of it raises LedgerError. `wait` is how many seconds to wait while another process holds
    the file (default NETRETAIN_WAIT, else 10 for a reader, 600 for a writer). `holder="serve"`
    marks a dashboard server, which other processes do not wait for. Close it (or use `with`) to
    let others write.
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        store: Store | None = None,
        currency: str = "USD",
        on_ingest: Sequence[hooks.IngestHook] = (),
        read_only: bool = False,
        wait: float | None = None,
        holder: str = "",
        key: str | Path | None = None,
    ):
        self.path = str(path)
        self.signer = revenue_log.Signer(
            self.path, key
        )  # signs the log's heads (docs/transparency.md)
        self._wait = wait
        self._holder = holder
        self._store = store
        if store is None and (read_only or self.path == ":memory:" or Path(path).exists()):
            self._store = open_store(
                "duckdb", db=path, read_only=read_only, wait=wait, holder=holder
            )
        meta = build.read_meta(self._store) if self._store is not None else {}
        self.currency = meta.get("currency", currency.upper())
        self.on_ingest: list[hooks.IngestHook] = [
            *hooks.registered(),
            *on_ingest,
            revenue_log.Step(self.signer),
            checking.record_after_ingest,
        ]
        self._sources: Sources | None = None

    @property
    def store(self) -> Store:
        """Where the ledger's tables live; a ledger file not yet created has none."""
        if self._store is None:
            raise LedgerError(f"no ledger at {self.path}: create one with {arg('ingest')}")
        return self._store

    @store.setter
    def store(self, store: Store) -> None:
        self._store = store
        self._sources = None

    def _created(self) -> Store:
        """The store, creating the ledger file on its first ingest."""
        if self._store is None:
            self._store = open_store("duckdb", db=self.path, wait=self._wait, holder=self._holder)
        return self._store

    def close(self) -> None:
        """Let go of the store (for a DuckDB file: other processes may write it now)."""
        if self._store is not None:
            self._store.close()

    def check(self) -> checking.CheckResult:
        """Recompute every table's row count and checksum against those kept at the last ingest."""
        return checking.scan(self.store)

    def rebuild(self) -> checking.CheckResult:
        """Rebuild the derived tables from the input tables (after `check` found one damaged)."""
        result = checking.rebuild(self.store, self.currency)
        self._sources = None
        return result

    # the revenue log (issue 13, ledger/log.py) ---------------------------------------------------
    def log_heads(self) -> list[SignedHead]:
        """Every signed tree head, oldest first: one per ingest that added leaves."""
        return revenue_log.heads(self.store)

    def log_head(self) -> SignedHead | None:
        """The latest signed tree head (None before the first ingest)."""
        return revenue_log.latest_head(self.store)

    def log_entries(self, customer_id: str) -> list[revenue_log.LogEntry]:
        """One customer's leaves (index, kind, bytes, hash, what each corrects) in log order."""
        return revenue_log.entries(self.store, customer_id)

    def log_leaf_hashes(self) -> list[bytes]:
        """Every leaf hash in log order (streamed from the engine)."""
        return revenue_log.leaf_hashes(self.store)

    def inclusion_proofs(
        self, indices: Sequence[int], size: int | None = None
    ) -> dict[int, list[bytes]]:
        """Audit paths of leaves in the log of `size` leaves (the latest head's by default)."""
        return revenue_log.inclusion_proofs(self.store, indices, self._log_size(size))

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """Proof that the log of `new` leaves (the latest head's) extends the log of `old`."""
        return revenue_log.consistency_proof(self.store, old, self._log_size(new))

    def verify(
        self, key: Ed25519PublicKey | None = None, *, since: SignedHead | None = None
    ) -> Verdict:
        """Recompute the log, its heads and the derived tables from the stored facts; the verdict
        names the first inconsistency. `since`: a head kept earlier the log must extend."""
        return verifying.verify(self.store, key or self.public_key(), self.currency, since)

    def use_key(self, key: str | Path) -> None:
        """Sign this ledger's heads with the private key in `key` from now on."""
        self.signer = revenue_log.Signer(self.path, key)
        for step in self.on_ingest:
            if isinstance(step, revenue_log.Step):
                step.signer = self.signer

    def public_key(self) -> Ed25519PublicKey:
        """The key the log's heads are signed with (`<db>.pub`, or from NETRETAIN_KEY / key=)."""
        return self.signer.public()

    def signing_key(self) -> Ed25519PrivateKey:
        """The ledger's Ed25519 private key (signed reports use it too)."""
        return self.signer.private(create=False)

    def _log_size(self, size: int | None) -> int:
        if size is not None:
            return size
        head = self.log_head()
        return 0 if head is None else head.head.size

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_currency(self, currency: str) -> None:
        """Choose the reporting currency of a new ledger; an existing one keeps its own."""
        currency = currency.strip().upper()
        meta = build.read_meta(self._store) if self._store is not None else {}
        if meta and meta.get("currency") != currency:
            raise LedgerError(
                f"this ledger reports in {meta['currency']}; "
                f"start a new ledger to report in {currency}"
            )
        self.currency = currency

    def reader(self) -> Ledger:
        """This ledger on a connection of its own, for a concurrent reader in this process (a
        server's request); close it when done. Only a DuckDB ledger opened here has one. It keeps
        this ledger's path, currency and key, so it signs statements as this ledger does."""
        store = self.store
        if not isinstance(store, DuckDBStore):
            raise UnsupportedError(f"a {store.name} ledger has no in-process readers")
        reader = Ledger(self.path, store=store.reader(), currency=self.currency)
        reader.signer = self.signer
        return reader

    @contextmanager
    def snapshot(self) -> Iterator[Ledger]:
        """This ledger as one complete state for as long as a reader needs it (one transaction)."""
        with self.store.transaction():
            yield self

    def ask(self, query: Query[T]) -> T:
        """Run a query built by core or analysis on this ledger's store."""
        return run(self.store, query)

    # ingest -----------------------------------------------------------------------------------
    def ingest(
        self,
        *,
        customers: str | Path | None = None,
        subscriptions: str | Path | None = None,
        invoice_lines: str | Path | None = None,
        mrr: str | Path | None = None,
        fx_rates: str | Path | None = None,
        plans: str | Path | None = None,
        usage_events: str | Path | None = None,
        strict: bool = False,
        replace: bool = False,
        step: Step | None = None,
        data_as_of: str | dt.date | None = None,
        encoding: str | None = None,
    ) -> IngestResult:
        """Ingest CSV or Parquet files in one atomic step; see docs/data-model.md for columns.

        `data_as_of` (YYYY-MM-DD): when the export was taken; reports then default to the last
        complete month before it. `encoding` names what CSV files are written in (default UTF-8,
        or UTF-16 by its byte order mark)."""
        given = {
            "customers": customers,
            "subscriptions": subscriptions,
            "invoice_lines": invoice_lines,
            "mrr": mrr,
            "fx_rates": fx_rates,
            "plans": plans,
            "usage_events": usage_events,
        }
        files = {kind: path for kind, path in given.items() if path is not None}
        return self._ingest(
            files,
            strict=strict,
            replace=replace,
            step=step,
            data_as_of=data_as_of,
            encoding=encoding,
        )

    def _ingest(
        self, files: Mapping[str, Any], labels: Mapping[str, str] | None = None, **options: Any
    ) -> IngestResult:
        result = ingest(
            self._created(),
            files,
            currency=self.currency,
            labels=labels,
            hooks=self.on_ingest,
            **options,
        )
        self._sources = None
        return result

    def ingest_frames(
        self, *, strict: bool = False, replace: bool = False, **frames: Any
    ) -> IngestResult:
        """Ingest pandas DataFrames or Arrow tables by kind (customers=df, invoice_lines=df)."""
        with tempfile.TemporaryDirectory() as tmp:
            paths = {}
            for kind, frame in frames.items():
                table = (
                    frame
                    if isinstance(frame, pa.Table)
                    else pa.Table.from_pandas(frame, preserve_index=False)
                )
                paths[kind] = Path(tmp) / f"{kind}.parquet"
                pq.write_table(table, paths[kind])
            labels = {kind: f"frame:{kind}" for kind in paths}
            return self._ingest(paths, labels, strict=strict, replace=replace)

    # reading ----------------------------------------------------------------------------------
    @property
    def sources(self) -> Sources:
        """The built tables every computation reads."""
        if self._sources is None:
            meta = build.read_meta(self.store)
            if not meta:
                raise LedgerError(
                    f"this ledger is empty: ingest some files first ({arg('ingest')})"
                )
            self._sources = build.open_sources(
                self.store, meta["currency"], int(meta["first_month"]), int(meta["horizon"])
            )
        return self._sources

    @property
    def meta(self) -> dict[str, str]:
        """The ledger's settings: currency, month range, latest_date, data_as_of (when given)."""
        return build.read_meta(self.store)

    def month(self, label: str | None) -> int:
        """A 'YYYY-MM' label as a month index, from the ledger's first month through the current
        calendar month; None means the default as-of month (see `default_month`)."""
        if label is None:
            return self.default_month()
        try:
            index = parse_month(label)
        except ValueError as exc:
            raise LedgerError(str(exc)) from None
        first, now = self.sources.first_month, current_month()
        if index < first:
            raise NotFoundError(
                f"{label.strip()} is before the ledger's first month, {month_label(first)}"
            )
        if index > now:
            raise NotFoundError(
                f"{label.strip()} is in the future: ask for {month_label(now)} (this month) "
                "or an earlier month"
            )
        return index

    def default_month(self) -> int:
        """The last complete month before the data's as-of date when an ingest gave one (its
        `data_as_of`), else the latest month with data (the last a service period starts in)."""
        as_of = self.meta.get("data_as_of")
        if not as_of:
            return self.sources.horizon
        index = date_month(dt.date.fromisoformat(as_of)) - 1
        if index < self.sources.first_month:
            raise LedgerError(
                f"the data is as of {as_of}, before the end of the ledger's first month "
                f"{month_label(self.sources.first_month)}: give {arg('as_of')}"
            )
        return index

    def sources_through(self, last: int) -> Sources:
        """Sources that reach month `last`; past the data they are computed on the fly."""
        s = self.sources
        if last <= s.horizon:
            return s
        return build.sources_through(self.store, s.currency, s.first_month, s.horizon, last)

    def warnings(self, last: int) -> tuple[str, ...]:
        """Why figures through month `last` are provisional: it lies past the data, the last month
        a service period starts in (named with the latest date the inputs show)."""
        if last <= self.sources.horizon:
            return ()
        meta = self.meta
        note = (
            f"{month_label(last)} is past the latest date in the data "
            f"({meta.get('latest_date') or month_label(self.sources.horizon)}; the last service "
            f"period starts in {month_label(self.sources.horizon)}): customers billed monthly and "
            "not yet invoiced count as churn, so its figures are provisional"
        )
        if meta.get("data_as_of"):
            note += f" (the export was taken on {meta['data_as_of']})"
        return (note,)

    def _stamp(self, result: T, last: int) -> T:
        """A stamped result (or a list of them) carrying the warnings for month `last`."""
        notes = self.warnings(last)
        if not notes:
            return result
        if isinstance(result, list):
            return [self._stamp(r, last) for r in result]  # type: ignore[return-value]
        if isinstance(result, Stamped):
            return dataclasses.replace(result, warnings=(*result.warnings, *notes))
        return result

    def _span(self, start: str | None, end: str | None) -> tuple[int | None, int | None]:
        """Month labels as indexes (None stays None)."""
        return (
            None if start is None else self.month(start),
            None if end is None else self.month(end),
        )

    @property
    def months(self) -> tuple[str, str]:
        """The first and last month of the data (the last a service period starts in)."""
        s = self.sources
        return month_label(s.first_month), month_label(s.horizon)

    def info(self) -> dict[str, Any]:
        """What the ledger holds: its months, currency, how far the data reaches and its ingests.

        `first_month`..`last_month` is the data (the last month a service period starts in);
        any month from the first through `this_month` may be asked for; `default_as_of` is the
        month a report gives when none is named.
        """
        meta, s = self.meta, self.sources
        return {
            "first_month": month_label(s.first_month),
            "last_month": month_label(s.horizon),
            "this_month": month_label(current_month()),
            "default_as_of": month_label(self.default_month()),
            "currency": s.currency,
            "latest_date": meta.get("latest_date") or None,
            "data_as_of": meta.get("data_as_of") or None,
            "ingests": ingest_summary(self.ingests().to_pylist()),
        }

    def report(self, as_of: str | None = None, definition: Definition | None = None) -> Report:
        """NDR, GDR, logo retention and the window's movements at `as_of` (default: latest)."""
        month = self.month(as_of)
        query = build_report(self.sources_through(month), definition or default(), month)
        return self._stamp(self.ask(query), month)

    def compare(self, definitions: Sequence[Definition], as_of: str | None = None) -> list[Report]:
        """The same month under several definitions, to see why tools disagree."""
        month = self.month(as_of)
        sources = self.sources_through(month)
        return [self._stamp(self.ask(build_report(sources, d, month)), month) for d in definitions]

    def movements(
        self, start: str | None = None, end: str | None = None, definition: Definition | None = None
    ) -> list[MonthMovements]:
        """MRR and movements for every month of the ledger (or the range asked); see `warnings`
        for a range that ends past the data."""
        first = self.sources.first_month if start is None else self.month(start)
        last = self.month(end)
        if first > last:
            raise LedgerError(
                f"{arg('start')} {month_label(first)} is after {arg('end')} {month_label(last)}"
            )
        return self.ask(month_rows(self.sources_through(last), definition, first, last))

    def mrr(self, definition: Definition | None = None) -> ir.Table:
        """Monthly MRR per customer (cents) as an Ibis table, for your own queries."""
        return monthly.monthly_mrr(self.sources, definition)

    def movement_table(self, definition: Definition | None = None) -> ir.Table:
        """Per customer and month: MRR, previous MRR and each movement (cents), as an Ibis table."""
        return monthly.movements_for(self.sources, definition)

    # drill-down -------------------------------------------------------------------------------
    def customer_history(
        self, customer_id: str | None = None, definition: Definition | None = None
    ) -> pa.Table:
        """Per-customer monthly MRR and movements: the month as 'YYYY-MM' (and its month_index),
        money in integer cents, exact for your own arithmetic."""
        t = drill.customer_months(self.sources, definition, customer_id=customer_id)
        label = first_day(t.month_index).cast("string").substr(0, 7)
        return self.store.to_arrow(t.mutate(month=label))

    def customer_movements(
        self,
        *,
        customer_id: str | None = None,
        movement: str | None = None,
        month: str | None = None,
        start: str | None = None,
        end: str | None = None,
        by_amount: bool = False,
        definition: Definition | None = None,
    ) -> ir.Table:
        """Customer-months filtered for a drill-down: who churned in March, who expanded most.
        An unknown `customer_id` is an error naming it, not an empty answer."""
        if customer_id is not None:
            self._known_customer(customer_id)
        first, last = self._span(start, end)
        if month is not None:
            index = self.month(month)
            first = index if first is None else max(first, index)
            last = index if last is None else min(last, index)
        return drill.customer_months(
            self.sources if last is None else self.sources_through(last),
            definition,
            customer_id=customer_id,
            movement=movement,
            months=(first, last),
            by_amount=by_amount,
        )

    def _known_customer(self, customer_id: str) -> None:
        """Refuse a customer id the ledger has never seen."""
        customers = self.sources.customers
        found = customers.filter(customers.customer_id == customer_id).count()
        if not self.store.to_arrow(found.name("n").as_table()).to_pylist()[0]["n"]:
            raise NotFoundError(
                f"no customer {customer_id!r} in this ledger: customer ids are matched exactly"
            )

    def customer_rows(self, *, limit: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """`customer_movements` as plain rows: month labels and Decimal money."""
        t = self.customer_movements(**filters)
        if limit is not None:
            t = t.limit(limit)
        return [drill.customer_row(r) for r in self.store.to_arrow(t).to_pylist()]

    def customer_page(
        self,
        *,
        search: str = "",
        sort: str = "customer_id",
        descending: bool = False,
        page: int = 1,
        size: int = 50,
        **filters: Any,
    ) -> dict[str, Any]:
        """One page of `customer_rows` (searched by id, sorted), with the total and page count."""
        query = drill.customer_page(
            self.customer_movements(**filters),
            search=search,
            sort=sort,
            descending=descending,
            page=page,
            size=size,
        )
        return self.ask(query)

    def export_customers(self, path: str | Path, **filters: Any) -> int:
        """Write every matching customer-month to CSV, streamed from the engine."""
        labelled = drill.labelled(self.customer_movements(**filters))
        written = 0
        with pacsv.CSVWriter(str(path), labelled.schema().to_pyarrow()) as writer:
            for batch in self.store.to_arrow_batches(labelled):
                writer.write_batch(batch)
                written += batch.num_rows
        return written

    def customer(self, customer_id: str) -> dict[str, Any]:
        """One customer's attributes and revenue lines; both empty for an unknown id."""
        return self.ask(drill.customer_profile(self.sources, customer_id))

    def attributes(self) -> tuple[str, ...]:
        """Every attribute segment views can group by on this ledger."""
        return available(self.sources)

    # the ingest log ---------------------------------------------------------------------------
    def rejects(self, ingest_id: int | None = None) -> pa.Table:
        """Every kept reject: ingest, kind, file, row, column, reason, value."""
        if not self.store.has("rejects"):
            return pa.table({name: pa.array([], pa.string()) for name in REJECTS})
        return self.store.to_arrow(log.kept_rejects(self.store.table("rejects"), ingest_id))

    def refused_rows(self, kind: str, ingest_id: int | None = None) -> pa.Table:
        """A kind's refused rows as they came (text), with `_ingest_id`, `_file` and `_row`."""
        name = refused_table(kind)
        if not self.store.has(name):
            return pa.table({})
        return self.store.to_arrow(log.refused_rows(self.store.table(name), ingest_id))

    def ingests(self) -> pa.Table:
        """The ingest log: one row per file per ingest."""
        if not self.store.has("ingests"):
            return pa.table({})
        return self.store.to_arrow(log.ingest_log(self.store.table("ingests")))

    def table(self, name: str) -> ir.Table:
        """Any ledger table by name (mrr, movements, customers, revenue_lines, ...)."""
        if not self.store.has(name):
            raise NotFoundError(f"no table {name!r} in this ledger")
        return self.store.table(name)

    def execute(self, expr: ir.Expr) -> pa.Table:
        """Run an expression built on this ledger's tables and return Arrow."""
        return self.store.to_arrow(expr)

    # analysis ---------------------------------------------------------------------------------
    def cohorts(self, period: str = "month", definition: Definition | None = None) -> CohortMatrix:
        """Signup cohorts x age: revenue, gross and logo retention."""
        return self.ask(cohort_matrix(self.sources, definition or default(), period=period))

    def segments(
        self, by: By, as_of: str | None = None, definition: Definition | None = None
    ) -> SegmentTable:
        """NDR, GDR and logo retention per segment at one as-of month."""
        month = self.month(as_of)
        sources = self.sources_through(month)
        query = segments(sources, definition or default(), by=by, as_of=month)
        return self._stamp(self.ask(query), month)

    def trend(
        self,
        by: By = (),
        start: str | None = None,
        end: str | None = None,
        definition: Definition | None = None,
    ) -> list[dict[str, Any]]:
        """NDR, GDR and logo retention for every as-of month (and segment) in the range."""
        first, last = self._span(start, end)
        sources = self.sources if last is None else self.sources_through(last)
        query = trend(sources, definition or default(), by=by, first=first, last=last)
        return self.ask(query)

    def bridge(
        self, as_of: str | None = None, by: By = (), definition: Definition | None = None
    ) -> list[Bridge]:
        """Starting MRR, expansion, contraction, churn, ending MRR: overall or by segment."""
        month = self.month(as_of)
        sources = self.sources_through(month)
        query = bridge(sources, definition or default(), as_of=month, by=by)
        found = self._incentive_line(self.ask(query), as_of, by, definition)
        return self._stamp(found, month)

    def _incentive_line(
        self, bridges: list[Bridge], as_of: str | None, by: By, definition: Definition | None
    ) -> list[Bridge]:
        """The bridges with the MRR incentives took off inside them, when any were recorded."""
        from netretain.ledger import incentives

        return incentives.incentive_line(self, bridges, as_of, by, definition)

    def explain(
        self,
        start: str,
        end: str,
        by: By = ("segment",),
        top: int = 10,
        definition: Definition | None = None,
    ) -> Explanation:
        """The NDR change between two as-of months as exact segment-mix and rate effects."""
        first, last = self.month(start), self.month(end)
        query = explain(
            self.sources_through(max(first, last)),
            definition or default(),
            start=first,
            end=last,
            by=by,
            top=top,
        )
        return self._stamp(self.ask(query), max(first, last))

    def behind(
        self,
        as_of: str | None = None,
        change: str | None = None,
        where: Mapping[str, str] | None = None,
        limit: int | None = None,
        definition: Definition | None = None,
    ) -> Behind:
        """The cohort customers behind a report's churn, contraction or expansion figure."""
        month = self.month(as_of)
        query = behind(
            self.sources_through(month),
            definition or default(),
            as_of=month,
            change=change,
            where=where,
            limit=limit,
        )
        return self._stamp(self.ask(query), month)

    def benchmark(
        self,
        as_of: str | None = None,
        by: By = (),
        definition: Definition | None = None,
        benchmarks_file: str | Path | None = None,
    ) -> Placement:
        """NDR and GDR against published survey benchmarks, overall and per segment."""
        month = self.month(as_of)
        query = benchmark(
            self.sources_through(month),
            definition or default(),
            as_of=month,
            by=by,
            path=benchmarks_file,
        )
        return self._stamp(self.ask(query), month)

    def metrics(
        self, start: str | None = None, end: str | None = None, definition: Definition | None = None
    ) -> list[MetricsMonth]:
        """MRR, ARR, ARPA, churn rates, expansion rate, quick ratio and net new MRR per month."""
        first = None if start is None else self.month(start)
        last = self.month(end)
        query = metrics(self.sources_through(last), definition or default(), first=first, last=last)
        return self._stamp(self.ask(query), last)

    # account intelligence (issue 12): netretain.ledger.predict does the work ------------------
    def features(self, start: str | None = None, end: str | None = None) -> Any:
        """Account features and labels per paying customer and month-end, as a DataFrame."""
        from netretain.ledger import predict

        first, last = self._span(start, end)
        return predict.features(self, first, last)

    def backtest(self, cut: str | None = None, **options: Any) -> Prediction:
        """Time-split backtest of the risk models (see docs/prediction.md)."""
        from netretain.ledger import predict

        return predict.backtest(self, cut, **options)

    def risk(self, as_of: str | None = None, **options: Any) -> Prediction:
        """Accounts ranked by expected MRR at risk, with probabilities and drivers."""
        from netretain.ledger import predict

        return predict.risk(self, as_of, **options)

    def expansion(self, as_of: str | None = None, **options: Any) -> Prediction:
        """Accounts ranked by expected expansion uplift, with probabilities and drivers."""
        from netretain.ledger import predict

        return predict.expansion(self, as_of, **options)

    def growth_drivers(self, as_of: str | None = None, **options: Any) -> Prediction:
        """Features that tell accounts that expanded from those that shrank, with intervals."""
        from netretain.ledger import predict

        return predict.growth_drivers(self, as_of, **options)

    def train(self, until: str | None = None, **options: Any) -> Prediction:
        """Fit and save the risk models on data up to `until` (see ledger.models)."""
        from netretain.ledger import models

        return models.train(self, until, **options)

    def saved_models(self) -> list[dict[str, Any]]:
        """Every saved risk model, newest first, and whether it describes the ledger as it is."""
        from netretain.ledger import models

        return models.listing(self)

    # forecasts, retention curves and alerts (issue 14): netretain.ledger.forecast ------------
    def forecast(self, as_of: str | None = None, **options: Any) -> dict[str, Any]:
        """NDR, GDR and MRR for the next 12 months with 80%/95% intervals, and the backtest."""
        from netretain.ledger import forecast

        return forecast.forecast(self, as_of, **options)

    def curves(self, by: str | None = None) -> dict[str, Any]:
        """Per signup cohort (and segment): survivors by renewal year, sBG fit, projections."""
        from netretain.ledger import forecast

        return forecast.curves(self, by)

    def alerts(self, since: str | None = None, by: str | None = None) -> dict[str, Any]:
        """Months where a movement, NDR, GDR or a segment's figure left its expected range."""
        from netretain.ledger import forecast

        return forecast.alerts(self, since, by)

    def plan_fit(self, as_of: str | None = None, **options: Any) -> PlanFit:
        """Accounts over their plan's allowance (upgrade) or far under it (right-size)."""
        from netretain.ledger import predict

        return predict.plan_fit(self, as_of, **options)

    # incentives (issue 17): netretain.ledger.incentives keeps the grants -------------------------
    def record_incentives(self, grants: Iterable[IncentiveGrant]) -> int:
        """Store incentive grants (idempotent on incentive_id); returns rows newly stored."""
        from netretain.ledger import incentives

        return incentives.record_incentives(self, grants)

    def incentives(self) -> list[IncentiveGrant]:
        """Every recorded incentive grant."""
        from netretain.ledger import incentives

        return incentives.incentives(self)

    def offers(self, rule: str, as_of: str | None = None, **options: Any) -> Prediction:
        """The accounts an offer rule (NAME[@VERSION] or a .toml file) offers to, ranked by
        expected MRR effect, within its guardrails."""
        from netretain.incentives.offer_rules import resolve
        from netretain.ledger import offers

        return offers.offers(self, resolve(rule), as_of, **options)

    def campaign_start(self, rule: str, as_of: str | None = None, **options: Any) -> Prediction:
        """Start a campaign of an offer rule: treated and held-out accounts, kept in the ledger."""
        from netretain.incentives.offer_rules import resolve
        from netretain.ledger import campaigns

        return campaigns.start(self, resolve(rule), as_of, **options)

    def campaign_results(self, campaign: str | None = None, **options: Any) -> Prediction:
        """A campaign's treated against held-out accounts, with 95% intervals (default: latest)."""
        from netretain.ledger import campaigns

        return campaigns.results(self, campaign, **options)

    def campaigns(self) -> list[dict[str, Any]]:
        """Every campaign, newest first."""
        from netretain.ledger import campaigns

        return campaigns.listing(self)

    def excluding_incentives(self) -> Ledger:
        """This ledger with every grant's MRR added back: its reports exclude incentives."""
        from netretain.ledger import incentives

        return incentives.ExcludingIncentives(self)


__all__ = ["Ledger"]
