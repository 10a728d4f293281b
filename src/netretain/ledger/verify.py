"""`verify`: recompute the revenue log and the derived tables from the stored facts, and name the
first thing that does not follow. Every step is set-based in the engine; only counts, the first
offending row and block roots come back to Python.

Order of the checks (the first failure is the answer): the signed heads (signatures, chain, sizes),
the leaves (each hash from its bytes, indices without gaps), the block roots, the subtrees above
them and every head's root, the customer index, the input rows against the log's live leaves (kind
by kind), the derived tables against a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from netretain.ledger import build, tree
from netretain.ledger import log as revenue_log
from netretain.ledger.run import count
from netretain.store import INGEST_ORDER, Store, input_table
from netretain.store.catalogue import DERIVED, REBUILT
from netretain.transparency import leaf_exprs
from netretain.transparency.errors import VerificationError
from netretain.transparency.heads import SignedHead, check_extends, verify_head
from netretain.transparency.merkle import Frontier

SCRATCH = "_verify_"
KIND_FIELD = ',"kind":'


@dataclass(frozen=True)
class Verdict:
    """What verify found: ok, or the first inconsistency in one sentence; what it checked."""

    ok: bool
    problem: str
    size: int
    heads: int
    checked: tuple[str, ...] = field(default_factory=tuple)
    since: int | None = None  # the size of the saved head the log was proven to extend

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problem": self.problem or None,
            "size": self.size,
            "heads": self.heads,
            "checked": list(self.checked),
            "since": None if self.since is None else {"size": self.since},
        }


class _Found(Exception):
    """The first inconsistency: stops the checks."""


def verify(
    store: Store, key: Ed25519PublicKey, currency: str, since: SignedHead | None = None
) -> Verdict:
    """Every check in order; the verdict names the first failure. With `since` (a head an auditor
    kept), last the proof that the log only grew since that head."""
    checked: list[str] = []
    heads: list[SignedHead] = []
    size = revenue_log.size(store)
    steps: list[tuple[str, Callable[[], None]]] = [
        ("heads", lambda: heads.extend(_heads(store, key, size))),
        ("leaves", lambda: _leaves(store, size)),
        ("roots", lambda: _roots(store, heads, size)),
        ("customer index", lambda: _customers(store)),
        ("inputs", lambda: _inputs(store)),
        ("derived tables", lambda: _derived(store, currency)),
    ]
    if since is not None:
        steps.append(("growth since the saved head", lambda: _since(store, key, since)))
    with revenue_log.deep_expressions():
        for name, step in steps:
            try:
                step()
            except (_Found, VerificationError) as found:
                return Verdict(False, str(found), size, len(heads), tuple(checked))
            checked.append(name)
    grew = None if since is None else since.head.size
    return Verdict(True, "", size, len(heads), tuple(checked), grew)


def _since(store: Store, key: Ed25519PublicKey, saved: SignedHead) -> None:
    """An auditor's check: the current head is signed and its log extends the `saved` head's."""
    current = revenue_log.latest_head(store)
    if current is None:
        raise _Found("the ledger has no signed head yet")
    check_extends(saved, current, key, lambda a, b: revenue_log.consistency_proof(store, a, b))


# heads --------------------------------------------------------------------------------------------
def _heads(store: Store, key: Ed25519PublicKey, size: int) -> list[SignedHead]:
    if not store.has(revenue_log.HEADS):
        if size:
            raise _Found(f"the log has {size} leaves but no signed head")
        return []
    table = store.table(revenue_log.HEADS).order_by("seq")
    rows = store.to_arrow(table).to_pylist()
    seqs = [r["seq"] for r in rows]
    if seqs != list(range(len(rows))):
        raise _Found(f"log_heads is not one unbroken chain: its positions are {seqs[:10]}")
    heads = [SignedHead.from_dict(revenue_log.parse(r["head"])) for r in rows]
    for row, head in zip(rows, heads, strict=True):
        if row["size"] != head.head.size:
            raise _Found(f"head {row['seq']} says {head.head.size} leaves, its row {row['size']}")
    _chain(heads, key)
    last = heads[-1].head.size if heads else 0
    if size != last:
        raise _Found(
            f"the log holds {size} leaves but its last signed head signs {last}: "
            + ("leaves were removed" if size < last else "leaves were added without a head")
        )
    return heads


def _chain(heads: list[SignedHead], key: Ed25519PublicKey) -> None:
    """Signatures, links and sizes; that each log extends the last follows from `_roots`, where
    every head's root is recomputed from the one sequence of leaves."""
    for i, signed in enumerate(heads):
        try:
            verify_head(signed, key)
        except VerificationError as e:
            raise _Found(f"head {i}: {e}") from e
        if i and signed.head.previous != heads[i - 1].head.hash():
            raise _Found(f"head {i} does not name head {i - 1} as its previous head")
        if i and signed.head.size < heads[i - 1].head.size:
            raise _Found(f"head {i} shrinks the log from {heads[i - 1].head.size} leaves")
        if not i and signed.head.previous is not None:
            raise _Found(
                "head 0 follows another head: the heads were reordered or the first removed"
            )


# leaves and roots ---------------------------------------------------------------------------------
def _leaves(store: Store, size: int) -> None:
    log = store.table(revenue_log.LEAVES)
    if count(store, log) != size or count(store, log.select("idx").distinct()) != size:
        raise _Found(f"log_leaves does not hold leaves 0 to {size - 1} exactly once each")
    bad = log.filter(store.leaf_sha256(log.leaf) != log.leaf_hash)
    first = _first(store, bad.select("idx", "kind"), "idx")
    if first:
        raise _Found(f"leaf {first['idx']} ({first['kind']}): its hash does not match its bytes")


def _roots(store: Store, heads: list[SignedHead], size: int) -> None:
    log = store.table(revenue_log.LEAVES)
    blocks = size // revenue_log.CHUNK * revenue_log.CHUNK
    fresh = store.to_arrow(
        revenue_log.block_roots(store, log, 0, blocks).order_by("start")
    ).to_pylist()
    stored = store.to_arrow(store.table(revenue_log.NODES).order_by("start")).to_pylist()
    if fresh != stored:
        raise _Found("log_nodes does not hold the block roots of the leaves")
    nodes = [bytes.fromhex(r["node"]) for r in fresh]
    _levels(store, nodes, size)
    for i, signed in enumerate(heads):
        n = signed.head.size
        if _root(store, nodes, n) != signed.head.root:
            raise _Found(f"head {i} (size {n}): the leaves do not hash to its signed root")


def _levels(store: Store, blocks: list[bytes], size: int) -> None:
    """The stored subtrees above the blocks (what proofs are read from) against the block roots."""
    if not store.has(tree.LEVELS):  # a log made before the levels (proofs hash them meanwhile)
        return
    known = {(tree.CHUNK_HEIGHT, i * tree.CHUNK): node for i, node in enumerate(blocks)}
    fresh = sorted((r["height"], r["start"], r["node"]) for r in tree.upper_levels(known, size, {}))
    rows = store.to_arrow(store.table(tree.LEVELS)).to_pylist()
    if sorted((r["height"], r["start"], r["node"]) for r in rows) != fresh:
        raise _Found("log_levels does not hold the subtree roots of the block roots")


def _customers(store: Store) -> None:
    """The customer index (what statements find their leaves by) against the leaves."""
    if not store.has(revenue_log.CUSTOMERS):  # a log made before the index (statements scan)
        return
    log = store.table(revenue_log.LEAVES)
    expected = revenue_log.customer_rows(log.filter(log.customer_id.notnull()))
    index = revenue_log.customer_rows(store.table(revenue_log.CUSTOMERS))
    if count(store, index) != count(store, expected) or count(store, index.difference(expected)):
        raise _Found("log_customers does not index exactly the leaves of each customer")


def _root(store: Store, nodes: list[bytes], n: int) -> bytes:
    full = n // revenue_log.CHUNK
    frontier = Frontier()
    for node in nodes[:full]:
        frontier.append_subtree(node, revenue_log.CHUNK_HEIGHT)
    tail = revenue_log.leaf_hashes(store, full * revenue_log.CHUNK, n)
    return frontier.extend(tail).root()


# inputs against the log ---------------------------------------------------------------------------
def _inputs(store: Store) -> None:
    log = store.table(revenue_log.LEAVES)
    for kind in INGEST_ORDER:
        if store.has(input_table(kind)):
            _kind(store, kind, log.filter(log.kind == kind))


def _kind(store: Store, kind: str, log: ir.Table) -> None:
    rows = store.table(input_table(kind))
    table = input_table(kind)
    if not count(store, rows) and not count(store, log):
        return
    both = store.temp(f"{SCRATCH}input_{kind}", _matched(rows, log, kind))
    added = _first(store, both.filter(both.l_key.isnull()), "r_key")
    if added:
        raise _Found(
            f"{table} has a row with key {added['r_key']} ({added['r_file']} row {added['r_row']})"
            " that is in no leaf of the log: it was inserted behind netretain's back"
        )
    gone = _first(store, both.filter(both.r_key.isnull()), "l_idx")
    if gone:
        raise _Found(
            f"leaf {gone['l_idx']} ({kind} {gone['l_key']}) has no row in {table}:"
            " the row was deleted behind netretain's back"
        )
    changed = _first(store, both.filter(~both.same), "l_idx")
    if changed:
        raise _Found(
            f"{table} row {changed['r_key']} differs from leaf {changed['l_idx']}:"
            " it was changed behind netretain's back"
        )
    if count(store, both.select("l_idx").distinct()) != count(store, both):
        raise _Found(f"{table} holds a key twice: a row was copied behind netretain's back")


def _matched(rows: ir.Table, log: ir.Table, kind: str) -> ir.Table:
    """Each input row beside the live leaf of its key (the latest leaf with that key), compared
    from the leaf's `kind` field on (a correction's leaf differs only in what it corrects)."""
    latest = log.group_by("key").aggregate(_last=log.idx.max())
    live = log.join(latest, (log.key == latest.key) & (log.idx == latest._last))
    live = live.select(
        l_key=live.key, l_idx=live.idx, l_body=live.leaf.substr(live.leaf.find(KIND_FIELD))
    )
    fact = leaf_exprs.with_leaf(rows, kind)
    mine = fact.select(
        r_key=fact._key,
        r_row=fact._row,
        r_file=fact._file,
        r_body=fact._leaf.substr(len(revenue_log.FACT_PREFIX)),
    )
    both = mine.outer_join(live, mine.r_key == live.l_key)
    same = (both.r_body == both.l_body).fill_null(False)
    return both.select("r_key", "r_row", "r_file", "l_key", "l_idx", same=same)


# derived tables -----------------------------------------------------------------------------------
def _derived(store: Store, currency: str) -> None:
    present = [n for n in DERIVED if store.has(n)]
    if not present:
        return
    build.rebuild(_Renamed(store), currency)
    problem = _compare(store, present)
    if problem:
        raise _Found(problem)


def _compare(store: Store, names: list[str]) -> str:
    for name in names:
        kept, fresh = store.table(name), store.table(SCRATCH + name)
        if sorted(kept.columns) != sorted(fresh.columns):
            return f"derived table {name} has other columns than a rebuild makes"
        fresh = fresh.select(*kept.columns)
        extra = count(store, kept.difference(fresh))
        missing = count(store, fresh.difference(kept))
        if extra or missing or count(store, kept) != count(store, fresh):
            return (
                f"derived table {name} does not follow from the input rows: {extra} row(s) not"
                f" in a rebuild, {missing} row(s) of a rebuild missing"
            )
    return ""


class _Renamed:
    """The store with the rebuilt tables as scratch tables of this session (`temp`): a rebuild
    beside the ledger's own tables that never writes the ledger, so a reader can verify."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _name(self, table: str) -> str:
        return SCRATCH + table if table in REBUILT else table

    def has(self, table: str) -> bool:
        return self._store.has(self._name(table))

    def table(self, table: str) -> ir.Table:
        return self._store.table(self._name(table))

    def replace(self, table: str, expr: ir.Table) -> ir.Table:
        return self._store.temp(self._name(table), expr)

    view = replace  # a scratch table either way: the rebuild is compared, then dropped

    def drop(self, table: str) -> None:
        self._store.drop(self._name(table))


def _first(store: Store, expr: ir.Table, order: str) -> dict[str, Any] | None:
    rows = store.to_arrow(expr.order_by(order).limit(1)).to_pylist()
    return rows[0] if rows else None
