"""RFC 6962 trees: the Certificate Transparency reference vectors, then properties of any tree."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netretain.transparency import merkle
from netretain.transparency.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    hash_leaf,
    inclusion_proof,
    root,
    verify_consistency,
    verify_inclusion,
)

# The eight leaves and roots of google/certificate-transparency's merkle_tree_test.cc, reused by
# transparency-dev/merkle: literals, independent of the code under test.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path) and (old size, new size, proof) from the same test files.
CT_INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (1, 8, CT_INCLUSION[1][2]),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
HASHES = [hash_leaf(d) for d in CT_LEAVES]


def ct_root(size: int) -> bytes:
    return bytes.fromhex(CT_ROOTS[size - 1])


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962's recursive definition, written out literally: the oracle for the fast code."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return hash_leaf(leaves[0])
    k = merkle.split(len(leaves))
    return merkle.hash_children(mth(leaves[:k]), mth(leaves[k:]))


def test_empty_tree_is_the_hash_of_nothing() -> None:
    expected = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]).hex() == expected


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_ct_vectors(size: int) -> None:
    assert root(CT_LEAVES[:size]) == ct_root(size)


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_inclusion_proofs_match_the_ct_vectors(index: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(HASHES, index, size)
    assert [p.hex() for p in proof] == path
    assert verify_inclusion(HASHES[index], index, size, proof, ct_root(size))


@pytest.mark.parametrize(("old", "new", "path"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_ct_vectors(old: int, new: int, path: list[str]) -> None:
    proof = consistency_proof(HASHES, old, new)
    assert [p.hex() for p in proof] == path
    assert verify_consistency(old, new, ct_root(old), ct_root(new), proof)


def test_degenerate_consistency_cases_fail_as_in_transparency_dev() -> None:
    r1, r2 = ct_root(1), ct_root(2)
    assert not verify_consistency(1, 1, r1, r2, [])  # same size, different roots
    assert not verify_consistency(2, 1, r2, r1, [])  # shrinking
    assert not verify_consistency(1, 2, r1, r2, [])  # growth needs a proof
    assert not verify_consistency(0, 1, EMPTY_ROOT, r1, [EMPTY_ROOT])  # empty old tree
    assert not verify_consistency(1, 1, r1, r1, [EMPTY_ROOT])  # equal sizes, a proof anyway
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_bad_indexes_are_refused() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(HASHES, 8, 8)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(HASHES, 0, 3)
    assert not verify_inclusion(HASHES[0], 1, 1, [], ct_root(1))
    assert not verify_inclusion(b"short", 0, 1, [], ct_root(1))


def test_frontier_resumes_from_its_stored_nodes() -> None:
    first = Frontier().extend(HASHES[:5])
    resumed = Frontier(first.size, first.nodes).extend(HASHES[5:])
    assert resumed.root() == ct_root(8)
    assert len(first.nodes) == 2  # 5 = 4 + 1: O(log n) state
    with pytest.raises(ValueError, match="nodes"):
        Frontier(5, first.nodes[:1])


def test_a_million_leaf_root_streams_in_log_memory() -> None:
    # A generator of leaf hashes: no list of a million leaves, and the frontier stays tiny.
    n = 1_000_003
    stream = (hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n))
    frontier = Frontier().extend(stream)
    assert frontier.size == n and len(frontier.nodes) == n.bit_count()
    # Cross-check against the reference on a prefix built by the same two routes.
    small = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(1000)]
    assert merkle.root_of_hashes(small) == mth_hashes(small)


def mth_hashes(hashes: list[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = merkle.split(len(hashes))
    return merkle.hash_children(mth_hashes(hashes[:k]), mth_hashes(hashes[k:]))


# Property tests over random trees.
trees = st.lists(st.binary(max_size=12), min_size=1, max_size=70)


@given(trees)
def test_root_matches_the_literal_definition(leaves: list[bytes]) -> None:
    assert root(leaves) == mth(leaves)


def flip(data: bytes, position: int) -> bytes:
    i = position % len(data)
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


@settings(max_examples=150)
@given(trees, st.data())
def test_every_inclusion_proof_verifies_and_any_changed_byte_fails(leaves, data) -> None:
    hashes = [hash_leaf(d) for d in leaves]
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    tree_root = merkle.root_of_hashes(hashes[:size])
    proof = inclusion_proof(hashes, index, size)
    assert verify_inclusion(hashes[index], index, size, proof, tree_root)

    changed_leaf = leaves[index] + b"x" if not leaves[index] else flip(leaves[index], size)
    assert not verify_inclusion(hash_leaf(changed_leaf), index, size, proof, tree_root)
    position = data.draw(st.integers(0, 32 * (len(proof) + 1) - 1))
    element, offset = divmod(position, 32)
    if element < len(proof):
        bad = [*proof]
        bad[element] = flip(bad[element], offset)
        assert not verify_inclusion(hashes[index], index, size, bad, tree_root)
    else:
        assert not verify_inclusion(hashes[index], index, size, proof, flip(tree_root, offset))
    if size > 1 and len(set(leaves[:size])) == size:  # equal leaves may swap places
        other = (index + 1) % size
        assert not verify_inclusion(hashes[index], other, size, proof, tree_root)


@settings(max_examples=150)
@given(trees, st.data())
def test_consistency_verifies_between_any_two_sizes_and_fails_for_a_rewritten_prefix(
    leaves, data
) -> None:
    hashes = [hash_leaf(d) for d in leaves]
    new = data.draw(st.integers(1, len(leaves)))
    old = data.draw(st.integers(1, new))
    old_root = merkle.root_of_hashes(hashes[:old])
    new_root = merkle.root_of_hashes(hashes[:new])
    proof = consistency_proof(hashes, old, new)
    assert verify_consistency(old, new, old_root, new_root, proof)

    # Rewrite one leaf of the old prefix: the new log no longer extends the old one.
    victim = data.draw(st.integers(0, old - 1))
    rewritten = [*hashes]
    rewritten[victim] = hash_leaf(leaves[victim] + b"!")
    forged_root = merkle.root_of_hashes(rewritten[:new])
    forged_proof = consistency_proof(rewritten, old, new)
    assert not verify_consistency(old, new, old_root, forged_root, forged_proof)
    if proof:
        position = data.draw(st.integers(0, 32 * len(proof) - 1))
        bad = [*proof]
        bad[position // 32] = flip(bad[position // 32], position % 32)
        assert not verify_consistency(old, new, old_root, new_root, bad)
