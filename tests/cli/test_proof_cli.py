"""The proof commands end to end on a ledger ingested by the CLI: statement, verify-statement,
report --sign, verify-report and portal-link; every JSON against its schema; one changed digit
fails; the verify commands need no ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netretain.transparency.keys import init_keys, load_public_key
from netretain.transparency.tokens import check_token
from tests.transparency.test_statement import run_doc_script

from .conftest import Files, assert_clean_error, invoke, invoke_json, validate


@pytest.fixture(scope="module")
def db(files: Files, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("proofs") / "ledger.duckdb"
    invoke(
        "ingest",
        "--db",
        path,
        "--fx-rates",
        files.fx_rates,
        "--customers",
        files.customers,
        "--invoice-lines",
        files.good_lines,
    )
    return path


def pub(db: Path) -> Path:
    return Path(f"{db}.pub")


def test_statement_verifies_with_the_public_key_alone(db: Path, tmp_path: Path) -> None:
    statement = invoke_json("statement", "A", "--db", db, schema="statement")
    assert statement["customer_id"] == "A" and len(statement["leaves"]) == 3  # account + 2 lines
    assert [h["mrr"] for h in statement["history"]] == ["100.00", "150.00"]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(statement, indent=2), encoding="utf-8")
    done = invoke_json("verify-statement", path, "--public-key", pub(db), schema="verify-statement")
    assert (done["customer_id"], done["facts"], done["months"]) == ("A", 3, 2)
    assert done["head"]["root"] == statement["head"]["head"]["root"]
    table = invoke("verify-statement", path, "--public-key", pub(db)).stdout
    assert table.startswith("OK A: 3 facts verified against the signed log of")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('\\"150.00\\"', '\\"150.01\\"', "is not in the signed log"),  # in a fact
        ('"mrr": "150.00"', '"mrr": "150.01"', "bad signature: the statement's history"),
    ],
)
def test_a_statement_changed_by_one_digit_fails(
    db: Path, tmp_path: Path, old: str, new: str, reason: str
) -> None:
    text = invoke("statement", "A", "--db", db, "--format", "json").stdout
    assert text.count(old) == 1
    path = tmp_path / "a.json"
    path.write_text(text.replace(old, new), encoding="utf-8")
    result = invoke("verify-statement", path, "--public-key", pub(db), code=1)
    assert_clean_error(result, reason)


def test_the_docs_script_verifies_a_real_statement(db: Path, tmp_path: Path) -> None:
    statement = json.loads(invoke("statement", "B", "--db", db, "--format", "json").stdout)
    result = run_doc_script(tmp_path, statement, pub(db))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: 2 leaves in the signed log of ")
    assert statement["history"][0]["mrr"] == "220.00"  # 200 EUR at 1.10
    statement["history"][0]["mrr"] = "220.01"
    assert "InvalidSignature" in run_doc_script(tmp_path, statement, pub(db)).stderr


def test_statement_html_is_written(db: Path, tmp_path: Path) -> None:
    result = invoke("statement", "B", "--db", db, "--html", tmp_path / "b.html")
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "statement-data" in html and "crypto.subtle" in html
    assert "MRR history" in result.stdout and "wrote" in result.stderr
    both = invoke("statement", "B", "--db", db, "--html", tmp_path / "c.html", "-f", "json")
    assert json.loads(both.stdout)["customer_id"] == "B"  # the note went to stderr


def test_an_unknown_customer_gets_no_statement(db: Path) -> None:
    assert_clean_error(invoke("statement", "Z", "--db", db, code=1), "no customer 'Z'")


def test_signed_report_verifies_and_one_digit_fails(db: Path, tmp_path: Path) -> None:
    text = invoke("report", "--db", db, "--as-of", "2024-02", "--sign").stdout
    signed = json.loads(text)
    validate("signed-report", signed)
    assert signed["report"]["total_mrr"] == "150.00"  # exact decimal text: A's February line
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    done = invoke_json("verify-report", path, "--public-key", pub(db), schema="verify-report")
    assert done["anchored"] is None and done["as_of"] == "2024-02"
    path.write_text(
        text.replace('"total_mrr": "150.00"', '"total_mrr": "150.01"'), encoding="utf-8"
    )
    result = invoke("verify-report", path, "--public-key", pub(db), code=1)
    assert_clean_error(result, "bad signature")


def test_a_report_checked_with_another_key_fails(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(invoke("report", "--db", db, "--sign").stdout, encoding="utf-8")
    other = init_keys(tmp_path / "other")
    assert_clean_error(
        invoke("verify-report", path, "--public-key", other.public, code=1), "another key"
    )


def test_portal_link_carries_a_token_for_that_customer(db: Path) -> None:
    link = invoke_json("portal-link", "A", "--db", db, "--expires", "2h", schema="portal-link")
    assert link["url"].startswith("http://127.0.0.1:8000/portal/A?token=")
    claims = check_token(link["token"], load_public_key(pub(db)), "A")
    assert claims.expires - claims.issued == 7200
    bad = invoke("portal-link", "A", "--db", db, "--expires", "forever", code=2)
    assert "not a lifetime" in bad.output
