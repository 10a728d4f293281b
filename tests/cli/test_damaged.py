"""A missing or damaged ledger (issue 10, item 4): one clear message, never a traceback, never a
silently created empty ledger; `check` names a damaged table and `rebuild` mends a derived one."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from netretain import Ledger
from netretain.cli.app import app
from netretain.errors import LedgerError
from netretain.ledger.check import CHECKSUM_TABLE

from .conftest import (
    ENV,
    Demo,
    Files,
    assert_clean_error,
    copy_ledger,
    invoke,
    invoke_json,
    validate,
)

READERS = [
    ("report",),
    ("movements",),
    ("customers",),
    ("rejects",),
    ("compare",),
    ("trend",),
    ("check",),
    ("rebuild",),
]


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_missing_ledger_is_not_created(command: tuple[str, ...], tmp_path: Path) -> None:
    typo = tmp_path / "acme.duckbd"
    result = invoke(*command, "--db", typo, code=1)
    assert_clean_error(result, f"no ledger at {typo}: create one with netretain ingest")
    assert not typo.exists()
    assert not Path(f"{typo}.lock").exists()


def test_ingest_creates_a_ledger(files: Files, tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    invoke("ingest", "--db", db, *files.args(files.good_lines))
    assert db.exists()
    invoke("report", "--db", db)


def test_library_missing_file(files: Files, tmp_path: Path) -> None:
    db = tmp_path / "lib.duckdb"
    with pytest.raises(
        LedgerError, match=re.escape(f"no ledger at {db}: create one with Ledger.ingest")
    ):
        Ledger(db).report()
    with pytest.raises(LedgerError, match="no ledger at"):
        Ledger(db, read_only=True)
    assert not db.exists()
    ledger = Ledger(db)  # the README's way: the first ingest creates the file
    ledger.ingest(invoice_lines=files.good_lines, fx_rates=files.fx_rates)
    assert ledger.report().as_of
    ledger.close()
    memory = Ledger(":memory:")
    memory.ingest(invoice_lines=files.good_lines, fx_rates=files.fx_rates)
    assert memory.check().ok


def truncated(demo: Demo, path: Path) -> None:
    # cut to a third: past the first third lies table data the open does not read (the log)
    path.write_bytes(demo.db.read_bytes()[: demo.db.stat().st_size // 3])


def sqlite_file(demo: Demo, path: Path) -> None:
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE mrr (customer_id TEXT)")


DAMAGE = {
    "truncated": truncated,
    "header only": lambda demo, p: p.write_bytes(demo.db.read_bytes()[:10]),
    "zeroed": lambda demo, p: p.write_bytes(bytes(demo.db.stat().st_size)),
    "empty": lambda demo, p: p.write_bytes(b""),
    "csv": lambda demo, p: p.write_bytes((demo.data / "customers.csv").read_bytes()),
    "sqlite": sqlite_file,
}


@pytest.mark.parametrize("how", sorted(DAMAGE))
@pytest.mark.parametrize("command", [("report",), ("check",), ("ingest", "--fx-rates")])
def test_a_damaged_file_is_one_message(
    demo: Demo, tmp_path: Path, how: str, command: tuple[str, ...]
) -> None:
    db = tmp_path / "ledger.duckdb"
    DAMAGE[how](demo, db)
    before = db.read_bytes()
    args = [*command, demo.data / "fx_rates.csv"] if command[0] == "ingest" else list(command)
    result = invoke(*args, "--db", db, code=1)
    assert_clean_error(
        result,
        f"the ledger {db} cannot be read",
        "damaged or is not a netretain ledger",
        "the input files can rebuild it",
        "netretain ingest",
    )
    assert db.read_bytes() == before  # never overwritten


def test_check_a_whole_ledger(demo_copy: Path) -> None:
    data = invoke_json("check", "--db", demo_copy, schema="check")
    assert data["ok"]
    tables = {t["table"]: t for t in data["tables"]}
    assert {"input_invoice_lines", "rejects", "mrr", "movements", "ledger_meta"} <= set(tables)
    assert all(t["status"] == "ok" for t in tables.values())
    assert tables["rejects"]["rows"] == 7  # the demo's bad rows
    assert tables["mrr"]["derived"] and not tables["input_invoice_lines"]["derived"]


def tamper(db: Path, sql: str) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute(sql)


@pytest.mark.parametrize(
    ("sql", "tables", "detail"),
    [
        (
            "UPDATE movements SET churn = churn + 1 WHERE churn > 0",
            ["movements"],
            "content differs",
        ),
        # mrr is a view of movements on DuckDB: rows gone from one are gone from both
        (
            "DELETE FROM movements WHERE month_index % 2 = 0",
            ["movements", "mrr"],
            "row count differs",
        ),
        ("DROP VIEW mrr", ["mrr"], "recorded but not in the ledger"),
        ("DROP TABLE revenue_lines", ["revenue_lines"], "recorded but not in the ledger"),
    ],
)
def test_check_names_a_damaged_derived_table_and_rebuild_mends_it(
    demo_copy: Path, sql: str, tables: list[str], detail: str
) -> None:
    report = invoke("report", "--db", demo_copy, "--format", "json").stdout
    tamper(demo_copy, sql)
    result = invoke("check", "--db", demo_copy, code=1)
    named = ", ".join(tables)
    assert_clean_error(result, f"damaged: {named} (derived: `netretain rebuild` rebuilds them)")
    data = json.loads(invoke("check", "--db", demo_copy, "-f", "json", code=1).stdout)
    found = {t["table"]: t for t in validate("check", data)["tables"]}
    assert all(found[t]["detail"] == detail for t in tables)
    assert [t for t in found.values() if t["status"] != "ok"] == [found[t] for t in tables]
    rebuilt = invoke_json("rebuild", "--db", demo_copy, schema="check")
    assert rebuilt["ok"]
    invoke("check", "--db", demo_copy)
    assert invoke("report", "--db", demo_copy, "--format", "json").stdout == report


def test_a_damaged_input_table_cannot_be_rebuilt(demo_copy: Path) -> None:
    tamper(demo_copy, "DELETE FROM input_invoice_lines WHERE _row % 3 = 0")
    result = invoke("check", "--db", demo_copy, code=1)
    assert_clean_error(result, "input_invoice_lines (inputs or records: ingest the input files")
    result = invoke("rebuild", "--db", demo_copy, code=1)
    assert_clean_error(result, "input_invoice_lines damaged: a rebuild cannot restore them")


def test_a_ledger_without_checksums_is_unrecorded_not_damaged(demo_copy: Path) -> None:
    tamper(demo_copy, f"DROP TABLE {CHECKSUM_TABLE}")
    data = invoke_json("check", "--db", demo_copy, schema="check")
    assert data["ok"]
    assert {t["status"] for t in data["tables"]} == {"unrecorded"}
    invoke("rebuild", "--db", demo_copy)  # records them
    again = invoke_json("check", "--db", demo_copy, schema="check")
    assert {t["status"] for t in again["tables"]} == {"ok"}


def test_corrupt_bytes_are_named_not_a_traceback(demo: Demo, tmp_path: Path) -> None:
    """Bytes flipped inside the file: DuckDB's block checksums notice; every command says so."""
    db = copy_ledger(demo.db, tmp_path / "ledger.duckdb")
    data = bytearray(db.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    db.write_bytes(bytes(data))
    for command in (("check",), ("report",), ("movements",), ("customers", "--limit", "0")):
        result = CliRunner().invoke(app, [*command, "--db", str(db)], env=ENV)
        assert result.exception is None or isinstance(result.exception, SystemExit), command
        assert result.exit_code in (0, 1)
        if result.exit_code:
            assert "damaged" in result.stderr or "cannot be read" in result.stderr


def test_demo_still_replaces_its_ledger(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    db.write_bytes(b"not a ledger")
    args = ("demo", "--customers", "20", "--months", "6", "--db", db, "--format", "json")
    invoke(*args)
    invoke("check", "--db", db)
    shutil.rmtree(tmp_path / "demo-data")
