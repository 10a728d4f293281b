"""RFC 6962 Merkle trees as pure functions over bytes: hashing, roots, proofs and their checks.

Leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), and the tree is split at the
largest power of two below its size (never padded), so roots match every Certificate Transparency
implementation. Nothing here knows where leaves are stored: proofs are built from any indexable
sequence of leaf hashes, and `inclusion_ranges` / `consistency_ranges` name the subtrees a proof
needs so that a store (or an engine) can hash those ranges itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 6962: the hash of an empty tree

Range = tuple[int, int]  # leaves [start, end) whose subtree root is one proof element


def hash_leaf(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the leaf prefix keeps a leaf from passing for an inner node."""
    return hashlib.sha256(b"\x00" + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2): the size of the left subtree."""
    return 1 << ((n - 1).bit_length() - 1)


class Frontier:
    """The roots of the perfect subtrees of a growing tree: O(log n) hashes, appended to in place.

    Root of a log of any size from a stream of leaf hashes, and a resumable state for a store that
    appends batches: keep (size, nodes), call `Frontier(size, nodes)` later and extend.
    """

    def __init__(self, size: int = 0, nodes: Sequence[bytes] = ()) -> None:
        if len(nodes) != size.bit_count():
            raise ValueError(f"a frontier of {size} leaves has {size.bit_count()} nodes")
        self.size = size
        self.nodes = list(nodes)  # left to right, largest subtree first

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash, merging equal-sized subtrees like a binary counter's carries."""
        node, size = leaf_hash, self.size
        while size & 1:
            node = hash_children(self.nodes.pop(), node)
            size >>= 1
        self.nodes.append(node)
        self.size += 1

    def append_subtree(self, node: bytes, height: int) -> None:
        """Add the root of a perfect subtree of 2**height leaves at a size that is a multiple of
        it (a store keeps such block roots, so a million leaves need not be read one by one)."""
        if self.size % (1 << height):
            raise ValueError(f"a subtree of {1 << height} leaves cannot start at leaf {self.size}")
        size = self.size >> height
        while size & 1:
            node = hash_children(self.nodes.pop(), node)
            size >>= 1
        self.nodes.append(node)
        self.size += 1 << height

    def extend(self, leaf_hashes: Iterable[bytes]) -> Frontier:
        for leaf_hash in leaf_hashes:
            self.append(leaf_hash)
        return self

    def root(self) -> bytes:
        """The tree head: the subtrees folded right to left, as RFC 6962's split does."""
        if not self.nodes:
            return EMPTY_ROOT
        node = self.nodes[-1]
        for left in reversed(self.nodes[:-1]):
            node = hash_children(left, node)
        return node


def root_of_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """Merkle tree hash of a stream of leaf hashes, in O(log n) memory."""
    return Frontier().extend(leaf_hashes).root()


def root(leaves: Iterable[bytes]) -> bytes:
    """MTH(D[n]) of raw leaf data, as RFC 6962 §2.1 defines it."""
    return root_of_hashes(hash_leaf(d) for d in leaves)


def range_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """Root of the subtree over leaf_hashes[start:end], reading one element at a time."""
    return root_of_hashes(leaf_hashes[i] for i in range(start, end))


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose roots form the audit path PATH(index, D[size]), leaf side first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    out: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    return out[::-1]


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The subtrees whose roots form PROOF(old_size, D[new_size]) (RFC 6962 §2.1.2), in order."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size} leaves")
    out: list[Range] = []
    lo, hi, m, whole = 0, new_size, old_size, True
    while m != hi - lo:
        k = split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        out.append((lo, hi))
    return out[::-1]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """Audit path for leaf `index` in the tree of the first `size` leaf hashes."""
    return [range_root(leaf_hashes, a, b) for a, b in inclusion_ranges(index, size)]


def inclusion_proofs(
    leaf_hashes: Sequence[bytes], indexes: Iterable[int], size: int
) -> dict[int, list[bytes]]:
    """Audit paths of many leaves (a statement's), hashing each shared subtree only once."""
    memo: dict[Range, bytes] = {}

    def subtree(r: Range) -> bytes:
        if r not in memo:
            memo[r] = range_root(leaf_hashes, *r)
        return memo[r]

    return {i: [subtree(r) for r in inclusion_ranges(i, size)] for i in indexes}


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """Proof that the tree of the first `new_size` leaf hashes extends that of `old_size`."""
    return [range_root(leaf_hashes, a, b) for a, b in consistency_ranges(old_size, new_size)]


def _well_formed(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` place `leaf_hash` at `index` in the tree `root_hash`?"""
    if not (0 <= index < size and _well_formed(leaf_hash, root_hash, *proof)):
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hash_children(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree `new_root` an append-only extension of `old_root`?

    Equal sizes need an empty proof and equal roots; an empty old tree proves nothing and fails,
    as in transparency-dev/merkle.
    """
    if not (0 <= old_size <= new_size and _well_formed(old_root, new_root, *proof)):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0 or not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is itself a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = hash_children(c, fr), hash_children(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = hash_children(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
