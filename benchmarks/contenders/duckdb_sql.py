"""Run the hand-written DuckDB SQL baseline (`baseline.sql`) on a dataset's Parquet files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.data import Dataset
from benchmarks.figures import Figures, figures

SCRIPT = Path(__file__).with_name("baseline.sql")


def statements(dataset: Dataset, reporting: str = "USD") -> list[str]:
    """The script's statements with the file paths filled in."""
    text = SCRIPT.read_text()
    for kind, path in dataset.paths.items():
        text = text.replace("{" + kind + "}", str(path).replace("'", "''"))
    text = text.replace("{reporting}", reporting)
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def run(dataset: Dataset, reporting: str = "USD", *, memory_limit: str | None = None) -> Figures:
    """Execute the script in a fresh in-memory DuckDB; the last two statements are the results."""
    con = duckdb.connect(":memory:")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    try:
        *setup, movements_sql, trend_sql = statements(dataset, reporting)
        for statement in setup:
            con.execute(statement)
        movements = con.execute(movements_sql).fetch_arrow_table()
        trend = con.execute(trend_sql).fetch_arrow_table()
    finally:
        con.close()
    return figures(movements, *split(trend))


def split(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Overall and by-segment rows of the grouping-sets result."""
    overall = pc.equal(table.column("overall"), 1)
    return table.filter(overall), table.filter(pc.invert(overall))
