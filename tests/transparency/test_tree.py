"""The log's stored tree (ledger/tree.py): block roots, the levels above them built ingest by
ingest, and the proofs read from them, against the pure RFC 6962 functions (transparency.merkle)
for any size and index, powers of two or not, inside one block or across many."""

from __future__ import annotations

import hashlib

import ibis.expr.types as ir
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netretain import Ledger
from netretain.core.tables import literal_table
from netretain.errors import LedgerError
from netretain.ledger import log as revenue_log
from netretain.ledger import tree
from netretain.store import Store
from netretain.store.catalogue import LOG_LEAVES
from netretain.transparency import merkle

LEAVES = 9 * tree.CHUNK + 333  # blocks and three levels above them, and a ragged last block
CUTS = (1, 1000, 2048, 2049, 4 * tree.CHUNK + 5, 8 * tree.CHUNK, LEAVES)  # one ingest each


def hashes_of(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


def leaf_rows(hashes: list[bytes], start: int, end: int) -> ir.Table:
    """Log rows holding only an index and a leaf hash (all the tree reads)."""
    rows = {name: [None] * (end - start) for name in LOG_LEAVES}
    rows |= {"idx": list(range(start, end)), "leaf_hash": [h.hex() for h in hashes[start:end]]}
    return literal_table(rows, LOG_LEAVES)


def grow(store: Store, hashes: list[bytes], cuts: tuple[int, ...] | list[int]) -> None:
    """Append the hashes as leaves in ingests ending at `cuts`, as the log step stores them."""
    revenue_log.ensure_tables(store)
    start = 0
    for end in cuts:
        store.append(tree.LEAVES, leaf_rows(hashes, start, end))
        first, last = start // tree.CHUNK * tree.CHUNK, end // tree.CHUNK * tree.CHUNK
        if last > first:
            leaves = store.table(tree.LEAVES)
            store.append(tree.NODES, revenue_log.block_roots(store, leaves, first, last))
        tree.append_levels(store, end)
        start = end


@pytest.fixture(scope="module")
def grown() -> tuple[Store, list[bytes]]:
    hashes = hashes_of(LEAVES)
    store = Ledger().store
    grow(store, hashes, CUTS)
    return store, hashes


def stored_levels(store: Store) -> list[tuple[int, int, str]]:
    rows = store.to_arrow(store.table(tree.LEVELS)).to_pylist()
    return sorted((r["height"], r["start"], r["node"]) for r in rows)


def test_the_levels_hold_every_aligned_subtree_above_the_blocks(grown) -> None:
    store, hashes = grown
    assert stored_levels(store) == sorted(
        (height, start, merkle.range_root(hashes, start, start + (1 << height)).hex())
        for height in (11, 12, 13)
        for start in range(0, LEAVES - (1 << height) + 1, 1 << height)
    )


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_proofs_from_the_stored_levels_verify_for_any_size_and_index(grown, data) -> None:
    store, hashes = grown
    size = data.draw(
        st.one_of(st.integers(1, LEAVES), st.sampled_from([1024, 2048, 2049, 4096, 8192, LEAVES]))
    )
    picks = data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=5))
    root = merkle.root_of_hashes(hashes[:size])
    proofs = tree.inclusion_proofs(store, picks, size)
    assert proofs == merkle.inclusion_proofs(hashes, picks, size)
    for i in picks:
        assert merkle.verify_inclusion(hashes[i], i, size, proofs[i], root)
        changed = bytes([hashes[i][0] ^ 1]) + hashes[i][1:]
        assert not merkle.verify_inclusion(changed, i, size, proofs[i], root)
    assert tree.root(store, size) == root


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_consistency_proofs_from_the_stored_levels_verify(grown, data) -> None:
    store, hashes = grown
    new = data.draw(st.integers(2, LEAVES))
    old = data.draw(st.integers(1, new - 1))
    proof = tree.consistency_proof(store, old, new)
    assert proof == merkle.consistency_proof(hashes, old, new)
    old_root, new_root = merkle.root_of_hashes(hashes[:old]), merkle.root_of_hashes(hashes[:new])
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(1, 5 * tree.CHUNK), min_size=1, max_size=6))
def test_levels_built_ingest_by_ingest_equal_levels_built_at_once(steps: list[int]) -> None:
    cuts = [sum(steps[: i + 1]) for i in range(len(steps))]
    hashes = hashes_of(cuts[-1])
    once, piecewise = Ledger().store, Ledger().store
    grow(once, hashes, [cuts[-1]])
    grow(piecewise, hashes, cuts)
    assert stored_levels(piecewise) == stored_levels(once)


def test_a_log_stored_before_the_levels_gets_them_at_its_next_ingest(grown) -> None:
    _, hashes = grown
    store = Ledger().store
    grow(store, hashes, [5000])
    store.replace(tree.LEVELS, store.table(tree.LEVELS).limit(0))  # as a log made before them
    assert tree.inclusion_proofs(store, [4100], 5000) == merkle.inclusion_proofs(
        hashes, [4100], 5000
    )  # hashed from the block roots meanwhile
    store.append(tree.LEAVES, leaf_rows(hashes, 5000, 6000))
    tree.append_levels(store, 6000)
    assert [(h, s) for h, s, _ in stored_levels(store)] == [(11, 0), (11, 2048), (12, 0)]


@pytest.mark.parametrize("lost", [5, 2 * tree.CHUNK + 7], ids=["whole block", "last block"])
def test_a_proof_from_a_log_that_lost_a_leaf_says_to_verify(grown, lost: int) -> None:
    """A leaf deleted behind netretain's back: a sentence naming it and `verify`, not a crash."""
    _, hashes = grown
    store = Ledger().store
    grow(store, hashes, [2 * tree.CHUNK + 10])
    leaves = store.table(tree.LEAVES)
    store.replace(tree.LEAVES, leaves.filter(leaves.idx != lost))
    with pytest.raises(LedgerError, match=f"no leaf {lost}, .* Ledger.verify"):
        tree.inclusion_proofs(store, [lost + 1], 2 * tree.CHUNK + 10)
