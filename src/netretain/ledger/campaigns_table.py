"""The campaigns a ledger keeps (issue 17): `campaigns` (one row per campaign) and
`campaign_accounts` (its accounts, treated or held out). Reading and writing them, nothing more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netretain.core.tables import literal_table
from netretain.errors import LedgerError, NotFoundError
from netretain.ledger import check as checking
from netretain.store.catalogue import CAMPAIGN_ACCOUNTS, CAMPAIGNS

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger

HEADS, ACCOUNTS = "campaigns", "campaign_accounts"


def save(ledger: Ledger, head: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Write a campaign and its accounts (inside the caller's transaction)."""
    store = ledger.store
    if find(ledger, head["campaign_id"]) is not None:
        raise LedgerError(
            f"campaign {head['campaign_id']} was already started; its accounts are kept as "
            "they were drawn (see netretain campaign results)"
        )
    store.append(HEADS, literal_table({k: [v] for k, v in head.items()}, CAMPAIGNS))
    columns = {name: [r[name] for r in rows] for name in CAMPAIGN_ACCOUNTS}
    store.append(ACCOUNTS, literal_table(columns, CAMPAIGN_ACCOUNTS))
    checking.refresh(store, HEADS, ACCOUNTS)


def find(ledger: Ledger, campaign_id: str) -> dict[str, Any] | None:
    store = ledger.store
    if not store.has(HEADS):
        return None
    t = store.table(HEADS)
    rows = store.to_arrow(t.filter(t.campaign_id == campaign_id)).to_pylist()
    return rows[0] if rows else None


def listing(ledger: Ledger) -> list[dict[str, Any]]:
    """Every campaign, newest first."""
    store = ledger.store
    if not store.has(HEADS):
        return []
    t = store.table(HEADS)
    return store.to_arrow(t.order_by([t.created_at.desc(), t.campaign_id])).to_pylist()


def chosen(ledger: Ledger, campaign_id: str | None) -> dict[str, Any]:
    """A campaign by id, or the latest; a clear message when there is none."""
    if campaign_id is None:
        found = listing(ledger)
        if not found:
            raise NotFoundError(
                "no campaign in this ledger: start one with netretain campaign start"
            )
        return found[0]
    head = find(ledger, campaign_id)
    if head is None:
        known = ", ".join(r["campaign_id"] for r in listing(ledger)) or "none"
        raise NotFoundError(f"no campaign {campaign_id!r}; known: {known}")
    return head


def offered(ledger: Ledger, ids: list[str]) -> list[tuple[str, int]]:
    """(customer_id, first month of the offer) for every treated account among `ids`."""
    store = ledger.store
    if not ids or not store.has(ACCOUNTS):
        return []
    a, c = store.table(ACCOUNTS), store.table(HEADS)
    treated = a.filter((a.arm == "treated") & a.customer_id.isin(ids))
    joined = treated.join(c, "campaign_id")
    rows = store.to_arrow(joined.select("customer_id", start=joined.as_of_index + 1)).to_pylist()
    return [(r["customer_id"], int(r["start"])) for r in rows]
