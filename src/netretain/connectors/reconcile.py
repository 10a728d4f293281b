"""Reconciling netretain's MRR with the sum a user would compute from Stripe's subscriptions.

The naive sum takes every subscription at its Stripe dates (`start_date` to `ended_at`) at its
items' `unit_amount x quantity` per month, in whatever currency. Each mapping rule is then applied
in turn, as a layer computed with the ledger's own functions (core.revenue, core.monthly), so the
difference between two layers is that rule's effect, per customer and month:

naive -> trial (trials are not revenue) -> status (cancellations ahead, never paid, past due,
paused) -> discount (coupons) -> plan_change (the versions the syncs stored) -> usage (metered
lines) -> fx (each currency at the month's rate) -> other (netretain's MRR from anything else).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from netretain.connectors import stripe_map as sm
from netretain.core import monthly, revenue
from netretain.core.monthly import Sources
from netretain.core.results import Stamped
from netretain.core.tables import literal_table

LAYERS = ("naive", "trial", "status", "discount", "plan_change", "usage", "fx", "netretain")
RULES = (*LAYERS[1:-1], "other")
ROW_SCHEMA = {
    "layer": "string",
    "subscription_id": "string",
    "customer_id": "string",
    "start_date": "date",
    "end_date": "date",
    "amount": "decimal(18, 4)",
    "interval_months": "int64",
    "currency": "string",
    "plan": "string",
}


def subscription_layers(subs: Iterable[Mapping[str, Any]], rules: sm.StripeRules) -> ir.Table:
    """Each subscription as rows of the first four layers (a layer without it has no row)."""
    rows: list[dict[str, Any]] = []
    for sub in subs:
        items = [
            i for i in (sub.get("items") or {}).get("data", []) if not sm.metered(sm.price_of(i))
        ]
        prices = [sm.price_of(i) for i in items]
        units = [sm.unit_amount(p) for p in prices]
        if not items or None in units or sm.interval_months(prices[0]) is None:
            continue  # no unit amount or month count: nothing a user could sum either
        currency = (prices[0].get("currency") or "").upper()
        gross = sum(
            int(u or 0) * int(i.get("quantity") or 1) for u, i in zip(units, items, strict=True)
        )
        net = sm.discounted(gross, [sub.get("discount"), *(sub.get("discounts") or [])], currency)
        start = int(sub["start_date"])
        base = {
            "subscription_id": sub["id"],
            "customer_id": sm._id(sub.get("customer")),
            "interval_months": sm.interval_months(prices[0]),
            "currency": currency,
            "plan": None,
        }
        ended = sub.get("ended_at") if sub.get("status") == "canceled" else None
        trial = max(start, int(sub.get("trial_end") or 0))
        end = None if sub.get("status") in sm.NEVER_PAID else sm._end(sub, rules)
        layers = [("naive", start, ended, gross), ("trial", trial, ended, gross)]
        if sub.get("status") not in sm.NEVER_PAID:
            layers += [("status", trial, end, gross), ("discount", trial, end, net)]
        for layer, first, last, amount in layers:
            rows.append(
                {
                    **base,
                    "layer": layer,
                    "start_date": _date(first),
                    "end_date": _date(last),
                    "amount": Decimal(sm.money(amount, currency)),
                }
            )
    columns = {name: [r[name] for r in rows] for name in ROW_SCHEMA}
    return literal_table(columns, ROW_SCHEMA)


def _date(timestamp: int | None) -> Any:
    import datetime as dt

    text = sm.day(timestamp)
    return None if text is None else dt.date.fromisoformat(text)


@dataclass(frozen=True)
class Ledgered:
    """What the ledger holds for the reconciliation: its months, rates and Stripe's rows."""

    versions: ir.Table  # input_subscriptions rows the Stripe syncs stored
    usage: ir.Table  # input_invoice_lines usage rows the Stripe syncs stored
    mrr: ir.Table  # the ledger's MRR (cents) per customer and month
    fx: ir.Table
    customers: ir.Table
    first_month: int
    horizon: int
    currency: str


def layer_cents(layers: ir.Table, held: Ledgered) -> ir.Table:
    """Cents per layer, customer and month: each layer through the ledger's own MRR functions."""
    no_lines = held.usage.filter(ibis.literal(False))
    unit_fx = held.fx.mutate(rate=ibis.literal(1).cast(held.fx.rate.type()))

    def cents(lines: ir.Table, fx: ir.Table, name: str) -> ir.Table:
        sources = Sources(lines, fx, held.customers, held.first_month, held.horizon, held.currency)
        converted = monthly.convert(monthly.native_months(sources), fx)
        return converted.mutate(layer=ibis.literal(name))

    def subscription_lines(rows: ir.Table) -> ir.Table:
        return revenue.from_subscriptions(rows, no_lines)

    versions = subscription_lines(held.versions)
    with_usage = ibis.union(versions, revenue.from_invoice_lines(held.usage), distinct=False)
    parts = [
        cents(subscription_lines(layers.filter(layers.layer == name)), unit_fx, name)
        for name in LAYERS[:4]
    ]
    parts += [
        cents(versions, unit_fx, "plan_change"),
        cents(with_usage, unit_fx, "usage"),
        cents(with_usage, held.fx, "fx"),
    ]
    stripe_customers = ibis.union(
        layers.select("customer_id"), held.versions.select("customer_id"), distinct=True
    )
    actual = held.mrr.semi_join(stripe_customers, "customer_id")
    parts.append(actual.mutate(layer=ibis.literal("netretain")))
    return ibis.union(
        *(p.select("layer", "customer_id", "month_index", "mrr_cents") for p in parts)
    )


def by_customer(cents: ir.Table, first: int, last: int) -> ir.Table:
    """One row per customer and month: each layer's cents (0 where it has none)."""
    t = cents.filter((cents.month_index >= first) & (cents.month_index <= last))
    return t.group_by("customer_id", "month_index").aggregate(
        **{name: t.mrr_cents.sum(where=t.layer == name).fill_null(0) for name in LAYERS}
    )


def by_month(rows: ir.Table) -> ir.Table:
    """The layers summed per month."""
    return (
        rows.group_by("month_index")
        .aggregate(**{name: rows[name].sum() for name in LAYERS})
        .order_by("month_index")
    )


def differences(row: Mapping[str, Any]) -> dict[str, Decimal]:
    """Stripe's naive sum, netretain's MRR, and each rule's effect between them (money): a
    rule's effect is its layer less the one before it, so they add up to the whole gap."""
    money = {name: Decimal(int(row[name] or 0)) / 100 for name in LAYERS}
    out = {"stripe_mrr": money["naive"], "netretain_mrr": money["netretain"]}
    for rule, after, before in zip(RULES, LAYERS[1:], LAYERS[:-1], strict=True):
        out[rule] = money[after] - money[before]
    return out


@dataclass(frozen=True)
class Reconciled:
    """One month (or one customer in it): Stripe's naive sum, netretain's MRR, each rule's part."""

    month: str
    stripe_mrr: Decimal
    netretain_mrr: Decimal
    trial: Decimal
    status: Decimal
    discount: Decimal
    plan_change: Decimal
    usage: Decimal
    fx: Decimal
    other: Decimal
    customer_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Reconciliation(Stamped):
    """Per month, netretain's MRR against Stripe's subscription objects, explained by rule; with
    `customers` for one month, every customer whose figures differ."""

    first: str = ""
    last: str = ""
    months: list[Reconciled] = field(default_factory=list)
    customers: list[Reconciled] = field(default_factory=list)
    LEAD: ClassVar[tuple[str, ...]] = ("first", "last")


def reconciled(label: str, row: Mapping[str, Any], customer_id: str | None = None) -> Reconciled:
    """A layered row (see `by_customer`, `by_month`) as its record."""
    d = differences(row)
    return Reconciled(
        month=label,
        stripe_mrr=d["stripe_mrr"],
        netretain_mrr=d["netretain_mrr"],
        trial=d["trial"],
        status=d["status"],
        discount=d["discount"],
        plan_change=d["plan_change"],
        usage=d["usage"],
        fx=d["fx"],
        other=d["other"],
        customer_id=customer_id,
    )
