"""Each account's points and tier at a month, as one Ibis expression over the ledger's `mrr`,
`movements` and `usage_monthly` tables and the redemptions kept (the engine does the counting;
only one row per account comes back). Rules: incentives/loyalty.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from netretain.core.arith import exact_div, month_label
from netretain.core.query import Query, Row, Rows
from netretain.core.results import Stamped, money
from netretain.incentives.loyalty import Rules
from netretain.store.catalogue import LOYALTY_REDEMPTIONS

REDEMPTIONS = dict(LOYALTY_REDEMPTIONS)  # the `loyalty_redemptions` table (store/catalogue.py)
COLUMNS = ("customer_id", "tier", "points", "earned", "spent", "tenure_months", "active_months",
           "expansion", "next_tier", "points_to_next")  # fmt: skip


def tier_of(earned: ir.IntegerValue, rules: Rules) -> ir.StringValue:
    """The highest tier whose min_points the earned points reach."""
    cases = [(earned >= t.min_points, t.name) for t in reversed(rules.tiers[1:])]
    return (
        ibis.cases(*cases, else_=rules.tiers[0].name)
        if cases
        else ibis.literal(rules.tiers[0].name)
    )


def next_floor(earned: ir.IntegerValue, rules: Rules) -> ir.IntegerValue:
    """The min_points of the next tier up (null at the top)."""
    cases = [(earned < t.min_points, t.min_points) for t in rules.tiers[1:]]
    if not cases:
        return ibis.null("int64")
    return ibis.cases(*cases, else_=ibis.null("int64")).cast("int64")


def _per_customer(t: ir.Table, **metrics: ir.Scalar) -> ir.Table:
    return t.group_by("customer_id").aggregate(**metrics)


def standing(
    mrr: ir.Table,
    movements: ir.Table,
    usage: ir.Table | None,
    redemptions: ir.Table | None,
    month: int,
    rules: Rules,
) -> ir.Table:
    """One row per account that has paid by `month`: tenure, active months, expansion (cents),
    points earned, spent and their balance, the tier and the points to the next tier."""
    paid = mrr.filter((mrr.month_index <= month) & (mrr.mrr_cents > 0))
    t = _per_customer(paid, tenure_months=paid.count())
    moves = movements.filter(movements.month_index <= month)
    parts = [_per_customer(moves, expansion_cents=moves.expansion.sum().cast("int64"))]
    if usage is not None:
        used = usage.filter((usage.month_index <= month) & (usage.quantity > 0))
        parts.append(_per_customer(used, active_months=used.month_index.nunique()))
    if redemptions is not None:
        kept = redemptions.filter(redemptions.month_index <= month)
        parts.append(_per_customer(kept, spent=kept.points.sum().cast("int64")))
    for part in parts:
        t = t.left_join(part, "customer_id").drop("customer_id_right")
    zero = ibis.literal(0, "int64")
    counts = {c: t[c].cast("int64").fill_null(0) if c in t.columns else zero
              for c in ("expansion_cents", "active_months", "spent")}  # fmt: skip
    t = t.mutate(**counts)
    earned = (
        t.tenure_months * rules.per_tenure_month
        + t.active_months * rules.per_active_month
        + exact_div(t.expansion_cents, ibis.literal(rules.expansion_unit_cents, "int64"))
    ).cast("int64")
    t = t.mutate(earned=earned)
    floor = next_floor(t.earned, rules)
    return t.select(
        "customer_id",
        tier=tier_of(t.earned, rules),
        points=t.earned - t.spent,
        earned=t.earned,
        spent=t.spent,
        tenure_months=t.tenure_months.cast("int64"),
        active_months=t.active_months,
        expansion_cents=t.expansion_cents,
        points_to_next=(floor - t.earned).cast("int64"),
    )


@dataclass(frozen=True, kw_only=True)
class Loyalty(Stamped):
    """Every account's tier and points at `as_of` (or one account's), and accounts per tier."""

    as_of: str
    accounts: tuple[dict[str, Any], ...]
    tiers: tuple[dict[str, Any], ...] = field(default=())
    LEAD: ClassVar[tuple[str, ...]] = ("as_of",)


def account_row(row: Row, rules: Rules) -> dict[str, Any]:
    """One account as the result shows it: expansion as money, the next tier named."""
    after = rules.tier_after(row["tier"])
    return {
        "customer_id": row["customer_id"],
        "tier": row["tier"],
        "points": int(row["points"]),
        "earned": int(row["earned"]),
        "spent": int(row["spent"]),
        "tenure_months": int(row["tenure_months"]),
        "active_months": int(row["active_months"]),
        "expansion": money(row["expansion_cents"]),
        "next_tier": after.name if after else None,
        "points_to_next": None if after is None else int(row["points_to_next"]),
    }


def loyalty_query(
    table: ir.Table,
    month: int,
    rules: Rules,
    currency: str,
    *,
    customers: Sequence[str] = (),
    top: int | None = None,
) -> Query[Loyalty]:
    """The accounts (all, or `customers`; the `top` by points) and the count in each tier."""
    rows = table.filter(table.customer_id.isin(list(customers))) if customers else table
    rows = rows.order_by([ibis.desc("points"), "customer_id"])
    if top is not None:
        rows = rows.limit(top)
    counts = table.group_by("tier").aggregate(accounts=table.count())

    def finish(found: Rows) -> Loyalty:
        by_tier = {r["tier"]: int(r["accounts"]) for r in found["tiers"]}
        return Loyalty(
            as_of=month_label(month),
            definition=rules.stamp(),
            currency=currency,
            accounts=tuple(account_row(r, rules) for r in found["accounts"]),
            tiers=tuple(
                {"tier": t.name, "min_points": t.min_points, "accounts": by_tier.get(t.name, 0)}
                for t in rules.tiers
            ),
        )

    return Query({"accounts": rows, "tiers": counts}, finish)
