"""DuckDB keeps `mrr` as a view of `movements`: nothing to write, and still a ledger table."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import ibis
import pytest

from netretain import Ledger
from netretain.core.tables import literal_table
from netretain.engines.duckdb import DuckDBStore
from tests.conftest import Inputs

LINES = [
    ("L1", "C1", "2024-01-01", "subscription", "2024-01-01", "2024-02-01", "100.00", "USD"),
    ("L2", "C1", "2024-02-01", "subscription", "2024-02-01", "2024-03-01", "150.00", "USD"),
    ("L3", "C2", "2024-01-01", "subscription", "2024-01-01", "2024-02-01", "40.00", "USD"),
]


def test_mrr_is_a_view_that_reads_after_the_ledger_file_is_copied(
    inputs: Inputs, tmp_path: Path
) -> None:
    """The view names `movements` without the file's catalog, which follows the file's name."""
    ledger = Ledger(store=DuckDBStore(tmp_path / "first.duckdb"))
    ledger.ingest(invoice_lines=inputs.invoice_lines(LINES))
    ledger.store.close()
    shutil.copy(tmp_path / "first.duckdb", tmp_path / "second.duckdb")
    con = duckdb.connect(str(tmp_path / "second.duckdb"), read_only=True)
    kinds = con.execute(
        "SELECT table_name, table_type FROM information_schema.tables"
        " WHERE table_name IN ('mrr', 'movements') ORDER BY 1"
    ).fetchall()
    rows = con.execute("SELECT * FROM mrr ORDER BY customer_id, month_index").fetchall()
    assert kinds == [("movements", "BASE TABLE"), ("mrr", "VIEW")]
    # C1: Jan $100, Feb $150 (the last month the data reaches); C2: Jan $40, churn month Feb
    assert rows == [
        ("C1", 24288, 10000),
        ("C1", 24289, 15000),
        ("C2", 24288, 4000),
        ("C2", 24289, 0),
    ]


def test_a_view_and_a_table_replace_each_other() -> None:
    """A ledger written before mrr was a view (a table) or after (a view) rebuilds either way."""
    store = DuckDBStore()
    base = store.replace("base", literal_table({"n": [1, 2]}, {"n": "int64"}))
    store.replace("t", literal_table({"n": [7]}, {"n": "int64"}))
    store.view("t", base.select(m=base.n * 10))
    assert store.to_arrow(store.table("t")).to_pylist() == [{"m": 10}, {"m": 20}]
    store.replace("t", literal_table({"n": [8]}, {"n": "int64"}))
    assert store.to_arrow(store.table("t")).to_pylist() == [{"n": 8}]


def test_a_view_and_a_table_replace_each_other_in_a_transaction() -> None:
    """Inside a transaction too (the writes are pending until its commit), and a failing
    statement's error is the one raised, with nothing of the transaction kept."""
    store = DuckDBStore()
    base = store.replace("base", literal_table({"n": [1, 2]}, {"n": "int64"}))
    store.replace("t", literal_table({"n": [7]}, {"n": "int64"}))
    with store.transaction():
        store.view("t", base.select(m=base.n * 10))
    assert store.to_arrow(store.table("t")).to_pylist() == [{"m": 10}, {"m": 20}]
    with pytest.raises(duckdb.ConversionException), store.transaction():
        store.replace("t", literal_table({"n": [8]}, {"n": "int64"}))
        store.replace("base", base.mutate(bad=ibis.literal("x").cast("int64")))
    assert store.to_arrow(store.table("t")).to_pylist() == [{"m": 10}, {"m": 20}]
    with store.transaction():
        store.replace("t", literal_table({"n": [8]}, {"n": "int64"}))
    assert store.to_arrow(store.table("t")).to_pylist() == [{"n": 8}]
