"""netretain's side: ingest the Parquet files into a ledger and produce the full report.

The full report is what a user asks for after an ingest: `movements` for every month, the `trend`
(trailing-12 NDR, GDR and logo retention for every as-of month) and the trend by customer segment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

from benchmarks.data import Dataset
from benchmarks.figures import Figures, figures
from netretain import Ledger
from netretain.core.arith import parse_month
from netretain.core.results import MonthMovements

Step = Callable[[str | None], None] | None


def ingest(ledger: Ledger, dataset: Dataset) -> dict[str, Any]:
    """Ingest the dataset's four files; returns what the ingest reported."""
    result = ledger.ingest(**{kind: str(path) for kind, path in dataset.paths.items()})
    return {
        "accepted": result.accepted,
        "rejected": result.rejected,
        "changed": result.changed,
        "skipped": sum(f.skipped for f in result.files),
        "unchanged": sum(f.unchanged for f in result.files),
    }


def movement_table(rows: list[MonthMovements]) -> pa.Table:
    """The movements report as integer cents per month."""

    def cents(value: object) -> int:
        return int(value * 100)  # type: ignore[operator]

    return pa.table(
        {
            "month_index": [parse_month(r.month) for r in rows],
            "mrr_cents": [cents(r.mrr) for r in rows],
            "customers": [r.customers for r in rows],
            **{
                name: [cents(getattr(r, name)) for r in rows]
                for name in ("new", "expansion", "contraction", "churn", "reactivation")
            },
        }
    )


def trend_table(rows: list[dict[str, Any]], by: tuple[str, ...]) -> pa.Table:
    """`netretain.analysis.trend` rows (month labels, Decimal money) as integer cents by month."""

    def cents(value: object) -> int:
        return int(value * 100)  # type: ignore[operator]

    columns: dict[str, list[Any]] = {"as_of_index": [parse_month(r["as_of"]) for r in rows]}
    columns |= {name: [r[name] for r in rows] for name in by}
    columns |= {f"{n}_cents": [cents(r[f"{n}_mrr"]) for r in rows] for n in MONEY}
    columns |= {n: [r[n] for r in rows] for n in COUNTS_AND_RATIOS}
    return pa.table(columns)


MONEY = ("starting", "ending", "expansion", "contraction", "churn")
COUNTS_AND_RATIOS = ("customers_start", "customers_retained", "ndr", "gdr", "logo_retention")


def trend_tables(ledger: Ledger, step: Step = None) -> tuple[pa.Table, pa.Table]:
    """`netretain trend` and `netretain trend --by segment`: every as-of month at once."""
    _enter(step, "report: trend")
    overall = ledger.trend()
    _enter(step, "report: trend by segment")
    by_segment = ledger.trend(by="segment")
    return trend_table(overall, ()), trend_table(by_segment, ("segment",))


def full_report(ledger: Ledger, step: Step = None) -> Figures:
    """movements + trend + trend by segment, as the benchmark's canonical figures.

    `step` is told the name of each query as it starts (the profile times them).
    """
    _enter(step, "report: movements")
    moves = movement_table(ledger.movements())
    overall, by_segment = trend_tables(ledger, step)
    _enter(step, None)
    return figures(moves, overall, by_segment)


def _enter(step: Step, name: str | None) -> None:
    if step is not None:
        step(name)


def open_ledger(
    path: Path,
    engine: str = "duckdb",
    warehouse: Path | None = None,
    *,
    memory_limit: str | None = None,
) -> Ledger:
    """A ledger on DuckDB (a file, optionally with a memory cap) or Spark local mode."""
    if engine == "duckdb":
        from netretain.engines.duckdb import DuckDBStore

        return Ledger(store=DuckDBStore(path, memory_limit=memory_limit))
    from netretain.engines import open_store  # type: ignore[attr-defined]

    return Ledger(store=open_store(engine, warehouse=str(warehouse)))


SNAPSHOT_TABLES = (
    "input_customers",
    "input_subscriptions",
    "input_invoice_lines",
    "input_fx_rates",
    "revenue_lines",
    "mrr",
    "movements",
    "ingests",
    "rejects",
)


def snapshot(ledger: Ledger) -> dict[str, Any]:
    """Row counts and MRR total of the ledger's tables: equal before and after a no-op ingest."""
    counts: dict[str, Any] = {
        name: ledger.execute(ledger.table(name).count().name("n").as_table()).to_pylist()[0]["n"]
        for name in SNAPSHOT_TABLES
    }
    mrr = ledger.table("mrr")
    total = ledger.execute(mrr.mrr_cents.sum().name("total").as_table()).to_pylist()[0]["total"]
    counts["mrr_cents"] = int(total or 0)
    return counts
