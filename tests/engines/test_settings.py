"""Each engine setting: an argument or flag typed at its default value still beats the
environment variable, and an unset one reads the variable (the flag-at-default bug)."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netretain.cli.app import app
from netretain.engines import duckdb as duckdb_engine
from netretain.engines import open_store
from netretain.engines.duckdb import DuckDBStore
from netretain.engines.postgres import PostgresStore
from netretain.engines.spark import SparkStore
from tests import servers
from tests.engines.conftest import HEADER


def memory_limit(store: Any) -> str:
    return store.con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]


def test_engine_given_as_duckdb_beats_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRETAIN_ENGINE", "spark")
    assert isinstance(open_store("duckdb", db=tmp_path / "a.duckdb"), DuckDBStore)


def test_engine_flag_at_its_default_beats_the_variable(tmp_path: Path) -> None:
    lines = tmp_path / "lines.csv"
    lines.write_text(
        f"{HEADER}\nL1,A,2024-01-01,subscription,2024-01-01,2024-02-01,10.00,USD,1,p,\n"
    )
    env = {"NETRETAIN_ENGINE": "postgres", "NETRETAIN_POSTGRES_URL": "postgresql://x@127.0.0.1:1/x"}
    db = tmp_path / "a.duckdb"
    result = CliRunner().invoke(
        app,
        ["ingest", "--db", str(db), "--engine", "duckdb", "--invoice-lines", str(lines)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    gc.collect()
    assert db.exists()


def test_engine_unset_reads_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETRETAIN_ENGINE", "nosuch")
    with pytest.raises(Exception, match="unknown engine 'nosuch'"):
        open_store()


def test_memory_limit_given_beats_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRETAIN_MEMORY_LIMIT", "1GB")
    given = open_store("duckdb", db=tmp_path / "a.duckdb", memory_limit="3GB")
    unset = open_store("duckdb", db=tmp_path / "b.duckdb")
    assert (memory_limit(given), memory_limit(unset)) == ("2.7 GiB", "953.6 MiB")


def test_a_ledger_file_is_capped_at_3gb_unless_the_machine_is_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3GB for a file (DuckDB's own 80% of RAM where that is less); none for an in-memory one."""
    monkeypatch.delenv("NETRETAIN_MEMORY_LIMIT", raising=False)

    def ram(gib: int) -> None:  # 4 KiB pages
        monkeypatch.setattr(os, "sysconf", lambda n: gib * 2**18 if n == "SC_PHYS_PAGES" else 4096)

    ram(16)
    assert memory_limit(open_store("duckdb", db=tmp_path / "a.duckdb")) == "2.7 GiB"
    assert duckdb_engine.default_memory_limit(":memory:") is None
    ram(2)
    assert duckdb_engine.default_memory_limit(str(tmp_path / "b.duckdb")) is None


def test_schema_given_at_its_default_beats_the_variable(
    pg_server: servers.PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRETAIN_SCHEMA", "elsewhere")
    given = open_store("postgres", postgres_url=pg_server.url, schema="netretain")
    unset = open_store("postgres", postgres_url=pg_server.url)
    assert isinstance(given, PostgresStore) and given.schema == "netretain"
    assert isinstance(unset, PostgresStore) and unset.schema == "elsewhere"


def test_postgres_url_given_beats_the_variable(
    pg_server: servers.PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRETAIN_POSTGRES_URL", "postgresql://nobody@127.0.0.1:1/nowhere")
    store = open_store("postgres", postgres_url=pg_server.url)
    assert isinstance(store, PostgresStore)


def test_spark_master_and_warehouse_given_beat_the_variables(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETRETAIN_SPARK_MASTER", "spark://127.0.0.1:1")
    monkeypatch.setenv("NETRETAIN_WAREHOUSE", str(tmp_path / "from-variable"))
    given = open_store("spark", spark_master="local[*]", warehouse=tmp_path / "given")
    unset = open_store("spark")
    assert isinstance(given, SparkStore) and isinstance(unset, SparkStore)
    assert (given.master, given.warehouse.root) == ("local[*]", tmp_path / "given")
    assert (unset.master, unset.warehouse.root) == (
        "spark://127.0.0.1:1",
        tmp_path / "from-variable",
    )
