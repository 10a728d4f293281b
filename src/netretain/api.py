"""The Python face: open a ledger, ingest, and ask for reports and tables.

>>> from netretain import Ledger
>>> ledger = Ledger("company.duckdb")
>>> ledger.ingest(invoice_lines="invoice_lines.csv", fx_rates="fx_rates.csv")
>>> ledger.report().ndr
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from netretain.analysis.views import AnalysisViews
from netretain.core import build, ledger
from netretain.core.arith import first_day, month_label, parse_month
from netretain.core.errors import LedgerError
from netretain.core.ledger import Sources
from netretain.core.report import build_report, check_month, compare, month_rows
from netretain.core.results import MonthMovements, Report, money
from netretain.definitions import Definition, default
from netretain.engines.base import Store
from netretain.engines.duckdb import DuckDBStore
from netretain.ingest.pipeline import (
    IngestResult,
    Step,
    ingest,
    refused_rows_table,
)


class Ledger(AnalysisViews):
    """A revenue ledger in a store (by default one DuckDB file) and the questions it answers."""

    def __init__(
        self, path: str | Path = ":memory:", *, store: Store | None = None, currency: str = "USD"
    ):
        self.store: Store = store if store is not None else DuckDBStore(path)
        meta = build.read_meta(self.store)
        self.currency = meta.get("currency", currency.upper())
        self._sources: Sources | None = None

    def set_currency(self, currency: str) -> None:
        """Choose the reporting currency of a new ledger; an existing one keeps its own."""
        currency = currency.strip().upper()
        meta = build.read_meta(self.store)
        if meta and meta.get("currency") != currency:
            raise LedgerError(
                f"this ledger reports in {meta['currency']}; "
                f"start a new ledger to report in {currency}"
            )
        self.currency = currency

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
        self, files: dict[str, Any], labels: dict[str, str] | None = None, **options: Any
    ) -> IngestResult:
        result = ingest(self.store, files, reporting=self.currency, labels=labels, **options)
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
                    "this ledger is empty: ingest some files first (netretain ingest)"
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

    @property
    def months(self) -> tuple[str, str]:
        """The first and last month of the ledger."""
        s = self.sources
        return month_label(s.first_month), month_label(s.horizon)

    def report(self, as_of: str | None = None, definition: Definition | None = None) -> Report:
        """NDR, GDR, logo retention and the window's movements at `as_of` (default: latest)."""
        definition = definition or default()
        return build_report(self.store, self.sources, definition, self.month(as_of))

    def compare(self, definitions: Sequence[Definition], as_of: str | None = None) -> list[Report]:
        """The same month under several definitions, to see why tools disagree."""
        return compare(self.store, self.sources, definitions, self.month(as_of))

    def movements(
        self, start: str | None = None, end: str | None = None, definition: Definition | None = None
    ) -> list[MonthMovements]:
        """MRR and movements for every month of the ledger (or the range asked)."""
        first = self.sources.first_month if start is None else self.month(start)
        last = self.month(end)
        if first > last:
            raise LedgerError(f"--from {month_label(first)} is after --to {month_label(last)}")
        return month_rows(self.store, self.sources, definition, first, last)

    def mrr(self, definition: Definition | None = None) -> ir.Table:
        """Monthly MRR per customer (cents) as an Ibis table, for your own queries."""
        return ledger.monthly_mrr(self.sources, definition)

    def movement_table(self, definition: Definition | None = None) -> ir.Table:
        """Per customer and month: MRR, previous MRR and each movement (cents), as an Ibis table."""
        return ledger.movements_for(self.sources, definition)

    def customer_history(
        self, customer_id: str | None = None, definition: Definition | None = None
    ) -> pa.Table:
        """Per-customer monthly MRR and movements: month_index and money in integer cents."""
        moves = self.movement_table(definition)
        if customer_id is not None:
            moves = moves.filter(moves.customer_id == customer_id)
        return self.store.to_arrow(moves.order_by(["customer_id", "month_index"]))

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
        t = self.movement_table(definition)
        if customer_id is not None:
            t = t.filter(t.customer_id == customer_id)
        if month is not None:
            t = t.filter(t.month_index == self.month(month))
        if start is not None:
            t = t.filter(t.month_index >= self.month(start))
        if end is not None:
            t = t.filter(t.month_index <= self.month(end))
        if movement is not None:
            if movement not in ledger.MOVEMENTS:
                raise LedgerError(
                    f"unknown movement {movement!r}; use one of {', '.join(ledger.MOVEMENTS)}"
                )
            t = t.filter(t[movement] > 0)
        if by_amount and movement is not None:
            return t.order_by([t[movement].desc(), "customer_id", "month_index"])
        return t.order_by(["customer_id", "month_index"])

    def customer_rows(self, *, limit: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """`customer_movements` as plain rows: month labels and Decimal money."""
        t = self.customer_movements(**filters)
        if limit is not None:
            t = t.limit(limit)
        return [_customer_row(r) for r in self.store.to_arrow(t).to_pylist()]

    def export_customers(self, path: str | Path, **filters: Any) -> int:
        """Write every matching customer-month to CSV, streamed from the engine."""
        t = self.customer_movements(**filters)
        labelled = t.select(
            "customer_id",
            month=first_day(t.month_index).cast("string").substr(0, 7),
            mrr=(t.mrr_cents.cast("decimal(18,0)") / 100).cast("decimal(18,2)"),
            previous_mrr=(t.previous_cents.cast("decimal(18,0)") / 100).cast("decimal(18,2)"),
            **{
                n: (t[n].cast("decimal(18,0)") / 100).cast("decimal(18,2)")
                for n in ledger.MOVEMENTS
            },
        )
        count = 0
        with pacsv.CSVWriter(str(path), labelled.schema().to_pyarrow()) as writer:
            for batch in self.store.to_arrow_batches(labelled):
                writer.write_batch(batch)
                count += batch.num_rows
        return count

    def rejects(self, ingest_id: int | None = None) -> pa.Table:
        """Every kept reject: ingest, kind, file, row, column, reason, value."""
        if not self.store.has("rejects"):
            return pa.table({name: pa.array([], pa.string()) for name in REJECT_COLUMNS})
        t = self.store.table("rejects")
        if ingest_id is not None:
            t = t.filter(t.ingest_id == ingest_id)
        return self.store.to_arrow(
            t.order_by(["ingest_id", "kind", "file", "row", "column", "reason"])
        )

    def refused_rows(self, kind: str, ingest_id: int | None = None) -> pa.Table:
        """A kind's refused rows as they came (text), with `_ingest_id`, `_file` and `_row`."""
        name = refused_rows_table(kind)
        if not self.store.has(name):
            return pa.table({})
        t = self.store.table(name)
        if ingest_id is not None:
            t = t.filter(t._ingest_id == ingest_id)
        return self.store.to_arrow(t.order_by(["_ingest_id", "_file", "_row"]))

    def ingests(self) -> pa.Table:
        """The ingest log: one row per file per ingest."""
        if not self.store.has("ingests"):
            return pa.table({})
        return self.store.to_arrow(self.store.table("ingests").order_by("ingest_id"))

    def table(self, name: str) -> ir.Table:
        """Any ledger table by name (mrr, movements, customers, revenue_lines, ...)."""
        if not self.store.has(name):
            raise LedgerError(f"no table {name!r} in this ledger")
        return self.store.table(name)

    def execute(self, expr: ir.Expr) -> pa.Table:
        """Run an expression built on this ledger's tables and return Arrow."""
        return self.store.to_arrow(expr)


REJECT_COLUMNS = ("ingest_id", "kind", "file", "row", "column", "reason", "value")
MONEY_COLUMNS = {"mrr_cents": "mrr", "previous_cents": "previous_mrr"}


def _customer_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "customer_id": row["customer_id"],
        "month": month_label(row["month_index"]),
    }
    for column, name in MONEY_COLUMNS.items():
        out[name] = money(row[column])
    for name in ledger.MOVEMENTS:
        out[name] = money(row[name])
    return out


__all__ = ["Ledger"]
