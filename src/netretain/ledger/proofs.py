"""The service behind what a customer, an auditor or a chain is handed: statements with proofs,
signed reports and anchor figures, each bound to the ledger's latest signed tree head.

The log, its heads and its proofs come from the ledger (`Ledger.log_head`, `log_entries`,
`inclusion_proofs`, ledger/log.py); this module only assembles and signs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from netretain.core.results import Report
from netretain.errors import LedgerError, arg
from netretain.transparency.heads import SignedHead
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
    proofs = ledger.inclusion_proofs([e.index for e in entries], size)
    return build_statement(
        customer_id,
        [(e.index, e.data) for e in entries],
        head,
        proofs,
        key or ledger.signing_key(),
        currency=ledger.currency,
        history=[{k: r[k] for k in HISTORY} for r in rows],
    )


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
