"""`verify` against a ledger file edited behind netretain's back: each edit is named, in one
sentence, and the command exits 1; a clean ledger verifies; `--since` proves the log only grew."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from netretain import Ledger
from netretain.ledger import proofs
from netretain.transparency.statement import verify_statement
from tests.cli.conftest import assert_clean_error, invoke, invoke_json, validate
from tests.conftest import Inputs, mrr_rows

LEDGER = "books.duckdb"


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ledger file of two ingests (the second corrects a row), its key pair beside it."""
    directory = tmp_path_factory.mktemp("original")
    inputs = Inputs(directory)
    ledger = Ledger(directory / LEDGER)
    first = [
        *mrr_rows("a", "2024-01", "2024-03", "50.00"),
        *mrr_rows("b", "2024-01", "2024-03", "80.00"),
    ]
    ledger.ingest(
        mrr=inputs.mrr(first, name="one.csv"),
        customers=inputs.customers([("a", "Ann"), ("b", "Bo")]),
    )
    second = [("a", "2024-02", "55.00", "USD"), ("c", "2024-03", "10.00", "USD")]
    ledger.ingest(mrr=inputs.mrr(second, name="two.csv"), replace=True)
    (directory / "head-1.json").write_text(json.dumps(ledger.log_heads()[0].to_dict()))
    ledger.close()
    return directory


@pytest.fixture
def books(original: Path, tmp_path: Path) -> Path:
    """A fresh copy of the ledger file (and its keys) to tamper with."""
    for name in (LEDGER, f"{LEDGER}.key", f"{LEDGER}.pub", "head-1.json"):
        shutil.copy2(original / name, tmp_path / name)
    (tmp_path / f"{LEDGER}.key").chmod(0o600)
    return tmp_path / LEDGER


def tamper(db: Path, *statements: str) -> None:
    con = duckdb.connect(str(db))
    for statement in statements:
        con.execute(statement)
    con.close()


def problem(db: Path) -> str:
    with Ledger(db, read_only=True) as ledger:
        verdict = ledger.verify()
    assert not verdict.ok
    return verdict.problem


def test_a_clean_ledger_verifies(books: Path) -> None:
    with Ledger(books, read_only=True) as ledger:
        verdict = ledger.verify()
    assert verdict.ok, verdict.problem
    assert verdict.checked == (
        "heads",
        "leaves",
        "roots",
        "customer index",
        "inputs",
        "derived tables",
    )
    assert (verdict.size, verdict.heads) == (10, 2)
    out = invoke("verify", "--db", books, "--since", books.parent / "head-1.json")
    assert "verified: 10 leaves under 2 signed heads" in out.stdout
    assert "extends the saved head of 8 leaves" in out.stdout.replace("\n", " ")


def test_a_changed_amount_is_named(books: Path) -> None:
    tamper(books, "UPDATE input_mrr SET mrr = 51 WHERE customer_id = 'a' AND month_index = 24288")
    assert problem(books) == (
        'input_mrr row ["a","2024-01","USD"] differs from leaf 2: '
        "it was changed behind netretain's back"
    )
    assert_clean_error(
        invoke("verify", "--db", books, code=1), "verify failed", "differs from leaf 2"
    )


def test_a_deleted_row_is_named(books: Path) -> None:
    tamper(books, "DELETE FROM input_mrr WHERE customer_id = 'b' AND month_index = 24289")
    assert problem(books) == (
        'leaf 6 (mrr ["b","2024-02","USD"]) has no row in input_mrr: '
        "the row was deleted behind netretain's back"
    )


def test_an_inserted_row_is_named(books: Path) -> None:
    copy = "SELECT 'z', month_index, mrr, currency, _file, 99, _ingest_id FROM input_mrr LIMIT 1"
    tamper(books, f"INSERT INTO input_mrr {copy}")
    found = problem(books)
    assert found.startswith('input_mrr has a row with key ["z",') and "row 99)" in found
    assert found.endswith("that is in no leaf of the log: it was inserted behind netretain's back")


def test_a_copied_row_is_named(books: Path) -> None:
    tamper(books, "INSERT INTO input_mrr SELECT * FROM input_mrr WHERE customer_id = 'c'")
    assert problem(books) == "input_mrr holds a key twice: a row was copied behind netretain's back"


def test_swapped_heads_are_named(books: Path) -> None:
    tamper(books, "UPDATE log_heads SET seq = 1 - seq")
    assert (
        problem(books)
        == "head 0 follows another head: the heads were reordered or the first removed"
    )


def test_a_changed_derived_table_is_named(books: Path) -> None:
    # mrr is a view of movements on DuckDB: the stored table behind both is the one changed
    tamper(
        books,
        "UPDATE movements SET mrr_cents = mrr_cents + 1 "
        "WHERE customer_id = 'b' AND month_index = 24290",
    )
    assert problem(books) == (
        "derived table movements does not follow from the input rows: 1 row(s) not in a rebuild, "
        "1 row(s) of a rebuild missing"
    )


def test_a_truncated_log_is_named(books: Path) -> None:
    tamper(books, "DELETE FROM log_leaves WHERE idx >= 8")
    assert problem(books) == (
        "the log holds 8 leaves but its last signed head signs 10: leaves were removed"
    )


def test_a_customer_left_out_of_the_index_is_named(books: Path) -> None:
    tamper(books, "DELETE FROM log_customers WHERE customer_id = 'a' AND idx = 0")
    assert problem(books) == "log_customers does not index exactly the leaves of each customer"


def test_a_log_made_before_the_levels_and_the_index_verifies_and_proves(books: Path) -> None:
    tamper(books, "DROP TABLE log_levels", "DROP TABLE log_customers")
    with Ledger(books, read_only=True) as ledger:
        assert ledger.verify().ok
        done = verify_statement(proofs.statement(ledger, "a"), ledger.public_key())
    assert {r["row"]["customer_id"] for r in done.records} == {"a"} and len(done.records) >= 2


def test_a_forged_subtree_root_is_named(books: Path) -> None:
    tamper(books, f"INSERT INTO log_levels VALUES (11, 0, '{'ab' * 32}')")
    assert problem(books) == "log_levels does not hold the subtree roots of the block roots"


def test_an_edited_leaf_is_named_by_its_hash_or_the_root(books: Path) -> None:
    tamper(books, "UPDATE log_leaves SET leaf = replace(leaf, '50.00', '5.00') WHERE idx = 2")
    assert problem(books) == "leaf 2 (mrr): its hash does not match its bytes"
    tamper(
        books, "UPDATE log_leaves SET leaf_hash = sha256(unhex('00') || encode(leaf)) WHERE idx = 2"
    )
    assert problem(books) == "head 0 (size 8): the leaves do not hash to its signed root"


def test_a_forged_head_signature_is_named(books: Path) -> None:
    edit = "head = replace(head, '\"size\":10', '\"size\":11'), size = 11"
    tamper(books, f"UPDATE log_heads SET {edit} WHERE seq = 1")
    assert problem(books) == "head 1: bad signature on the head of size 11"


def test_since_fails_for_a_head_of_a_rewritten_log(books: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    inputs = Inputs(other)
    with Ledger(other / "x.duckdb", key=books.parent / f"{LEDGER}.key") as rewritten:
        rows = [
            *mrr_rows("a", "2024-01", "2024-03", "49.00"),
            *mrr_rows("b", "2024-01", "2024-03", "80.00"),
        ]
        rewritten.ingest(mrr=inputs.mrr(rows, name="one.csv"))
        saved = other / "head.json"
        saved.write_text(json.dumps(rewritten.log_head().to_dict()))  # type: ignore[union-attr]
    result = invoke("verify", "--db", books, "--since", saved, code=1)
    assert_clean_error(result, "is not an append-only extension of the saved head (size 6)")
    not_a_head = tmp_path / "nothing.json"
    not_a_head.write_text("{}")
    assert_clean_error(
        invoke("verify", "--db", books, "--since", not_a_head, code=1), "not a signed tree head"
    )


def test_log_verify_and_keys_json_follow_their_schemas(books: Path, tmp_path: Path) -> None:
    heads = invoke_json("log", "--db", books, schema="log")
    assert heads["size"] == 10 and [h["head"]["size"] for h in heads["heads"]] == [8, 10]
    last = json.loads(invoke("log", "--db", books, "--head").stdout)
    assert last == heads["heads"][-1]
    verdict = invoke_json(
        "verify", "--db", books, "--since", books.parent / "head-1.json", schema="verify"
    )
    assert verdict["ok"] and verdict["since"] == {"size": 8} and verdict["problem"] is None
    tamper(books, "DELETE FROM log_leaves WHERE idx = 9")
    failed = invoke("verify", "--db", books, "--format", "json", code=1)
    body = validate("verify", json.loads(failed.stdout))
    assert body["ok"] is False and body["checked"] == [] and "9 leaves" in body["problem"]
    pair = invoke_json("keys", "init", "--dir", tmp_path / "k", schema="keys-init")
    assert Path(pair["private"]).stat().st_mode & 0o077 == 0
    assert_clean_error(invoke("keys", "init", "--dir", tmp_path / "k", code=1), "never overwritten")
