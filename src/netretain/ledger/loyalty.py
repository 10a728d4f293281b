"""The loyalty programme on a ledger (issue 17): points and tiers computed by the engine, rewards
redeemed for points (kept in `loyalty_redemptions`), and a discount reward recorded as an
incentive grant so reports can show NDR with and without it. On-chain rewards: ledger/rewards.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir

from netretain.core.arith import month_label
from netretain.core.tables import literal_table
from netretain.errors import NotFoundError, arg
from netretain.incentives.grants import month_of, month_start
from netretain.incentives.loyalty import LoyaltyError, Reward, Rules, resolve
from netretain.incentives.loyalty_points import REDEMPTIONS, Loyalty, loyalty_query, standing
from netretain.ledger import check as checking
from netretain.ledger.incentives import IncentiveGrant, grants_table, record_incentives

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger

TABLE = "loyalty_redemptions"


@dataclass(frozen=True)
class Redemption:
    """A reward redeemed: the points it took, and the discount grant it made (if a discount)."""

    redemption_id: str
    customer_id: str
    reward: str
    kind: str
    points: int
    month: str
    channel: str
    reference: str
    rules: dict[str, Any]
    grant: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def standing_table(ledger: Ledger, month: int, rules: Rules) -> ir.Table:
    """Every account's points and tier at `month`, as an expression over the ledger's tables."""
    store = ledger.store
    if not store.has("mrr"):
        raise NotFoundError(f"this ledger is empty: ingest some files first ({arg('ingest')})")
    usage = store.table("usage_monthly") if store.has("usage_monthly") else None
    redeemed = store.table(TABLE) if store.has(TABLE) else None
    return standing(store.table("mrr"), store.table("movements"), usage, redeemed, month, rules)


def loyalty(
    ledger: Ledger,
    as_of: str | None = None,
    *,
    rules: Rules | None = None,
    customers: tuple[str, ...] = (),
    top: int | None = None,
) -> Loyalty:
    """Tiers and points per account at `as_of` (default: the latest month), best first."""
    rules = rules or resolve()
    month = ledger.month(as_of)
    table = standing_table(ledger, month, rules)
    query = loyalty_query(table, month, rules, ledger.currency, customers=customers, top=top)
    return ledger.ask(query)


def account(ledger: Ledger, customer_id: str, rules: Rules | None = None) -> dict[str, Any]:
    """One account's standing now; NotFoundError if it has never paid."""
    found = loyalty(ledger, rules=rules, customers=(customer_id,))
    if not found.accounts:
        raise NotFoundError(f"customer {customer_id} has no loyalty points: it has never paid")
    return found.accounts[0]


def redemptions(ledger: Ledger, customer_id: str) -> list[dict[str, Any]]:
    """One customer's redemptions, newest first (a small table per customer)."""
    if not ledger.store.has(TABLE):
        return []
    t = ledger.store.table(TABLE)
    mine = t.filter(t.customer_id == customer_id).order_by([t.at.desc(), t.redemption_id])
    rows = ledger.store.to_arrow(mine).to_pylist()
    return [
        {
            **{k: v for k, v in r.items() if k != "month_index"},
            "month": month_label(r["month_index"]),
        }
        for r in rows
    ]


def redeem(
    ledger: Ledger,
    customer_id: str,
    reward_id: str,
    *,
    rules: Rules | None = None,
    channel: str = "points",
    reference: str = "",
) -> Redemption:
    """Spend `customer_id`'s points on a reward: LoyaltyError if the balance is short. A discount
    starts the month after the latest month and is recorded as an incentive grant."""
    rules = rules or resolve()
    reward = rules.reward(reward_id)
    standing_now = account(ledger, customer_id, rules)
    if standing_now["points"] < reward.points:
        raise LoyaltyError(
            f"{customer_id} has {standing_now['points']} points; {reward.id} needs {reward.points}"
        )
    month = ledger.month(None)
    redemption_id = f"{channel}:{uuid.uuid4().hex}"
    return keep(ledger, customer_id, reward, rules, month, redemption_id, channel, reference,
                points=reward.points, grants=True)  # fmt: skip


def grant_for(
    customer_id: str, reward: Reward, month: int, incentive_id: str, currency: str, amount: int = 1
) -> IncentiveGrant | None:
    """The incentive a discount reward makes: `mrr` (x amount) off for `months` months from
    month + 1."""
    if reward.kind != "discount":
        return None
    return IncentiveGrant(
        incentive_id=incentive_id,
        customer_id=customer_id,
        kind="reward",
        source=f"loyalty:{reward.id}",
        start_month=month_start(month + 1),
        end_month=month_start(month + reward.months),
        mrr=reward.mrr * amount,
        currency=currency,
    )


def keep(
    ledger: Ledger,
    customer_id: str,
    reward: Reward,
    rules: Rules,
    month: int,
    redemption_id: str,
    channel: str,
    reference: str,
    *,
    points: int,
    grants: bool,
    amount: int = 1,
) -> Redemption:
    """Append the redemption row and, for a discount when `grants`, its incentive grant."""
    row = {
        "redemption_id": redemption_id,
        "customer_id": customer_id,
        "reward": reward.id,
        "kind": reward.kind,
        "points": points,
        "month_index": month,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "channel": channel,
        "rules_sha256": rules.sha256,
        "reference": reference,
    }
    grant = (
        grant_for(customer_id, reward, month, redemption_id, ledger.currency, amount)
        if grants
        else None
    )
    with ledger.store.transaction():
        ledger.store.append(TABLE, literal_table({k: [v] for k, v in row.items()}, REDEMPTIONS))
        checking.refresh(ledger.store, TABLE)
        if grant is not None:
            record_incentives(ledger, [grant])
    return Redemption(
        redemption_id=redemption_id,
        customer_id=customer_id,
        reward=reward.id,
        kind=reward.kind,
        points=points,
        month=month_label(month),
        channel=channel,
        reference=reference,
        rules=rules.stamp(),
        grant=None if grant is None else _grant_dict(grant),
    )


def _grant_dict(grant: IncentiveGrant) -> dict[str, Any]:
    """The grant as the redemption shows it, its months as YYYY-MM labels."""
    end = grant.end_month
    return {
        **vars(grant),
        "start_month": month_label(month_of(grant.start_month)),
        "end_month": None if end is None else month_label(month_of(end)),
    }


def portal_view(ledger: Ledger, customer_id: str, rules: Rules | None = None) -> dict[str, Any]:
    """What the customer portal shows one customer: tier, points, the rewards they can redeem,
    their redemptions and their open offers."""
    rules = rules or resolve()
    found = loyalty(ledger, rules=rules, customers=(customer_id,))
    mine = found.accounts[0] if found.accounts else None
    points = mine["points"] if mine else 0
    catalogue = [
        {"id": r.id, "kind": r.kind, "points": r.points, "months": r.months,
         "mrr": r.mrr if r.kind == "discount" else None, "access": r.access or None,
         "affordable": points >= r.points}
        for r in rules.rewards
    ]  # fmt: skip
    return {
        "customer_id": customer_id,
        "as_of": found.as_of,
        "currency": found.currency,
        "rules": found.definition,
        "account": mine,
        "rewards": catalogue,
        "redemptions": redemptions(ledger, customer_id),
        "offers": open_offers(ledger, customer_id),
    }


def open_offers(ledger: Ledger, customer_id: str) -> list[dict[str, Any]]:
    """The customer's offers still running after the latest month: the offer grants campaigns
    recorded for them (ledger/incentives.py), soonest ending first."""
    t = grants_table(ledger)
    month = ledger.month(None)
    mine = t.filter(
        (t.customer_id == customer_id)
        & (t.kind == "offer")
        & (t.end_month_index.isnull() | (t.end_month_index > month))
    )
    rows = ledger.store.to_arrow(mine.order_by(["end_month_index", "incentive_id"])).to_pylist()
    return [_offer(IncentiveGrant.from_row(r)) for r in rows]


def _offer(grant: IncentiveGrant) -> dict[str, Any]:
    """An offer as the portal lists it: the rule that made it, the discount and its months."""
    shown = _grant_dict(grant)
    return {"offer": grant.source, **{k: shown[k] for k in ("start_month", "end_month", "mrr")}}
