"""Customer statements verify with no database, and the doc's standalone script agrees."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from netretain.transparency import merkle
from netretain.transparency.errors import VerificationError
from netretain.transparency.heads import next_head, sign_head
from netretain.transparency.statement import build_statement, verify_statement

from .conftest import mrr_leaves

DOC = Path(__file__).resolve().parents[2] / "docs" / "transparency.md"
LEAVES = mrr_leaves(7, 3)  # 21 leaves; customer c2 holds indexes 2, 9 and 16
HASHES = [merkle.hash_leaf(d) for d in LEAVES]


def statement_for(customer: str, key, size: int = len(LEAVES)) -> dict:
    head = sign_head(next_head(None, size, merkle.root_of_hashes(HASHES[:size])), key)
    mine = [
        (i, d) for i, d in enumerate(LEAVES[:size]) if f'"customer_id":"{customer}"' in d.decode()
    ]
    proofs = merkle.inclusion_proofs(HASHES, [i for i, _ in mine], size)
    history = [
        {"month": "2024-01", "mrr": Decimal("121.50"), "new": Decimal("121.50")},
        {"month": "2024-02", "mrr": Decimal("122.50"), "new": Decimal("0.00")},
    ]
    return build_statement(customer, mine, head, proofs, key, currency="USD", history=history)


def test_a_statement_verifies_without_a_database(private_key, public_key) -> None:
    statement = json.loads(json.dumps(statement_for("c2", private_key)))  # as read from a file
    verified = verify_statement(statement, public_key)
    assert verified.indexes == (2, 9, 16)
    assert [r["row"]["month"] for r in verified.records] == ["2024-01", "2024-02", "2024-03"]
    assert verified.head.size == 21
    assert verified.history[1] == {"month": "2024-02", "mrr": "122.50", "new": "0.00"}
    assert (verified.currency, verified.as_of) == ("USD", "2024-02")


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (
            lambda s: s["leaves"][1].update(
                data=s["leaves"][1]["data"].replace("122.50", "123.50")
            ),
            "leaf 9 is not in",
        ),
        (lambda s: s["leaves"][0].update(index=3), "leaf 3 is not in"),
        (lambda s: s["leaves"][2]["proof"].pop(), "leaf 16 is not in"),
        (lambda s: s["head"]["head"].update(size=22), "bad signature"),
        (lambda s: s.update(customer_id="c3"), "belongs to 'c2', not 'c3'"),
        (lambda s: s["history"][0].update(mrr="121.51"), "bad signature: the statement's"),
        (lambda s: s.update(currency="EUR"), "bad signature: the statement's"),
        (lambda s: s["leaves"].pop(), "bad signature: the statement's"),
        (lambda s: s.update(key_id="00" * 32), "signed by another key"),
    ],
)
def test_a_changed_statement_names_what_fails(private_key, public_key, tamper, reason) -> None:
    statement = statement_for("c2", private_key)
    tamper(statement)
    with pytest.raises(VerificationError, match=re.escape(reason)):
        verify_statement(json.dumps(statement), public_key)


def doc_script() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### Verifying by hand") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def run_doc_script(tmp_path: Path, statement: dict, public_key_file: Path):
    script = tmp_path / "verify_statement.py"
    script.write_text(doc_script(), encoding="utf-8")
    path = tmp_path / "statement.json"
    path.write_text(json.dumps(statement, indent=2, ensure_ascii=False), encoding="utf-8")
    command = [sys.executable, "-I", str(script), str(path), str(public_key_file)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_the_docs_script_is_short_and_needs_no_netretain() -> None:
    script = doc_script()
    domains = ("netretain tree head v1", "netretain customer statement v1")
    assert "netretain" not in script.replace(domains[0], "").replace(domains[1], "")
    assert len(script.strip().splitlines()) <= 24


def test_the_docs_script_verifies_a_true_statement(tmp_path, keys, private_key) -> None:
    # -I isolates the script from this checkout: it cannot import netretain even by accident.
    result = run_doc_script(tmp_path, statement_for("c2", private_key, size=19), keys.public)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: 3 leaves in the signed log of 19")


def test_the_docs_script_rejects_a_changed_amount_and_a_forged_head(
    tmp_path, keys, private_key
) -> None:
    statement = statement_for("c2", private_key)
    leaf = statement["leaves"][0]
    leaf["data"] = leaf["data"].replace("121.50", "121.51")
    result = run_doc_script(tmp_path, statement, keys.public)
    assert result.returncode != 0 and "leaf 2 is NOT in the log" in result.stderr

    statement = statement_for("c2", private_key)
    statement["head"]["head"]["time"] = "2020-01-01T00:00:00Z"
    result = run_doc_script(tmp_path, statement, keys.public)
    assert result.returncode != 0 and "InvalidSignature" in result.stderr

    statement = statement_for("c2", private_key)
    statement["history"][1]["mrr"] = "122.51"
    result = run_doc_script(tmp_path, statement, keys.public)
    assert result.returncode != 0 and "InvalidSignature" in result.stderr


@pytest.mark.parametrize("junk", ["{}", "[]", '{"v": 1, "head": 3}', "not json"])
def test_junk_is_not_a_statement(public_key, junk) -> None:
    with pytest.raises(VerificationError):
        verify_statement(junk, public_key)
