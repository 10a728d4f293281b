"""CSV on every engine: the same rejects (file, row, column, reason, value) and exact row numbers.

Spark and PostgreSQL parse CSV themselves (Spark per line with from_csv, PostgreSQL with COPY and
nr_csv_fields), so their rejects are checked against DuckDB's and against hand-written rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netretain.engines import spark_csv
from netretain.synthetic import SyntheticCompany
from tests.engines.conftest import BAD_ROWS, ENGINES, EXTRA


def reject_rows(result: Any) -> list[tuple[Any, ...]]:
    return sorted((r.file, r.row, r.column, r.reason, r.value) for r in result.rejects)


def test_hand_made_lines_are_rejected_as_expected(
    csv_results: dict[str, Any], generated: SyntheticCompany
) -> None:
    result, _ = csv_results["duckdb"]
    path = result.files[-1].file
    first = len(Path(path).read_text().splitlines()) - len(EXTRA)  # a blank line ends the file
    expected = sorted(
        (path, first + i, column, reason, text if column != "*" else line)
        for i, (line, rejects) in enumerate(EXTRA)
        for column, reason, text in rejects
    )
    found = [r for r in reject_rows(result) if r[0] == path and r[1] >= first]
    assert found == expected
    lines = result.files[-1]
    rejected_extra = sum(1 for _, rejects in EXTRA if rejects)
    assert (lines.accepted, lines.rejected) == (1, BAD_ROWS + rejected_extra)  # X6 is the new row
    assert lines.unchanged == generated.invoice_lines.num_rows
    fx = result.files[0]
    assert (fx.kind, fx.accepted, fx.rejected, fx.unchanged) == (
        "fx_rates",
        0,
        0,
        generated.fx_rates.num_rows,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_rejects_are_equal(csv_results: dict[str, Any], engine: str) -> None:
    expected, reference = csv_results["duckdb"]
    actual, ledger = csv_results[engine]
    assert reject_rows(actual) == reject_rows(expected)
    assert [(f.kind, f.accepted, f.rejected, f.unchanged) for f in actual.files] == [
        (f.kind, f.accepted, f.rejected, f.unchanged) for f in expected.files
    ]
    stored = ["kind", "file", "row", "column", "reason", "value"]
    assert (
        ledger.rejects().select(stored).to_pylist()
        == reference.rejects().select(stored).to_pylist()
    )


def test_spark_numbers_lines_across_many_splits(spark: Any, tmp_path: Path) -> None:
    """Small splits (2 KiB) force many tasks; every line keeps its physical number."""
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"line {n}\n" if n % 97 else "\n" for n in range(1, 3001)))
    session = spark.newSession()
    session.conf.set("spark.sql.files.maxPartitionBytes", "2048")
    session.conf.set("spark.sql.files.openCostInBytes", "0")
    lines = spark_csv.numbered_lines(session, path)
    assert lines.rdd.getNumPartitions() > 5
    rows = {r["_row"]: r["value"] for r in lines.collect()}
    assert rows == {n: (f"line {n}" if n % 97 else "") for n in range(1, 3001)}


def test_spark_numbers_parquet_rows_across_row_groups(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"n": pa.array(range(1, 5001), pa.int64())}), path, row_group_size=300)
    session = spark.newSession()
    session.conf.set("spark.sql.files.maxPartitionBytes", "4096")
    frame = spark_csv.stage_parquet(session, path)
    pairs = [(r["n"], r["_row"]) for r in frame.collect()]
    assert len(pairs) == 5000 and all(n == row for n, row in pairs)
