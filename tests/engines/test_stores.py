"""Store behaviour beyond parity: atomic ingests, opening engines, PostgreSQL's safe casts."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from netretain import Ledger
from netretain.core.tables import literal_table
from netretain.engines import open_store
from netretain.engines.duckdb import DuckDBStore
from netretain.engines.spark import SparkStore
from netretain.engines.warehouse import DATA
from netretain.errors import EngineError, IngestError
from tests import servers
from tests.engines.conftest import ENGINES, HEADER

SCHEMA = {"idx": "int64", "v": "string"}


def counts(ledger: Ledger) -> dict[str, int]:
    names = ["input_invoice_lines", "rejects", "ingests", "mrr"]
    return {n: ledger.execute(ledger.table(n).count().as_table()).to_pylist()[0] for n in names}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failed_ingest_changes_nothing(
    engine: str, csv_results: dict[str, Any], tmp_path: Path
) -> None:
    """--strict fails after the file's rows were written and before the rebuild: all rolled back."""
    _, ledger = csv_results[engine]
    path = tmp_path / "more_lines.csv"
    path.write_text(
        f"{HEADER}\n"
        "N1,C0000001,2024-03-01,subscription,2024-03-01,2024-04-01,99.00,USD,1,p,\n"
        "N2,C0000001,2024-03-01,subscription,2024-03-01,2024-04-01,12;5,USD,1,p,\n"
    )
    before = counts(ledger)
    store = ledger.store
    manifest = store.warehouse.read().to_json() if isinstance(store, SparkStore) else None
    with pytest.raises(IngestError, match="strict=True"):
        ledger.ingest(invoice_lines=path, strict=True)
    assert counts(ledger) == before
    if isinstance(store, SparkStore):
        assert store.warehouse.read().to_json() == manifest
        on_disk = {f"{DATA}/{p.name}" for p in (store.warehouse.root / DATA).iterdir()}
        assert on_disk == store.warehouse.read().referenced()


def test_spark_refuses_a_commit_over_another_writer(spark: Any, tmp_path: Path) -> None:
    first, second = (SparkStore(tmp_path, session=spark) for _ in range(2))
    with pytest.raises(EngineError, match="another process"), first.transaction():
        first.replace("t", literal_table({"n": [1]}, {"n": "int64"}))
        second.replace("t", literal_table({"n": [2]}, {"n": "int64"}))
    assert first.warehouse.read().generation == 1
    assert first.to_arrow(first.table("t")).to_pylist() == [{"n": 2}]
    assert len(list((tmp_path / DATA).iterdir())) == 1


@pytest.mark.parametrize("engine", ["duckdb", *ENGINES])
def test_spans_read_the_rows_of_each_half_open_run(
    engine: str, new_store: Callable[[str], Any]
) -> None:
    store = new_store(engine)
    store.replace("t", literal_table({"idx": list(range(10)), "v": list("abcdefghij")}, SCHEMA))
    found = store.spans("t", "idx", [(2, 4), (7, 8), (9, 9)], ["v", "idx"])
    assert found.column_names == ["v", "idx"]
    assert sorted(found.to_pylist(), key=lambda r: r["idx"]) == [
        {"v": "c", "idx": 2}, {"v": "d", "idx": 3}, {"v": "h", "idx": 7},
    ]  # fmt: skip
    nothing = store.spans("t", "idx", [], ["idx"])
    assert nothing.num_rows == 0 and nothing.column_names == ["idx"]


def test_a_reader_remembers_tables_but_not_past_its_own_temp_tables(tmp_path: Path) -> None:
    """A reader reads each table's schema once (no writer can change the file it holds open);
    a temp table it makes or drops is seen at once."""
    db = tmp_path / "ledger.duckdb"
    writer = DuckDBStore(str(db))
    writer.replace("t", literal_table({"idx": [1]}, {"idx": "int64"}))
    writer.close()
    reader = DuckDBStore(str(db), read_only=True)
    try:
        assert reader.has("t") and reader.table("t") is reader.table("t")
        assert not reader.has("scratch")
        reader.temp("scratch", literal_table({"v": ["x"]}, {"v": "string"}))
        assert reader.has("scratch") and reader.table("scratch").columns == ("v",)
        reader.drop("scratch")
        assert not reader.has("scratch")
    finally:
        reader.close()


def _rows(store: DuckDBStore, table: str) -> list[dict]:
    return sorted(store.to_arrow(store.table(table)).to_pylist(), key=lambda r: r["idx"])


def _files_tables(store: DuckDBStore) -> list[str]:
    found = store.raw.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()
    return sorted(n for (n,) in found)


def test_a_transaction_reads_its_own_writes_and_switches_them_in_at_commit(
    tmp_path: Path,
) -> None:
    """Inside a DuckDB transaction the writes are committed pending tables shown under the
    table's name; an expression taken earlier sees later rows, as SQL by name does; another
    connection sees the ledger as last committed until the commit."""
    store = DuckDBStore(str(tmp_path / "ledger.duckdb"))
    store.replace("t", literal_table({"idx": [1, 2, 3], "v": list("abc")}, SCHEMA))
    other = store.reader()
    with store.transaction():
        held = store.table("t")
        store.append("t", literal_table({"idx": [4], "v": ["d"]}, SCHEMA))
        store.append(
            "t", literal_table({"idx": [5], "v": ["e"], "w": [1]}, {**SCHEMA, "w": "int64"})
        )
        store.replace_from("t", "idx", 3, literal_table({"idx": [9], "v": ["z"]}, SCHEMA))
        assert [r["idx"] for r in store.to_arrow(held).to_pylist()] == [1, 2, 9]
        store.view("u", store.table("t").select("idx"))
        store.replace("n", literal_table({"idx": [7], "v": ["n"]}, SCHEMA))
        assert store.has("u") and store.has("n")
        assert other.to_arrow(other.table("t")).num_rows == 3 and not other.has("n")
    assert _rows(store, "t") == [
        {"idx": 1, "v": "a", "w": None}, {"idx": 2, "v": "b", "w": None},
        {"idx": 9, "v": "z", "w": None},
    ]  # fmt: skip
    assert _rows(store, "u") == [{"idx": 1}, {"idx": 2}, {"idx": 9}]
    assert _files_tables(store) == ["n", "t"] and store.committed
    assert [r["idx"] for r in _rows(other, "t")] == [1, 2, 9]


def test_a_readers_transaction_sees_one_state_while_a_writer_commits(tmp_path: Path) -> None:
    store = DuckDBStore(str(tmp_path / "ledger.duckdb"))
    store.replace("t", literal_table({"idx": [1], "v": ["a"]}, SCHEMA))
    reader = store.reader()
    with reader.transaction():
        assert len(_rows(reader, "t")) == 1
        with store.transaction():
            store.append("t", literal_table({"idx": [2], "v": ["b"]}, SCHEMA))
        assert len(_rows(reader, "t")) == 1 and len(_rows(store, "t")) == 2
    assert len(_rows(reader, "t")) == 2


def test_a_failed_transaction_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    """An error (or Ctrl-C) inside drops the pending tables; a writer that died before its
    commit leaves pending tables the next writer drops."""
    db = tmp_path / "ledger.duckdb"
    store = DuckDBStore(str(db))
    store.replace("t", literal_table({"idx": [1], "v": ["a"]}, SCHEMA))
    with pytest.raises(KeyboardInterrupt), store.transaction():
        store.append("t", literal_table({"idx": [2], "v": ["b"]}, SCHEMA))
        store.replace("n", literal_table({"idx": [7], "v": ["n"]}, SCHEMA))
        store.drop("t")
        assert not store.has("t")
        raise KeyboardInterrupt
    assert _rows(store, "t") == [{"idx": 1, "v": "a"}] and not store.has("n")
    assert _files_tables(store) == ["t"]
    store.raw.execute("CREATE TABLE _nr_pending_3 AS SELECT 1 AS idx")  # as a dead writer left it
    store.close()
    again = DuckDBStore(str(db))
    try:
        assert _files_tables(again) == ["t"]
    finally:
        again.close()


def test_distinct_texts_are_written_with_fsst_alone(tmp_path: Path) -> None:
    """Inside `distinct_texts` DuckDB compresses text with FSST without trying its other
    methods first; the setting is DuckDB's own again afterwards, also after an error."""
    store = DuckDBStore(str(tmp_path / "ledger.duckdb"))
    rows = 250_000  # more than one row group: written as the statement runs
    # few distinct texts: DuckDB's own choice is a dictionary, so FSST shows the setting held
    texts = f"SELECT i AS idx, 'leaf ' || (i % 7) AS v FROM range({rows}) AS r(i)"
    setting = "SELECT current_setting('force_compression')"

    def methods(table: str) -> set[str]:
        info = (
            f"SELECT compression FROM pragma_storage_info('{table}')"
            " WHERE column_name = 'v' AND segment_type = 'VARCHAR'"
        )
        return {m for (m,) in store.raw.execute(info).fetchall()}

    with store.distinct_texts():
        store.raw.execute(f"CREATE TABLE forced AS {texts}")
    store.raw.execute(f"CREATE TABLE chosen AS {texts}")
    store.raw.execute("CHECKPOINT")
    assert methods("forced") == {"FSST"} and methods("chosen") != {"FSST"}
    with pytest.raises(KeyboardInterrupt), store.distinct_texts():
        raise KeyboardInterrupt
    assert store.raw.execute(setting).fetchone() == ("Auto",)
    store.close()


def test_open_store_reads_flags_then_environment(
    monkeypatch: pytest.MonkeyPatch, pg_server: servers.PostgresServer, tmp_path: Path, spark: Any
) -> None:
    monkeypatch.setenv("NETRETAIN_POSTGRES_URL", "postgresql://nobody@127.0.0.1:1/none")
    store = open_store("postgres", postgres_url=pg_server.url, schema="flags_win")
    assert store.name == "postgres" and store.has("nothing_here") is False
    monkeypatch.setenv("NETRETAIN_ENGINE", "spark")
    monkeypatch.setenv("NETRETAIN_WAREHOUSE", str(tmp_path / "from-env"))
    store = open_store()
    assert store.name == "spark" and store.warehouse.root == tmp_path / "from-env"


def test_open_store_errors_say_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETRETAIN_POSTGRES_URL", raising=False)
    with pytest.raises(EngineError, match="unknown engine 'oracle'"):
        open_store("oracle")
    with pytest.raises(EngineError, match="postgres_url"):
        open_store("postgres")
    url = f"postgresql://me:secret@127.0.0.1:{servers.free_port()}/db"
    with pytest.raises(EngineError, match=r"cannot reach PostgreSQL .*Start the server") as caught:
        open_store("postgres", postgres_url=url)
    assert "secret" not in str(caught.value)
    for engine, extra in (("spark", "spark"), ("postgres", "postgres")):
        monkeypatch.setitem(sys.modules, f"netretain.engines.{engine}", None)  # as if not installed
        with pytest.raises(EngineError, match=rf"pip install 'netretain\[{extra}\]'"):
            open_store(engine, postgres_url=url)


CASTS = [
    ("nr_try_date('2024-02-29')", dt.date(2024, 2, 29)),
    ("nr_try_date('2023-02-29')", None),
    ("nr_try_date('2024-04-31')", None),
    ("nr_try_date('0000-01-01')", None),
    ("nr_try_date('Jan 8 2024')", None),
    ("nr_try_int8(' -42 ')", -42),
    ("nr_try_int8('1.0')", None),
    ("nr_try_int8('9999999999999999999')", None),
    ("nr_try_numeric('1.005', 18, 2)", Decimal("1.01")),
    ("nr_try_numeric('-2.675', 18, 2)", Decimal("-2.68")),
    ("nr_try_numeric('12345678901234567', 18, 2)", None),
    ("nr_try_numeric('12,5x', 18, 2)", None),
    ("nr_try_float8('1.5e3')", 1500.0),
    ("nr_try_float8('1e400')", None),
    ("nr_try_float8('abc')", None),
    ('nr_csv_fields(\'a,"b,c",,"d""e",\')', ["a", "b,c", "", 'd"e', ""]),
    ("nr_csv_fields('x,ab\"c')", ["x", 'ab"c']),
    ("nr_csv_fields('x,\"open')", None),
]


def test_postgres_safe_casts_never_raise(pg_server: servers.PostgresServer) -> None:
    store = open_store("postgres", postgres_url=pg_server.url, schema="casts")
    assert store.name == "postgres"
    with psycopg.connect(pg_server.url, autocommit=True) as con:
        con.execute("SET search_path TO casts")
        for sql, expected in CASTS:
            assert con.execute(f"SELECT {sql}").fetchone()[0] == expected, sql
