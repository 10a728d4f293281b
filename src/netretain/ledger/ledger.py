"""The service: a revenue ledger in a store, and the questions it answers. It is the one place
that runs the expressions core and analysis build; faces call it.

>>> from netretain import Ledger
>>> ledger = Ledger("company.duckdb")
>>> ledger.ingest(invoice_lines="invoice_lines.csv", fx_rates="fx_rates.csv")
>>> ledger.report().ndr
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from netretain.analysis import drill
from netretain.analysis.attributes import By
from netretain.analysis.benchmarks import Placement, benchmark
from netretain.analysis.bridge import Bridge, bridge
from netretain.analysis.cohorts import CohortMatrix, cohort_matrix
from netretain.analysis.drill import Behind, behind
from netretain.analysis.explain import Explanation, explain
from netretain.analysis.metrics import MetricsMonth, metrics
from netretain.analysis.segments import SegmentTable, segments, trend
from netretain.core import monthly
from netretain.core.arith import month_label, parse_month
from netretain.core.monthly import Sources
from netretain.core.query import Query
from netretain.core.report import build_report, check_month, month_rows
from netretain.core.results import MonthMovements, Report
from netretain.definitions import Definition, default
from netretain.engines import open_store
from netretain.errors import LedgerError, arg
from netretain.ingest import log
from netretain.ledger import build, hooks
from netretain.ledger import check as checking
from netretain.ledger.ingest import IngestResult, Step, ingest
from netretain.ledger.run import run
from netretain.store import Store, refused_table
from netretain.store.catalogue import REJECTS

T = TypeVar("T")


class Ledger:
    """A revenue ledger in a store (by default one DuckDB file) and the questions it answers.

    `Ledger(path)` opens the file for writing (one writer at a time); `read_only=True` shares it
    with other readers. A file that does not exist is created by the first ingest; anything else
    asked of it raises LedgerError. `wait` is how many seconds to wait while another process holds
    the file (default NETRETAIN_WAIT, else 10). Close it (or use `with`) to let others write.
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
    ):
        self.path = str(path)
        self._wait = wait
        self._store = store
        if store is None and (read_only or self.path == ":memory:" or Path(path).exists()):
            self._store = open_store("duckdb", db=path, read_only=read_only, wait=wait)
        meta = build.read_meta(self._store) if self._store is not None else {}
        self.currency = meta.get("currency", currency.upper())
        self.on_ingest = [*hooks.registered(), *on_ingest, checking.record_after_ingest]
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
            self._store = open_store("duckdb", db=self.path, wait=self._wait)
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
        strict: bool = False,
        replace: bool = False,
        step: Step | None = None,
    ) -> IngestResult:
        """Ingest CSV or Parquet files in one atomic step; see docs/data-model.md for columns."""
        given = {
            "customers": customers,
            "subscriptions": subscriptions,
            "invoice_lines": invoice_lines,
            "mrr": mrr,
            "fx_rates": fx_rates,
        }
        files = {kind: path for kind, path in given.items() if path is not None}
        return self._ingest(files, strict=strict, replace=replace, step=step)

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

    def month(self, label: str | None) -> int:
        """A 'YYYY-MM' label as a month index; None means the latest month with data."""
        if label is None:
            return self.sources.horizon
        try:
            index = parse_month(label)
        except ValueError as exc:
            raise LedgerError(str(exc)) from None
        check_month(self.sources, index)
        return index

    def _span(self, start: str | None, end: str | None) -> tuple[int | None, int | None]:
        """Month labels as indexes (None stays None)."""
        return (
            None if start is None else self.month(start),
            None if end is None else self.month(end),
        )

    @property
    def months(self) -> tuple[str, str]:
        """The first and last month of the ledger."""
        s = self.sources
        return month_label(s.first_month), month_label(s.horizon)

    def report(self, as_of: str | None = None, definition: Definition | None = None) -> Report:
        """NDR, GDR, logo retention and the window's movements at `as_of` (default: latest)."""
        return self.ask(build_report(self.sources, definition or default(), self.month(as_of)))

    def compare(self, definitions: Sequence[Definition], as_of: str | None = None) -> list[Report]:
        """The same month under several definitions, to see why tools disagree."""
        month = self.month(as_of)
        return [self.ask(build_report(self.sources, d, month)) for d in definitions]

    def movements(
        self, start: str | None = None, end: str | None = None, definition: Definition | None = None
    ) -> list[MonthMovements]:
        """MRR and movements for every month of the ledger (or the range asked)."""
        first = self.sources.first_month if start is None else self.month(start)
        last = self.month(end)
        if first > last:
            raise LedgerError(
                f"{arg('start')} {month_label(first)} is after {arg('end')} {month_label(last)}"
            )
        return self.ask(month_rows(self.sources, definition, first, last))

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
        """Per-customer monthly MRR and movements: month_index and money in integer cents."""
        t = drill.customer_months(self.sources, definition, customer_id=customer_id)
        return self.store.to_arrow(t)

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
        """Customer-months filtered for a drill-down: who churned in March, who expanded most."""
        first, last = self._span(start, end)
        if month is not None:
            index = self.month(month)
            first = index if first is None else max(first, index)
            last = index if last is None else min(last, index)
        return drill.customer_months(
            self.sources,
            definition,
            customer_id=customer_id,
            movement=movement,
            months=(first, last),
            by_amount=by_amount,
        )

    def customer_rows(self, *, limit: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """`customer_movements` as plain rows: month labels and Decimal money."""
        t = self.customer_movements(**filters)
        if limit is not None:
            t = t.limit(limit)
        return [drill.customer_row(r) for r in self.store.to_arrow(t).to_pylist()]

    def export_customers(self, path: str | Path, **filters: Any) -> int:
        """Write every matching customer-month to CSV, streamed from the engine."""
        labelled = drill.labelled(self.customer_movements(**filters))
        written = 0
        with pacsv.CSVWriter(str(path), labelled.schema().to_pyarrow()) as writer:
            for batch in self.store.to_arrow_batches(labelled):
                writer.write_batch(batch)
                written += batch.num_rows
        return written

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
            raise LedgerError(f"no table {name!r} in this ledger")
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
        query = segments(self.sources, definition or default(), by=by, as_of=self.month(as_of))
        return self.ask(query)

    def trend(
        self,
        by: By = (),
        start: str | None = None,
        end: str | None = None,
        definition: Definition | None = None,
    ) -> list[dict[str, Any]]:
        """NDR, GDR and logo retention for every as-of month (and segment) in the range."""
        first, last = self._span(start, end)
        query = trend(self.sources, definition or default(), by=by, first=first, last=last)
        return self.ask(query)

    def bridge(
        self, as_of: str | None = None, by: By = (), definition: Definition | None = None
    ) -> list[Bridge]:
        """Starting MRR, expansion, contraction, churn, ending MRR: overall or by segment."""
        query = bridge(self.sources, definition or default(), as_of=self.month(as_of), by=by)
        return self.ask(query)

    def explain(
        self,
        start: str,
        end: str,
        by: By = ("segment",),
        top: int = 10,
        definition: Definition | None = None,
    ) -> Explanation:
        """The NDR change between two as-of months as exact segment-mix and rate effects."""
        query = explain(
            self.sources,
            definition or default(),
            start=self.month(start),
            end=self.month(end),
            by=by,
            top=top,
        )
        return self.ask(query)

    def behind(
        self,
        as_of: str | None = None,
        change: str | None = None,
        where: Mapping[str, str] | None = None,
        limit: int | None = None,
        definition: Definition | None = None,
    ) -> Behind:
        """The cohort customers behind a report's churn, contraction or expansion figure."""
        query = behind(
            self.sources,
            definition or default(),
            as_of=self.month(as_of),
            change=change,
            where=where,
            limit=limit,
        )
        return self.ask(query)

    def benchmark(
        self,
        as_of: str | None = None,
        by: By = (),
        definition: Definition | None = None,
        benchmarks_file: str | Path | None = None,
    ) -> Placement:
        """NDR and GDR against published survey benchmarks, overall and per segment."""
        query = benchmark(
            self.sources,
            definition or default(),
            as_of=self.month(as_of),
            by=by,
            path=benchmarks_file,
        )
        return self.ask(query)

    def metrics(
        self, start: str | None = None, end: str | None = None, definition: Definition | None = None
    ) -> list[MetricsMonth]:
        """MRR, ARR, ARPA, churn rates, expansion rate, quick ratio and net new MRR per month."""
        first = None if start is None else self.month(start)
        query = metrics(self.sources, definition or default(), first=first, last=self.month(end))
        return self.ask(query)


__all__ = ["Ledger"]
