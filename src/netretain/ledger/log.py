"""The revenue log in a store: every accepted input row and every correction appended as an RFC 6962
leaf at the end of its ingest (set-based, hashed by the engine), a signed tree head per ingest, and
the proofs a statement or an auditor asks for (see docs/transparency.md).

Leaves are appended in one fixed order: the ingest's kinds in ingest order, then each kind's rows
by the canonical bytes of their key. A row that replaces a logged row (`replace`) is a correction
leaf naming the index and hash of the leaf it corrects; no leaf is ever rewritten.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from netretain.canonical import canonical_json
from netretain.core.arith import exact_div
from netretain.core.tables import empty_table, literal_table
from netretain.ledger import tree
from netretain.ledger.ingest import Ingested
from netretain.ledger.run import count
from netretain.ledger.tree import CHUNK, CHUNK_HEIGHT, LEAVES, NODES
from netretain.store import INGEST_ORDER, SPECS, Store, input_table
from netretain.store.catalogue import LOG, LOG_HEADS, LOG_LEAVES
from netretain.transparency import leaf_exprs
from netretain.transparency.errors import KeyFileError
from netretain.transparency.heads import SignedHead, Source, next_head, sign_head
from netretain.transparency.keys import init_keys, load_private_key, load_public_key

HEADS, CUSTOMERS = "log_heads", "log_customers"
DEEP = 20_000
ROOTS_PART = 4096  # blocks (4M leaves) whose roots one statement hashes (see _append_nodes)
FACT_PREFIX = '{"corrects":null'  # how a leaf that corrects nothing begins
ENTRY_COLUMNS = ("idx", "ingest_id", "kind", "customer_id", "corrects", "leaf", "leaf_hash")


@dataclass(frozen=True)
class LogEntry:
    """One leaf of the log: where it is, what it is, its bytes and its hash."""

    index: int
    ingest_id: int
    kind: str
    customer_id: str | None
    corrects: int | None
    data: bytes
    leaf_hash: bytes


def ensure_tables(store: Store) -> None:
    """Create the log's empty tables (a ledger made before the log gets them at its next ingest,
    and a log made before the customer index gets it built from its leaves)."""
    for name, schema in LOG.items():
        if not store.has(name):
            store.replace(name, empty_table(schema))
            if name == CUSTOMERS:
                _index_customers(store, store.table(LEAVES))


def size(store: Store) -> int:
    """How many leaves the log holds."""
    if not store.has(LEAVES):
        return 0
    leaves = store.table(LEAVES)
    top = store.to_arrow(leaves.idx.max().name("m").as_table()).to_pylist()[0]["m"]
    return 0 if top is None else int(top) + 1


# keys ---------------------------------------------------------------------------------------------
KEY_VARIABLE = "NETRETAIN_KEY"


class Signer:
    """The ledger's Ed25519 signing key: `key` if given, else $NETRETAIN_KEY, else `<db>.key`
    beside a ledger file (made with `<db>.pub` on first use: `created` says where), else, for a
    ledger in memory or on another engine, a key that lives as long as this object."""

    def __init__(self, ledger_path: str, key: str | Path | None = None) -> None:
        given = key or os.environ.get(KEY_VARIABLE) or None
        self.given = None if given is None else Path(given)
        self.beside = None if ledger_path == ":memory:" else Path(f"{ledger_path}.key")
        self.created: Path | None = None
        self._key: Ed25519PrivateKey | None = None

    @property
    def path(self) -> Path | None:
        """The private key file, if the key lives in one."""
        return self.given or self.beside

    def private(self, create: bool = True) -> Ed25519PrivateKey:
        """The signing key, making the pair beside the ledger the first time (when `create`)."""
        if self._key is None:
            self._key = self._load(create)
        return self._key

    def public(self) -> Ed25519PublicKey:
        """The public key heads are checked with: the `.pub` beside the key, else derived."""
        path = self.path
        if self._key is None and path is not None and path.with_suffix(".pub").exists():
            return load_public_key(path.with_suffix(".pub"))
        return self.private(create=False).public_key()

    def _load(self, create: bool) -> Ed25519PrivateKey:
        if self.given is not None:
            return load_private_key(self.given)
        if self.beside is None:
            return Ed25519PrivateKey.generate()
        if not self.beside.exists():
            if not create:
                raise KeyFileError(f"no signing key {self.beside}: the ledger has no log yet")
            init_keys(self.beside.parent, self.beside.stem)
            self.created = self.beside
        return load_private_key(self.beside)


class Step:
    """The ingest step that appends the log and signs its head with `signer`'s key (an object,
    not a bound method of the Ledger, so a ledger left unclosed is still freed at once)."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer

    def __call__(self, ingested: Ingested) -> None:
        append(ingested, self.signer.private())


# appending ----------------------------------------------------------------------------------------
def append(ingested: Ingested, key: Ed25519PrivateKey) -> SignedHead | None:
    """The ingest hook: log the ingest's rows as leaves, then sign the next tree head (none for
    an ingest that added no leaf: an ingest that changes nothing leaves the ledger as it was)."""
    with deep_expressions():
        return _append(ingested, key)


@contextmanager
def deep_expressions() -> Iterator[None]:
    """Room for the leaf text's nested SQL: JSON escapes are 31 nested `replace` calls, deeper
    than sqlglot parses within Python's default recursion limit (Python frames since 3.11 do
    not use the C stack, so a higher limit is safe)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, DEEP))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def _append(ingested: Ingested, key: Ed25519PrivateKey) -> SignedHead | None:
    store = ingested.store
    ensure_tables(store)
    start = size(store)
    parts, end = _new_leaves(store, ingested.ingest_id, start)
    if not parts:
        return None
    # one statement per kind: DuckDB runs a UNION ALL of the kinds' numbered rows on one thread
    with store.distinct_texts():
        for n, part in enumerate(parts):
            if start == 0 and n == 0:  # the table made from the leaves, without a scratch copy
                store.replace(LEAVES, part)
            else:
                store.append(LEAVES, part)
    log = store.table(LEAVES)
    _index_customers(store, log.filter(log.idx >= start))
    sources = _sources(store, ingested.ingest_id)
    _append_nodes(store, start, end)
    tree.append_levels(store, end)
    previous = latest_head(store)
    head = next_head(previous, end, root(store, end), sources)
    signed = sign_head(head, key)
    seq = 0 if previous is None else count(store, store.table(HEADS))
    row = {"seq": [seq], "ingest_id": [ingested.ingest_id], "size": [end]}
    store.append(
        HEADS, literal_table({**row, "head": [canonical_json(signed.to_dict())]}, LOG_HEADS)
    )
    return signed


def _new_leaves(store: Store, ingest_id: int, start: int) -> tuple[list[ir.Table], int]:
    """This ingest's leaves, one expression per kind (each kind's indexes following the last
    kind's), and the log's size after them; no expression when the ingest stored no row."""
    parts: list[ir.Table] = []
    end = start
    for kind in INGEST_ORDER:
        if not store.has(input_table(kind)):
            continue
        table = store.table(input_table(kind))
        rows = table.filter(table._ingest_id == ingest_id)
        n = count(store, rows)
        if n:
            made = leaves_of(store, kind, rows, end, _corrected(store, kind, ingest_id))
            parts.append(made.select(**{c: made[c].cast(t) for c, t in LOG_LEAVES.items()}))
            end += n
    return parts, end


def _append_once(store: Store, table: str, expr: ir.Table) -> None:
    """Append a costly expression computed once: an engine's append may look at it first."""
    scratch = f"_new_{table}"
    store.append(table, store.temp(scratch, expr))
    store.drop(scratch)


def _index_customers(store: Store, leaves: ir.Table) -> None:
    """Append the customer index of `leaves`, sorted by customer id: each ingest adds one sorted
    run, so a lookup reads the few row groups whose min/max hold the id."""
    mine = customer_rows(leaves.filter(leaves.customer_id.notnull()))
    store.append(CUSTOMERS, mine.order_by("customer_id", "idx"))


def customer_rows(table: ir.Table) -> ir.Table:
    """(customer_id, idx) at the index's types (an engine may read an index back narrower)."""
    return table.select(customer_id=table.customer_id.cast("string"), idx=table.idx.cast("int64"))


def _corrected(store: Store, kind: str, ingest_id: int) -> ir.Table | None:
    """The live leaf (latest index and hash) of each key this ingest corrects, if any."""
    if not store.has("corrections"):
        return None
    fixes = store.table("corrections")
    if not count(store, fixes.filter((fixes.ingest_id == ingest_id) & (fixes.kind == kind))):
        return None
    log = store.table(LEAVES)
    log = log.filter(log.kind == kind)
    latest = log.group_by("key").aggregate(_idx=log.idx.max())
    live = log.join(latest, (log.key == latest.key) & (log.idx == latest._idx))
    return live.select(_old_key=live.key, _old_idx=live.idx, _old_hash=live.leaf_hash)


def leaves_of(
    store: Store, kind: str, rows: ir.Table, offset: int, corrected: ir.Table | None = None
) -> ir.Table:
    """Stored input rows as log rows: index from `offset` in key order, leaf text and hash."""
    keyed = leaf_exprs.with_key(rows, kind)
    keyed = keyed.mutate(_idx=ibis.row_number().over(order_by=keyed._key) + offset)
    keyed = leaf_exprs.with_leaf(keyed, kind)
    leaf: ir.StringValue = keyed._leaf
    old_idx: ir.Value = ibis.null("int64")
    if corrected is not None:
        keyed = keyed.left_join(corrected, keyed._key == corrected._old_key)
        ref = leaf_exprs.reference_text(keyed._old_idx, keyed._old_hash)
        fixed = '{"corrects":' + ref + keyed._leaf.substr(len(FACT_PREFIX))
        leaf = ibis.ifelse(keyed._old_idx.notnull(), fixed, keyed._leaf)
        old_idx = keyed._old_idx
    has_customer = "customer_id" in SPECS[kind].names
    logged = keyed.select(
        idx=keyed._idx,
        ingest_id=keyed._ingest_id,
        kind=ibis.literal(kind),
        key=keyed._key,
        customer_id=keyed.customer_id if has_customer else ibis.null("string"),
        corrects=old_idx,
        leaf=leaf,
    )
    return logged.mutate(leaf_hash=store.leaf_sha256(logged.leaf))


def _append_nodes(store: Store, start: int, end: int) -> None:
    """Store the roots of the blocks of CHUNK leaves this ingest completed, ROOTS_PART blocks
    per statement: its memory stays the same at any size (at 3M customers, 38M leaves, one
    statement outgrew the default 3GB cap)."""
    first, last = start // CHUNK, end // CHUNK
    for lo in range(first, last, ROOTS_PART):
        hi = min(lo + ROOTS_PART, last)
        blocks = block_roots(store, store.table(LEAVES), lo * CHUNK, hi * CHUNK)
        _append_once(store, NODES, blocks)


def block_roots(store: Store, leaves: ir.Table, lo: int, hi: int) -> ir.Table:
    """(start, node) of every block of CHUNK leaves in [lo, hi), hashed level by level in the
    engine: each level pairs nodes 2i and 2i+1 into SHA-256(0x01 || left || right)."""
    level = leaves.filter((leaves.idx >= lo) & (leaves.idx < hi))
    level = level.select(i=level.idx - lo, h=level.leaf_hash)
    for _ in range(CHUNK_HEIGHT):
        paired = level.mutate(p=exact_div(level.i, ibis.literal(2)), left=level.i % 2 == 0)
        # each filter holds for one row of the pair: any value is that row's (max compares text)
        halves = paired.group_by("p").aggregate(
            l=paired.h.arbitrary(where=paired.left), r=paired.h.arbitrary(where=~paired.left)
        )
        level = halves.select(i=halves.p, h=store.node_sha256(halves.l, halves.r))
    return level.select(start=level.i * CHUNK + lo, node=level.h)


def _sources(store: Store, ingest_id: int) -> list[Source]:
    ingests = store.table("ingests")
    mine = ingests.filter(ingests.ingest_id == ingest_id).select("kind", "file", "sha256")
    return [Source(**r) for r in store.to_arrow(mine).to_pylist()]


# reading ------------------------------------------------------------------------------------------
def heads(store: Store) -> list[SignedHead]:
    """Every signed head in chain order."""
    if not store.has(HEADS):
        return []
    table = store.table(HEADS).order_by("seq")
    return [SignedHead.from_dict(parse(r["head"])) for r in store.to_arrow(table).to_pylist()]


def latest_head(store: Store) -> SignedHead | None:
    """The last signed head, or None before the first ingest."""
    if not store.has(HEADS):
        return None
    table = store.table(HEADS)
    last = table.order_by(ibis.desc("seq")).limit(1)
    rows = store.to_arrow(last).to_pylist()
    return SignedHead.from_dict(parse(rows[0]["head"])) if rows else None


def entries(store: Store, customer_id: str) -> list[LogEntry]:
    """One customer's leaves (every kind with a customer_id), in log order: their indexes from
    the customer index, then each leaf by its index (a run the engine finds from its statistics)."""
    if not store.has(LEAVES):
        return []
    if not store.has(CUSTOMERS):  # a log made before the index: its next ingest builds it
        log = store.table(LEAVES)
        mine = log.filter(log.customer_id == customer_id)
        return [_entry(r) for r in store.to_arrow(mine.order_by("idx")).to_pylist()]
    index = store.table(CUSTOMERS)
    found = store.to_arrow(index.filter(index.customer_id == customer_id).select("idx"))
    spans = tree.runs(sorted(found.column("idx").to_pylist()))
    if not spans:
        return []
    mine = store.spans(LEAVES, "idx", spans, ENTRY_COLUMNS).to_pylist()
    return [_entry(r) for r in sorted(mine, key=lambda r: r["idx"])]


def leaf_hashes(store: Store, lo: int = 0, hi: int | None = None) -> list[bytes]:
    """The leaf hashes of [lo, hi) in order, streamed from the engine in Arrow batches."""
    if not store.has(LEAVES):
        return []
    log = store.table(LEAVES)
    wanted = log.filter(log.idx >= lo)
    if hi is not None:
        wanted = wanted.filter(log.idx < hi)
    wanted = wanted.select("idx", "leaf_hash").order_by("idx")
    out: list[bytes] = []
    for batch in store.to_arrow_batches(wanted):
        out.extend(bytes.fromhex(h) for h in batch.column("leaf_hash").to_pylist())
    return out


def root(store: Store, tree_size: int | None = None) -> bytes:
    """The root of the first `tree_size` leaves (the whole log by default)."""
    return tree.root(store, size(store) if tree_size is None else tree_size)


def inclusion_proofs(
    store: Store, indices: Iterable[int], tree_size: int
) -> dict[int, list[bytes]]:
    """Audit paths of many leaves in the tree of `tree_size` leaves, from the stored levels."""
    return tree.inclusion_proofs(store, indices, tree_size)


def consistency_proof(store: Store, old_size: int, new_size: int) -> list[bytes]:
    """RFC 6962 proof that the log of `new_size` leaves extends the log of `old_size`."""
    return tree.consistency_proof(store, old_size, new_size)


def _entry(row: dict) -> LogEntry:
    return LogEntry(
        index=int(row["idx"]),
        ingest_id=int(row["ingest_id"]),
        kind=row["kind"],
        customer_id=row["customer_id"],
        corrects=row["corrects"],
        data=row["leaf"].encode("utf-8"),
        leaf_hash=bytes.fromhex(row["leaf_hash"]),
    )


def parse(text: str) -> dict:
    """A stored head's JSON."""
    return json.loads(text)
