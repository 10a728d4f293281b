"""The service behind what a customer, an auditor or a chain is handed: statements with proofs,
signed reports and anchor figures, each bound to the ledger's latest signed tree head.

The log, its heads and its proofs come from the ledger (`Ledger.log_head`, `log_entries`,
`inclusion_proofs`, ledger/log.py); this module only assembles and signs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from netretain.core.results import Report
from netretain.errors import LedgerError, arg
from netretain.ledger.log import CHUNK, LEAVES, NODES
from netretain.transparency.heads import SignedHead
from netretain.transparency.merkle import Range, hash_children, inclusion_ranges, split
from netretain.transparency.signed_report import sign_report
from netretain.transparency.statement import build_statement

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger
    from netretain.transparency.anchor import AnchorFigures

HISTORY = ("month", "mrr", "new", "expansion", "reactivation", "contraction", "churn")


def latest_head(ledger: Ledger) -> SignedHead:
    """The head every proof and signature here is bound to; an error before the first log."""
    head = ledger.log_head()
    if head is None:
        raise LedgerError(
            f"this ledger has no signed revenue log yet: its next {arg('ingest')} starts one"
        )
    return head


def statement(
    ledger: Ledger, customer_id: str, key: Ed25519PrivateKey | None = None
) -> dict[str, Any]:
    """`customer_id`'s statement: their leaves with inclusion proofs against the latest head,
    their MRR history, signed with `key` (default: the ledger's own). Unknown ids are refused."""
    head = latest_head(ledger)
    rows = ledger.customer_rows(customer_id=customer_id)  # NotFoundError for an unknown id
    size = head.head.size
    entries = [e for e in ledger.log_entries(customer_id) if e.index < size]
    proofs = inclusion_proofs(ledger, [e.index for e in entries], size)
    return build_statement(
        customer_id,
        [(e.index, e.data) for e in entries],
        head,
        proofs,
        key or ledger.signing_key(),
        currency=ledger.currency,
        history=[{k: r[k] for k in HISTORY} for r in rows],
    )


def inclusion_proofs(ledger: Ledger, indexes: Sequence[int], size: int) -> dict[int, list[bytes]]:
    """Audit paths of a statement's leaves in two reads of the log: every stored block root, and
    the leaf hashes of each leaf's own block and of the unfinished last block. Every subtree is
    hashed once, from blocks where it is whole, from leaves inside a block."""
    if not indexes:
        return {}
    whole = size // CHUNK * CHUNK  # leaves [0, whole) are covered by stored block roots
    starts = sorted({i // CHUNK * CHUNK for i in indexes if i < whole} | {whole})
    hashes = _leaf_hashes(ledger, starts, size)
    blocks = _block_roots(ledger, whole)
    memo: dict[Range, bytes] = {}

    def node(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return hashes[lo]
        if hi - lo == CHUNK and hi <= whole and lo % CHUNK == 0:
            return blocks[lo]
        if (lo, hi) not in memo:
            k = split(hi - lo)
            memo[(lo, hi)] = hash_children(node(lo, lo + k), node(lo + k, hi))
        return memo[(lo, hi)]

    return {i: [node(a, b) for a, b in inclusion_ranges(i, size)] for i in indexes}


def _leaf_hashes(ledger: Ledger, starts: Sequence[int], size: int) -> dict[int, bytes]:
    """The leaf hashes of the blocks beginning at `starts` (the last one cut at `size`)."""
    log = ledger.table(LEAVES)
    # One range filter per block, unioned: each is a contiguous run of `idx`, which the engine
    # finds from its min/max statistics; one filter OR-ing them all scans the whole log.
    spans = [
        log.filter((log.idx >= s) & (log.idx < min(s + CHUNK, size))).select("idx", "leaf_hash")
        for s in starts
    ]
    wanted = functools.reduce(lambda a, b: a.union(b), spans)
    rows = ledger.execute(wanted).to_pydict()
    return {i: bytes.fromhex(h) for i, h in zip(rows["idx"], rows["leaf_hash"], strict=True)}


def _block_roots(ledger: Ledger, whole: int) -> dict[int, bytes]:
    """Every stored block root below leaf `whole`, by its first leaf."""
    nodes = ledger.table(NODES)
    rows = ledger.execute(nodes.filter(nodes.start < whole)).to_pydict()
    found = {s: bytes.fromhex(n) for s, n in zip(rows["start"], rows["node"], strict=True)}
    if len(found) != whole // CHUNK:
        raise LedgerError(f"the log's block roots below leaf {whole} are incomplete: run verify")
    return found


def figures(report: Report) -> dict[str, Any]:
    """A report's figures as they are signed: money as exact decimal strings, ratios as numbers."""
    return report.to_dict()


def signed_report(
    ledger: Ledger, report: Report, key: Ed25519PrivateKey | None = None
) -> dict[str, Any]:
    """`report`'s figures, its definition's sha256 and the latest head under one signature."""
    head = latest_head(ledger)
    return sign_report(
        figures(report), report.definition["sha256"], head, key or ledger.signing_key()
    )


def anchor_figures(ledger: Ledger, report: Report) -> AnchorFigures:
    """What `netretain anchor` records for `report`: the latest head and the cohort's cents."""
    from netretain.transparency.anchor import figures_from_report  # web3 only when anchoring

    head = latest_head(ledger)
    return figures_from_report(report.to_dict(), head.head.root, head.head.size)
