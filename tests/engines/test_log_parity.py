"""The revenue log is the same on every engine: leaf bytes, leaf hashes, block roots and heads.

Each engine builds the leaves in its own SQL (engines/hashing.py); DuckDB is the reference, and the
reference of the reference is `transparency.leaves` (tests/transparency/test_log.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from netretain import Ledger
from netretain.transparency import merkle
from netretain.transparency.heads import verify_head
from tests.engines.conftest import ENGINES


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def log_rows(ledger: Ledger) -> list[dict[str, Any]]:
    t = ledger.table("log_leaves")
    return ledger.execute(t.order_by("idx")).to_pylist()


def test_leaves_and_their_hashes_are_byte_identical(
    ledgers: dict[str, Ledger], engine: str
) -> None:
    expected, actual = log_rows(ledgers["duckdb"]), log_rows(ledgers[engine])
    assert len(expected) > 3000
    assert [r["leaf"] for r in actual] == [r["leaf"] for r in expected]
    assert actual == expected
    hashes = ledgers[engine].log_leaf_hashes()
    assert hashes == [merkle.hash_leaf(r["leaf"].encode()) for r in expected]


def test_block_roots_and_heads_are_identical(ledgers: dict[str, Ledger], engine: str) -> None:
    reference, ledger = ledgers["duckdb"], ledgers[engine]
    nodes = ledger.table("log_nodes").order_by("start")
    assert (
        ledger.execute(nodes).to_pylist()
        == reference.execute(reference.table("log_nodes").order_by("start")).to_pylist()
    )
    mine, theirs = ledger.log_heads(), reference.log_heads()
    assert [(h.head.size, h.head.root, h.head.sources) for h in mine] == [
        (h.head.size, h.head.root, h.head.sources) for h in theirs
    ]
    for signed in mine:
        verify_head(signed, ledger.public_key())
    assert mine[-1].head.root == merkle.root_of_hashes(reference.log_leaf_hashes())


def test_proofs_are_identical(ledgers: dict[str, Ledger], engine: str) -> None:
    reference, ledger = ledgers["duckdb"], ledgers[engine]
    size = ledger.log_head().head.size  # type: ignore[union-attr]
    picks = [0, 1, size // 3, size - 1]
    assert ledger.inclusion_proofs(picks) == reference.inclusion_proofs(picks)
    assert ledger.consistency_proof(size // 2) == reference.consistency_proof(size // 2)


def test_a_clean_ledger_verifies_on_every_engine(ledgers: dict[str, Ledger], engine: str) -> None:
    verdict = ledgers[engine].verify()
    assert verdict.ok, verdict.problem


def test_subtree_roots_and_the_customer_index_are_identical(
    ledgers: dict[str, Ledger], engine: str
) -> None:
    def rows(ledger: Ledger, name: str, *order: str) -> list[dict[str, Any]]:
        return ledger.execute(ledger.table(name).order_by(*order)).to_pylist()

    reference, ledger = ledgers["duckdb"], ledgers[engine]
    levels = rows(ledger, "log_levels", "height", "start")
    assert levels and levels == rows(reference, "log_levels", "height", "start")
    index = rows(ledger, "log_customers", "customer_id", "idx")
    assert index and index == rows(reference, "log_customers", "customer_id", "idx")
