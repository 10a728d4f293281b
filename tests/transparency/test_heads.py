"""Signed tree heads: each names its predecessor, and the chain proves the log only grew."""

from __future__ import annotations

import json

import pytest

from netretain.canonical import canonical_bytes
from netretain.transparency import merkle
from netretain.transparency.errors import VerificationError
from netretain.transparency.heads import (
    SignedHead,
    Source,
    TreeHead,
    check_chain,
    check_extends,
    next_head,
    seal,
    sign_head,
    verify_head,
)
from netretain.transparency.keys import init_keys, load_private_key

from .conftest import mrr_leaves

LEAVES = mrr_leaves(5, 4)
HASHES = [merkle.hash_leaf(d) for d in LEAVES]
SOURCE = Source("mrr", "mrr.csv", "ab" * 32)


def prove(old: int, new: int) -> list[bytes]:
    return merkle.consistency_proof(HASHES, old, new)


def chain(key, sizes=(0, 5, 5, 12, 20)) -> list[SignedHead]:
    heads: list[SignedHead] = []
    for i, size in enumerate(sizes):
        previous = heads[-1] if heads else None
        root = merkle.root_of_hashes(HASHES[:size])
        head = next_head(previous, size, root, [SOURCE], time=f"2024-0{i + 1}-01T00:00:00Z")
        heads.append(sign_head(head, key))
    return heads


def test_head_body_is_the_documented_canonical_json(private_key) -> None:
    head = next_head(None, 3, merkle.root(LEAVES[:3]), [SOURCE], time="2024-05-01T12:00:00Z")
    body = json.loads(head.body())
    assert body == {
        "previous": None,
        "root": merkle.root(LEAVES[:3]).hex(),
        "size": 3,
        "sources": [{"file": "mrr.csv", "kind": "mrr", "sha256": "ab" * 32}],
        "time": "2024-05-01T12:00:00Z",
        "v": 1,
    }
    assert head.body() == canonical_bytes(body)
    signed = sign_head(head, private_key)
    assert SignedHead.from_dict(json.loads(json.dumps(signed.to_dict()))) == signed


def test_a_clean_chain_verifies(private_key, public_key) -> None:
    heads = chain(private_key)
    check_chain(heads, public_key, prove)
    assert heads[1].head.previous == heads[0].head.hash()


def test_a_head_signed_by_another_key_fails(private_key, public_key, tmp_path) -> None:
    other = load_private_key(init_keys(tmp_path / "other").private)
    head = chain(private_key)[2]
    forged = sign_head(head.head, other)
    with pytest.raises(VerificationError, match="not this key"):
        verify_head(forged, public_key)
    impostor = SignedHead(head.head, forged.signature, head.key_id)
    with pytest.raises(VerificationError, match="bad signature"):
        verify_head(impostor, public_key)
    assert verify_head(head, public_key) == head.head


def test_a_changed_head_fails_its_signature(private_key, public_key) -> None:
    heads = chain(private_key)
    h = heads[3]
    tampered = SignedHead(
        TreeHead(13, h.head.root, h.head.time, h.head.previous), h.signature, h.key_id
    )
    with pytest.raises(VerificationError, match="head 3: bad signature"):
        check_chain([*heads[:3], tampered, *heads[4:]], public_key, prove)


def test_swapped_heads_are_named(private_key, public_key) -> None:
    heads = chain(private_key)
    swapped = [heads[0], heads[1], heads[3], heads[2], heads[4]]
    with pytest.raises(VerificationError, match="head 2 does not name head 1"):
        check_chain(swapped, public_key, prove)


def test_a_rewritten_log_fails_consistency(private_key, public_key) -> None:
    # The operator re-signs a chain over a log whose third leaf was changed after head 1.
    rewritten = [*HASHES]
    rewritten[2] = merkle.hash_leaf(b"edited")
    heads = chain(private_key, sizes=(5,))
    root = merkle.root_of_hashes(rewritten[:12])
    heads.append(sign_head(next_head(heads[0], 12, root, time="2024-06-01T00:00:00Z"), private_key))
    with pytest.raises(
        VerificationError, match=r"head 1 .* not an append-only extension of head 0"
    ):
        check_chain(heads, public_key, lambda a, b: merkle.consistency_proof(rewritten, a, b))


def test_a_shrinking_log_is_refused(private_key, public_key) -> None:
    heads = chain(private_key, sizes=(12,))
    with pytest.raises(ValueError, match="cannot shrink"):
        next_head(heads[0], 5, merkle.root_of_hashes(HASHES[:5]))
    small = TreeHead(
        5, merkle.root_of_hashes(HASHES[:5]), "2024-07-01T00:00:00Z", heads[0].head.hash()
    )
    with pytest.raises(VerificationError, match="shrinks the log from 12 to 5"):
        check_chain([heads[0], sign_head(small, private_key)], public_key, prove)


def test_an_auditor_checks_growth_since_a_saved_head(private_key, public_key) -> None:
    heads = chain(private_key)
    check_extends(heads[1], heads[4], public_key, prove)
    with pytest.raises(VerificationError, match="shrinks"):
        check_extends(heads[4], heads[1], public_key, prove)


def test_seal_ends_each_ingest_with_the_next_signed_head(private_key, public_key) -> None:
    frontier = merkle.Frontier()
    first = seal(None, frontier, HASHES[:5], [SOURCE], private_key)
    second = seal(
        first, merkle.Frontier(frontier.size, frontier.nodes), HASHES[5:], [], private_key
    )
    assert (first.head.size, second.head.size) == (5, 20)
    assert second.head.root == merkle.root(LEAVES)
    check_chain([first, second], public_key, prove)
