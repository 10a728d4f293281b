"""The figures every contender produces, in one shape, and the check that they agree.

Three tables: `movements` (one row per month of the ledger: MRR, paying customers and each movement
in cents), `trend` (trailing-12 cohort per as-of month: the bridge in cents, customer counts, NDR,
GDR, logo retention) and `trend_segment` (the same per customer segment). Money and counts must be
equal; ratios may differ by 1e-9.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MOVEMENT_COLUMNS = (
    "mrr_cents",
    "customers",
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
)
TREND_MONEY = (
    "starting_cents",
    "ending_cents",
    "expansion_cents",
    "contraction_cents",
    "churn_cents",
    "customers_start",
    "customers_retained",
)
RATIOS = ("ndr", "gdr", "logo_retention")
KEYS = {
    "movements": ("month_index",),
    "trend": ("as_of_index",),
    "trend_segment": ("as_of_index", "segment"),
}
TOLERANCE = 1e-9


class Disagreement(AssertionError):
    """A contender's figures differ from netretain's."""


@dataclass(frozen=True)
class Figures:
    """The three result tables of one contender."""

    movements: pa.Table
    trend: pa.Table
    trend_segment: pa.Table

    def tables(self) -> dict[str, pa.Table]:
        """Table name -> table, canonical columns only."""
        return {
            "movements": self.movements,
            "trend": self.trend,
            "trend_segment": self.trend_segment,
        }

    def write(self, directory: Path) -> None:
        """Save as Parquet, one file per table."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, table in self.tables().items():
            pq.write_table(table, directory / f"{name}.parquet")

    @classmethod
    def read(cls, directory: Path) -> Figures:
        """Load what `write` saved."""
        return cls(**{name: pq.read_table(directory / f"{name}.parquet") for name in KEYS})


def canonical(name: str, table: pa.Table) -> pa.Table:
    """Keep the canonical columns with canonical types, sorted by the table's keys."""
    keys = KEYS[name]
    values = MOVEMENT_COLUMNS if name == "movements" else TREND_MONEY + RATIOS
    columns = {}
    for column in (*keys, *values):
        data = table.column(column)
        if column == "segment":
            target = pa.string()
        elif column in RATIOS:
            target = pa.float64()
        else:
            target = pa.int64()
        columns[column] = pc.cast(data, target)
    out = pa.table(columns)
    return out.sort_by([(k, "ascending") for k in keys])


def figures(movements: pa.Table, trend: pa.Table, trend_segment: pa.Table) -> Figures:
    """Canonical figures from a contender's three raw tables."""
    return Figures(
        canonical("movements", movements),
        canonical("trend", trend),
        canonical("trend_segment", trend_segment),
    )


def compare(expected: Figures, actual: Figures, *, contender: str) -> None:
    """Raise `Disagreement` naming the first differing rows unless the figures agree."""
    problems: list[str] = []
    for name, want in expected.tables().items():
        got = actual.tables()[name]
        problems += _compare_table(name, want, got)
    if problems:
        shown = "\n  ".join(problems[:20])
        raise Disagreement(f"{contender} disagrees with netretain:\n  {shown}")


def _compare_table(name: str, want: pa.Table, got: pa.Table) -> list[str]:
    keys = KEYS[name]
    if want.num_rows != got.num_rows:
        return [f"{name}: {got.num_rows} rows, netretain has {want.num_rows}"]
    for key in keys:
        if not want.column(key).equals(got.column(key)):
            return [f"{name}: the {key} values differ"]
    problems = []
    for column in want.column_names:
        if column in keys:
            continue
        a, b = want.column(column).to_pylist(), got.column(column).to_pylist()
        for row, (x, y) in enumerate(zip(a, b, strict=True)):
            if not _same(column, x, y):
                at = ", ".join(f"{k}={want.column(k)[row].as_py()}" for k in keys)
                problems.append(f"{name}[{at}].{column}: netretain {x!r}, contender {y!r}")
    return problems


def _same(column: str, x: object, y: object) -> bool:
    if x is None or y is None:
        return x is None and y is None
    if column in RATIOS:
        return abs(float(x) - float(y)) <= TOLERANCE  # type: ignore[arg-type]
    return x == y
