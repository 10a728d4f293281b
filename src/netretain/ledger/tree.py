"""The revenue log's Merkle tree as stored: leaf hashes, the root of every block of CHUNK leaves
(`log_nodes`) and the root of every aligned subtree above the blocks (`log_levels`). Roots and
proofs read O(log n) stored hashes plus the leaf hashes of the blocks they cut into.

A subtree is named `(height, start)`: the perfect tree over leaves [start, start + 2**height).
Every range an RFC 6962 proof names starts at a multiple of a power of two at least its length,
so it splits into such subtrees, largest first, whose fold right to left is its root.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping

import ibis
import ibis.expr.types as ir

from netretain.core.tables import literal_table
from netretain.errors import LedgerError, arg
from netretain.store import Store
from netretain.store.catalogue import LOG_LEVELS
from netretain.transparency.merkle import (
    EMPTY_ROOT,
    Range,
    consistency_ranges,
    hash_children,
    inclusion_ranges,
)

LEAVES, NODES, LEVELS = "log_leaves", "log_nodes", "log_levels"
CHUNK_HEIGHT = 10
CHUNK = 1 << CHUNK_HEIGHT  # leaves per stored block root
Node = tuple[int, int]  # (height, start)


def subtrees(lo: int, hi: int) -> list[Node]:
    """[lo, hi) as aligned perfect subtrees, largest first (`lo` a multiple of a power of two at
    least `hi - lo`, as in every proof's range)."""
    out: list[Node] = []
    while lo < hi:
        height = (hi - lo).bit_length() - 1
        if lo % (1 << height):
            raise ValueError(f"leaves [{lo}, {hi}) are not a subtree range of the log")
        out.append((height, lo))
        lo += 1 << height
    return out


class Tree:
    """The stored hashes of the log's first `size` leaves: `load` the subtrees a set of ranges
    needs in a few reads, then `root` of each range."""

    def __init__(self, store: Store, size: int) -> None:
        self.store, self.size = store, size
        self.known: dict[Node, bytes] = {}

    def load(self, ranges: Iterable[Range]) -> Tree:
        """Every stored hash the ranges need, in three reads of runs: the leaf hashes of the
        blocks they cut into, the block roots and the subtrees above them."""
        nodes = {n for r in ranges for n in subtrees(*r)}
        blocks = sorted({s // CHUNK * CHUNK for h, s in nodes if h < CHUNK_HEIGHT})
        roots = sorted({s for h, s in nodes if h == CHUNK_HEIGHT})
        upper = sorted({s for h, s in nodes if h > CHUNK_HEIGHT})
        store = self.store
        if blocks:
            spans = [(s, min(s + CHUNK, self.size)) for s in blocks]
            leaves = store.spans(LEAVES, "idx", spans, ["idx", "leaf_hash"]).to_pydict()
            self.known.update(_hashes(0, leaves["idx"], leaves["leaf_hash"]))
            self._require_leaves(spans)
            self._hash_blocks(s for s in blocks if s + CHUNK <= self.size)
        if roots:
            found = store.spans(NODES, "start", runs(roots), ["start", "node"]).to_pydict()
            self.known.update(_hashes(CHUNK_HEIGHT, found["start"], found["node"]))
        if upper and store.has(LEVELS):  # one span: the table is small, a union of many is not
            span = [(upper[0], upper[-1] + 1)]
            found = _levels(store.spans(LEVELS, "start", span, list(LOG_LEVELS)).to_pydict())
            wanted = set(upper)
            self.known.update({n: h for n, h in found.items() if n[1] in wanted})
        if any(n not in self.known for n in nodes if n[0] >= CHUNK_HEIGHT):
            # a log stored before `log_levels` (or not yet extended by an ingest): hash them here
            below = self.size // CHUNK * CHUNK
            nodes_table = self.store.table(NODES)
            self.known.update(
                _rows(self.store, _as_nodes(nodes_table.filter(nodes_table.start < below)))
            )
        return self

    def _require_leaves(self, spans: Iterable[Range]) -> None:
        """Refuse a proof from a log that lost a leaf its signed head counts (rows deleted
        behind netretain's back): a sentence pointing at `verify`, not a failed hash."""
        for lo, hi in spans:
            gone = next((i for i in range(lo, hi) if (0, i) not in self.known), None)
            if gone is not None:
                raise LedgerError(
                    f"the revenue log has no leaf {gone}, though its signed head counts "
                    f"{self.size}: it was changed outside netretain; {arg('verify')} names how"
                )

    def _hash_blocks(self, starts: Iterable[int]) -> None:
        """Every subtree inside the whole blocks at `starts`, level by level: a proof into a
        block needs nearly all of them, and a loop is faster than asking `node` for each."""
        for start in starts:
            level = [self.known[(0, start + i)] for i in range(CHUNK)]
            for height in range(1, CHUNK_HEIGHT):
                level = [hash_children(a, b) for a, b in zip(level[::2], level[1::2], strict=True)]
                step = 1 << height
                self.known.update(((height, start + i * step), h) for i, h in enumerate(level))

    def root(self, lo: int, hi: int) -> bytes:
        """The Merkle root of leaves [lo, hi) (after `load` of a set holding the range)."""
        if lo == hi:
            return EMPTY_ROOT
        nodes = [self.node(*n) for n in subtrees(lo, hi)]
        return functools.reduce(lambda right, left: hash_children(left, right), reversed(nodes))

    def node(self, height: int, start: int) -> bytes:
        """A subtree's root: loaded, or hashed from its two halves (inside a loaded block)."""
        found = self.known.get((height, start))
        if found is None:
            half = 1 << (height - 1)
            found = hash_children(self.node(height - 1, start), self.node(height - 1, start + half))
            self.known[(height, start)] = found
        return found


def runs(values: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted integers as runs [lo, hi) of consecutive values: the spans a `Store.spans` reads."""
    out: list[tuple[int, int]] = []
    for v in values:
        if out and out[-1][1] == v:
            out[-1] = (out[-1][0], v + 1)
        else:
            out.append((v, v + 1))
    return out


def _hashes(height: int, starts: Iterable[int], hexes: Iterable[str]) -> dict[Node, bytes]:
    return {(height, int(s)): bytes.fromhex(h) for s, h in zip(starts, hexes, strict=True)}


def _levels(found: Mapping[str, list]) -> dict[Node, bytes]:
    rows = zip(found["height"], found["start"], found["node"], strict=True)
    return {(int(h), int(s)): bytes.fromhex(n) for h, s, n in rows}


def _as_nodes(blocks: ir.Table) -> ir.Table:
    return blocks.select(
        height=ibis.literal(CHUNK_HEIGHT, "int64"),
        start=blocks.start.cast("int64"),
        node=blocks.node,
    )


# proofs -------------------------------------------------------------------------------------------
def inclusion_proofs(store: Store, indices: Iterable[int], size: int) -> dict[int, list[bytes]]:
    """Audit paths of many leaves in the tree of `size` leaves, from one load of the tree."""
    paths = {i: inclusion_ranges(i, size) for i in indices}
    tree = Tree(store, size).load(r for rs in paths.values() for r in rs)
    return {i: [tree.root(*r) for r in rs] for i, rs in paths.items()}


def consistency_proof(store: Store, old_size: int, new_size: int) -> list[bytes]:
    """RFC 6962 proof that the log of `new_size` leaves extends the log of `old_size`."""
    if old_size == new_size:
        return []
    ranges = consistency_ranges(old_size, new_size)
    tree = Tree(store, new_size).load(ranges)
    return [tree.root(*r) for r in ranges]


def root(store: Store, size: int) -> bytes:
    """The root of the log's first `size` leaves."""
    return Tree(store, size).load([(0, size)]).root(0, size)


# the stored levels --------------------------------------------------------------------------------
def upper_levels(known: Mapping[Node, bytes], size: int, done: Mapping[int, int]) -> list[dict]:
    """Rows of the subtrees above the blocks that the log of `size` leaves completes and `done`
    (height -> how many subtrees of that height are stored) lacks; `known` holds their children."""
    level = dict(known)
    rows: list[dict] = []
    for height in range(CHUNK_HEIGHT + 1, size.bit_length()):
        step, half = 1 << height, 1 << (height - 1)
        for start in range(done.get(height, 0) * step, size // step * step, step):
            node = hash_children(level[(height - 1, start)], level[(height - 1, start + half)])
            level[(height, start)] = node
            rows.append({"height": height, "start": start, "node": node.hex()})
    return rows


def append_levels(store: Store, size: int) -> None:
    """Store the subtrees above the blocks that the log of `size` leaves newly completes (and any
    a log made before `log_levels` lacks), hashed here from children read in two queries."""
    levels = store.table(LEVELS)
    counts = store.to_arrow(levels.group_by("height").aggregate(n=levels.count())).to_pydict()
    done = dict(zip(counts["height"], counts["n"], strict=True))
    heights = range(CHUNK_HEIGHT + 1, size.bit_length())
    if not any(done.get(h, 0) < size >> h for h in heights):
        return
    lo = min(done.get(h, 0) << h for h in heights)
    nodes = store.table(NODES)
    wanted = nodes.filter((nodes.start >= lo) & (nodes.start < size // CHUNK * CHUNK))
    known = {
        **_rows(store, _as_nodes(wanted)),
        **_rows(store, levels.filter(levels.start >= lo)),
    }
    rows = upper_levels(known, size, done)
    store.append(LEVELS, literal_table({c: [r[c] for r in rows] for c in LOG_LEVELS}, LOG_LEVELS))


def _rows(store: Store, table: ir.Table) -> dict[Node, bytes]:
    rows = store.to_arrow(table.select("height", "start", "node")).to_pydict()
    return {
        (h, s): bytes.fromhex(n)
        for h, s, n in zip(rows["height"], rows["start"], rows["node"], strict=True)
    }
