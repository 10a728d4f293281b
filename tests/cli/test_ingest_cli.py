"""`netretain ingest`: counts, rejects at their file/row/column, --strict, re-ingests, --replace."""

from __future__ import annotations

import csv
import io
import shutil
from decimal import Decimal
from pathlib import Path

from .conftest import (
    BAD_CELLS,
    GOOD_LINES,
    Files,
    Small,
    assert_clean_error,
    invoke,
    invoke_json,
    snapshot,
    validate,
    write_lines,
)

REJECT_COLUMNS = ["file", "row", "column", "reason", "value"]


def test_json_counts_rows_and_locates_each_reject(small: Small, files: Files) -> None:
    out = validate("ingest", small.output)
    assert out["ingest_id"] == 1
    assert (out["accepted"], out["rejected"], out["unchanged"], out["replaced"]) == (9, 5, 0, 0)
    by_kind = {f["kind"]: f for f in out["files"]}
    assert [f["kind"] for f in out["files"]] == ["fx_rates", "customers", "invoice_lines"]
    assert (by_kind["invoice_lines"]["accepted"], by_kind["invoice_lines"]["rejected"]) == (3, 5)
    assert by_kind["fx_rates"]["accepted"] == by_kind["customers"]["accepted"] == 3
    assert not any(f["skipped"] for f in out["files"])
    # Five bad rows, six problems: row 9 has a bad amount and a bad type, and counts once.
    assert [(r["row"], r["column"]) for r in out["rejects"]] == BAD_CELLS
    assert {r["file"] for r in out["rejects"]} == {str(files.lines)}
    assert all(r["reason"].strip() for r in out["rejects"])
    values = {(r["row"], r["column"]): r["value"] for r in out["rejects"]}
    assert values[5, "amount"] == "12,5x"
    assert values[6, "invoice_date"] == "2024-13-45"
    assert values[9, "type"] == "refund"


def test_rejects_are_kept_in_the_ledger(small: Small) -> None:
    kept = invoke_json("rejects", "--db", small.db, schema="rejects")
    assert [{k: r[k] for k in REJECT_COLUMNS} for r in kept] == small.output["rejects"]
    assert {(r["ingest_id"], r["kind"]) for r in kept} == {(1, "invoice_lines")}
    assert invoke_json("rejects", "--db", small.db, "--ingest", "2", schema="rejects") == []


def test_good_rows_reach_the_report(small: Small) -> None:
    months = invoke_json("movements", "--db", small.db, schema="movements")
    # A 100 USD, B 200 EUR at 1.10; February: A expands to 150, B's line was rejected, so B churns.
    assert [(m["month"], m["mrr"], m["customers"]) for m in months] == [
        ("2024-01", 320.0, 2),
        ("2024-02", 150.0, 1),
    ]
    assert (months[1]["expansion"], months[1]["churn"]) == (50.0, 220.0)


def test_strict_on_a_new_ledger_ingests_nothing(files: Files, tmp_path: Path) -> None:
    db = tmp_path / "l.duckdb"
    result = invoke("ingest", "--db", db, *files.args(), "--strict", code=1)
    assert_clean_error(
        result,
        "--strict: 5 row(s) rejected, nothing ingested",
        f"{files.lines}, row 5, column amount",
        f"{files.lines}, row 9, column type",
    )
    # Not even the good FX rates and customers went in.
    assert_clean_error(invoke("report", "--db", db, code=1), "empty", "netretain ingest")
    assert_clean_error(invoke("customers", "--db", db, code=1), "empty")
    assert invoke_json("rejects", "--db", db, schema="rejects") == []


def test_strict_on_a_ledger_leaves_it_as_it_was(demo_copy: Path, files: Files) -> None:
    before = snapshot(demo_copy)
    result = invoke("ingest", "--db", demo_copy, "--invoice-lines", files.lines, "--strict", code=1)
    assert_clean_error(result, "--strict:", "nothing ingested", "row 5, column amount")
    assert snapshot(demo_copy) == before


def test_reingesting_changes_nothing(small_copy: Path, files: Files, tmp_path: Path) -> None:
    before = snapshot(small_copy)
    again = invoke_json("ingest", "--db", small_copy, *files.args(), schema="ingest")
    assert (again["accepted"], again["rejected"], again["rejects"]) == (0, 0, [])
    assert all(f["skipped"] for f in again["files"])
    # The same content under another name is the same file.
    renamed = shutil.copyfile(files.lines, tmp_path / "lines-again.csv")
    twice = invoke_json("ingest", "--db", small_copy, "--invoice-lines", renamed, schema="ingest")
    assert twice["files"][0]["skipped"] and twice["accepted"] == 0
    # Another file holding rows already ingested: read, and every row is unchanged.
    shuffled = write_lines(tmp_path / "shuffled.csv", list(reversed(GOOD_LINES)))
    out = invoke_json("ingest", "--db", small_copy, "--invoice-lines", shuffled, schema="ingest")
    assert not out["files"][0]["skipped"]
    assert (out["accepted"], out["unchanged"], out["rejected"], out["replaced"]) == (0, 3, 0, 0)
    assert snapshot(small_copy) == before


CHANGED = [line.replace("150.00", "175.00") for line in GOOD_LINES]  # L2, row 3: 150 -> 175


def test_a_changed_row_is_a_conflict_without_replace(small_copy: Path, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "changed.csv", CHANGED)
    before = snapshot(small_copy)
    refused = invoke_json("ingest", "--db", small_copy, "--invoice-lines", path, schema="ingest")
    assert (refused["accepted"], refused["rejected"], refused["unchanged"]) == (0, 1, 2)
    [conflict] = refused["rejects"]
    assert (conflict["file"], conflict["row"], conflict["column"]) == (str(path), 3, "line_id")
    assert conflict["value"] == "L2" and "ingest it again with replace" in conflict["reason"]
    after = snapshot(small_copy)
    assert after["report"] == before["report"] and after["movements"] == before["movements"]
    assert after["rejects"][len(before["rejects"]) :] == [
        {"ingest_id": 2, "kind": "invoice_lines", **conflict}
    ]


def test_csv_is_the_summary_of_each_file(small_copy: Path, tmp_path: Path) -> None:
    """One row per file: read = accepted + replaced + unchanged + rejected (issue 10)."""
    path = write_lines(tmp_path / "changed.csv", CHANGED)
    text = invoke("ingest", "--db", small_copy, "--invoice-lines", path, "-f", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [
        {
            "kind": "invoice_lines",
            "file": str(path),
            "read": "3",
            "accepted": "0",
            "replaced": "0",
            "unchanged": "2",
            "rejected": "1",
            "note": "",
        }
    ]
    again = invoke("ingest", "--db", small_copy, "--invoice-lines", path, "-f", "csv").stdout
    [skipped] = list(csv.DictReader(io.StringIO(again)))
    assert skipped["read"] == "0"
    assert skipped["note"].startswith("already ingested on 20")
    assert skipped["note"].endswith(" (same sha256); nothing to do")


def test_table_shows_files_and_rejects(small_copy: Path, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "changed.csv", CHANGED)
    shown = invoke("ingest", "--db", small_copy, "--invoice-lines", path).stdout
    for figure in ("ingest 2", "invoice_lines", "1 rejected row(s)", "line_id", "L2"):
        assert figure in shown, shown
    assert "netretain rejects" in shown


def feb_mrr(db: Path) -> Decimal:
    feb = invoke_json("movements", "--db", db, "--from", "2024-02", schema="movements")[0]
    return Decimal(str(feb["mrr"]))


def test_replace_applies_a_correction(small_copy: Path, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "changed.csv", CHANGED)
    out = invoke_json(
        "ingest", "--db", small_copy, "--invoice-lines", path, "--replace", schema="ingest"
    )
    assert (out["accepted"], out["replaced"], out["unchanged"], out["rejected"]) == (0, 1, 2, 0)
    assert feb_mrr(small_copy) == Decimal("175.00")


def test_replace_after_a_conflict_on_the_same_file(small_copy: Path, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "changed.csv", CHANGED)
    invoke_json("ingest", "--db", small_copy, "--invoice-lines", path, schema="ingest")
    out = invoke_json(
        "ingest", "--db", small_copy, "--invoice-lines", path, "--replace", schema="ingest"
    )
    assert out["replaced"] == 1
    assert feb_mrr(small_copy) == Decimal("175.00")


def test_no_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("ingest", "--db", tmp_path / "l.duckdb", code=2)
    assert "name at least one file" in result.output


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    result = invoke("ingest", "--db", tmp_path / "l.duckdb", "--invoice-lines", missing, code=2)
    assert "nope.csv" in result.output and "does not exist" in result.output
    assert "Traceback" not in result.output


def test_running_out_of_memory_is_one_line_naming_the_limit(tmp_path: Path, files: Files) -> None:
    """DuckDB's out-of-memory error (a statement that cannot spill) names the flag that helps;
    the new ledger is left with nothing in it."""
    db = tmp_path / "tiny.duckdb"
    args = ("ingest", "--db", db, "--memory-limit", "1MB", "--invoice-lines", files.lines)
    result = invoke(*args, code=1)
    assert_clean_error(result, "ran out of the memory it may use")
    assert "nothing was changed: give it more with --memory-limit 8GB" in result.output
    assert invoke_json("check", "--db", db, schema="check")["ok"]


def test_memory_limit_caps_duckdb(small_copy: Path, files: Files, monkeypatch) -> None:
    from netretain.engines import open_store

    monkeypatch.setenv("NETRETAIN_MEMORY_LIMIT", "1GB")
    store = open_store("duckdb", db=small_copy)
    limit = store.raw.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert limit == "953.6 MiB"  # DuckDB counts 1GB as 10^9 bytes
    store.close()
    data = invoke_json(
        "ingest", "--db", small_copy, "--invoice-lines", files.lines, schema="ingest"
    )
    assert data["accepted"] == 0  # the same file again: nothing new, under the limit
    result = invoke(
        "ingest",
        "--db",
        small_copy,
        "--memory-limit",
        "lots",
        "--invoice-lines",
        files.lines,
        code=1,
    )
    assert_clean_error(result, "memory limit 'lots'")
