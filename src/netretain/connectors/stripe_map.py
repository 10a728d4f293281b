"""Stripe objects (plain dicts, as the SDK's `to_dict()` gives them) -> netretain's input tables.

The rules are in docs/connectors.md, each with an example. Stripe amounts are integers in the
currency's minor units; they become exact decimal text (3100 USD -> "31.00", 500 JPY -> "500"),
and every column is text, so the ingest parses them exactly as it parses a CSV file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa

from netretain.connectors.errors import ConnectorError
from netretain.errors import arg
from netretain.store.inputs import SPECS, minor_units

Obj = Mapping[str, Any]
# A subscription in these states was never paid for: it is no revenue at all.
NEVER_PAID = ("incomplete", "incomplete_expired")
CHOICES = {"past_due": ("revenue", "churn"), "paused": ("churn", "revenue")}


@dataclass(frozen=True)
class StripeRules:
    """The configurable rules: whether a past-due or paused subscription still counts as MRR.

    `past_due="revenue"` (Stripe's own MRR keeps it until it is canceled) or "churn" (it ends on
    its current period's start); `paused="churn"` (default) or "revenue".
    """

    past_due: str = "revenue"
    paused: str = "churn"

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{arg(name)} must be one of {allowed}")


def day(timestamp: int | None) -> str | None:
    """A Unix timestamp as its UTC date, YYYY-MM-DD."""
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(int(timestamp), dt.UTC).date().isoformat()


def money(minor: int, currency: str) -> str:
    """Integer minor units as exact decimal text in the currency's precision (3100 USD -> 31.00)."""
    return str(Decimal(int(minor)).scaleb(-minor_units(currency)))


def price_of(item: Obj) -> Obj:
    """A subscription item's or invoice line's price (new API) or plan (older API)."""
    pricing = (item.get("pricing") or {}).get("price_details") or {}
    return item.get("price") or item.get("plan") or pricing


def unit_amount(price: Obj) -> int | None:
    """A price's amount per unit in minor units; None for tiered prices (no single unit price)."""
    value = price.get("unit_amount", price.get("amount"))
    return None if value is None else int(value)


def interval_months(price: Obj) -> int | None:
    """Months per billing interval (year = 12); None for weekly and daily prices."""
    recurring = price.get("recurring") or price
    count = int(recurring.get("interval_count") or 1)
    return {"month": count, "year": 12 * count}.get(recurring.get("interval") or "")


def metered(price: Obj) -> bool:
    """Whether a price bills usage reported during the period (it feeds the usage stream)."""
    recurring = price.get("recurring") or price
    return recurring.get("usage_type") == "metered"


def discounted(amount: int, discounts: Iterable[Obj | None], currency: str) -> int:
    """An amount after its coupons: percent off rounds half up to the minor unit, as Stripe's
    invoices do; amount off (in the same currency) never takes it below zero."""
    for discount in discounts:
        coupon = (discount or {}).get("coupon") or {}
        if coupon.get("percent_off") is not None:
            off = Decimal(amount) * Decimal(str(coupon["percent_off"])) / 100
            amount -= int(off.quantize(Decimal(1), ROUND_HALF_UP))
        elif coupon.get("amount_off") is not None and (
            (coupon.get("currency") or currency).upper() == currency
        ):
            amount = max(0, amount - int(coupon["amount_off"]))
    return amount


def subscription_row(
    sub: Obj, rules: StripeRules, products: Mapping[str, str] | None = None
) -> dict[str, str | None] | None:
    """One subscription's row (None when it was never paid for): the licensed items' amount per
    interval after discounts, from the trial's end, ending as its status and the rules say. The
    plan is the price's nickname, else its product's name (`products`: id -> name), else its id."""
    if sub.get("status") in NEVER_PAID:
        return None
    items = [i for i in (sub.get("items") or {}).get("data", []) if not metered(price_of(i))]
    if not items:
        return None  # metered only: its revenue comes from invoices, as usage
    prices = [price_of(i) for i in items]
    currency = (prices[0].get("currency") or "").upper()
    units = [unit_amount(p) for p in prices]
    quantities = [int(i.get("quantity") or 1) for i in items]
    amount = None
    if all(u is not None for u in units):
        total = sum(u * q for u, q in zip(units, quantities, strict=True) if u is not None)
        discounts = [sub.get("discount"), *(sub.get("discounts") or [])]
        amount = money(discounted(total, discounts, currency), currency)
    start = max(int(sub["start_date"]), int(sub.get("trial_end") or 0))  # trials are not revenue
    return {
        "subscription_id": sub["id"],
        "customer_id": _id(sub.get("customer")),
        "start_date": day(start),
        "end_date": day(_end(sub, rules)),
        "amount": amount,
        "interval_months": _text(interval_months(prices[0])),
        "currency": currency,
        "quantity": str(sum(quantities)),
        "plan": _plan(prices[0], products),
    }


def _end(sub: Obj, rules: StripeRules) -> int | None:
    """When a subscription stops being revenue: ended, canceled ahead, or by the rules."""
    status = sub.get("status")
    period_start = _period(sub, "start")
    if status == "canceled":
        return sub.get("ended_at") or sub.get("canceled_at")
    if status == "past_due" and rules.past_due == "churn":
        return period_start
    if (status == "paused" or sub.get("pause_collection")) and rules.paused == "churn":
        return period_start
    if sub.get("cancel_at"):
        return int(sub["cancel_at"])
    if sub.get("cancel_at_period_end"):
        return _period(sub, "end")
    return None


def _period(sub: Obj, edge: str) -> int | None:
    """The subscription's current period start or end (on its first item in newer API versions)."""
    value = sub.get(f"current_period_{edge}")
    if value is None:
        items = (sub.get("items") or {}).get("data") or [{}]
        value = items[0].get(f"current_period_{edge}")
    return value


def billed_phases(schedule: Obj, now: int) -> list[Obj]:
    """A schedule's phases that have begun by `now` (the account's time, or its test clock's),
    in order: only those were billed. A phase still ahead changes nothing yet."""
    phases = sorted(schedule.get("phases") or [], key=lambda p: int(p["start_date"]))
    return [p for p in phases if int(p["start_date"]) <= now]


def schedule_rows(
    sub: Obj,
    phases: list[Obj],
    prices: Mapping[str, Obj],
    coupons: Mapping[str, Obj],
    rules: StripeRules,
    products: Mapping[str, str] | None = None,
) -> list[dict[str, str | None]]:
    """A scheduled subscription as one version per billed phase: the first keeps the
    subscription's id, each later one is `<id>@<phase start>`, and each ends where the next
    begins. The current phase's terms are the subscription's own (its items and discount); a past
    phase's come from the phase (its items' prices and coupons, by id in `prices`/`coupons`)."""
    rows = []
    for n, phase in enumerate(phases):
        current = n == len(phases) - 1
        shaped = sub if current else _as_phase(sub, phase, prices, coupons)
        row = subscription_row({**shaped, "start_date": phase["start_date"]}, rules, products)
        if row is None:
            continue
        if n:
            row["subscription_id"] = f"{sub['id']}@{day(phase['start_date'])}"
            row["start_date"] = day(phase["start_date"])
        if not current:
            row["end_date"] = day(phases[n + 1]["start_date"])
        rows.append(row)
    return rows


def _as_phase(sub: Obj, phase: Obj, prices: Mapping[str, Obj], coupons: Mapping[str, Obj]) -> Obj:
    """The subscription as it was during a past phase: the phase's items and coupons, running
    (its end is the next phase's start, set by the caller)."""
    items = []
    for item in phase.get("items") or []:
        price = item.get("price") or item.get("plan")
        if not isinstance(price, Mapping):
            price = prices.get(str(price))
            if price is None:
                raise ConnectorError(
                    f"{sub['id']}: its schedule's price {item.get('price')!r} was not found"
                )
        items.append({"price": price, "quantity": item.get("quantity") or 1})
    named = [d.get("coupon") for d in phase.get("discounts") or []] + [phase.get("coupon")]
    discounts = [{"coupon": c if isinstance(c, Mapping) else coupons[str(c)]} for c in named if c]
    trial = phase.get("trial_end") if phase.get("trial_end") else None
    return {
        **sub,
        "status": "active",
        "items": {"data": items},
        "discount": None,
        "discounts": discounts,
        "trial_end": trial,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "pause_collection": None,
    }


TERMS = ("amount", "interval_months", "currency", "quantity", "plan")
STORED = ("subscription_id", "customer_id", "start_date", "end_date", *TERMS)


def versions(
    rows: list[dict[str, str | None]], stored: list[dict[str, Any]], today: dt.date
) -> list[dict[str, str | None]]:
    """Subscription rows as versions: when a subscription's terms (amount, interval, currency,
    quantity, plan) differ from its latest stored version, that version ends `today` and a new
    one, `<id>@<today>`, starts then, so a plan change keeps the months before it."""
    latest: dict[str, dict[str, Any]] = {}
    for row in stored:
        base = str(row["subscription_id"]).split("@")[0]
        if base not in latest or row["start_date"] >= latest[base]["start_date"]:
            latest[base] = row
    out = []
    for row in rows:
        old = latest.get(str(row["subscription_id"]))
        if old is None or _same_terms(row, old):
            if old is not None:
                row = {**row, "subscription_id": old["subscription_id"]}
                row["start_date"] = old["start_date"].isoformat()
            out.append(row)
            continue
        if today <= old["start_date"]:
            out.append({**row, "subscription_id": old["subscription_id"]})
            continue
        ended = {k: _stored_text(v) for k, v in old.items() if k in row}
        out.append({**ended, "end_date": today.isoformat()})
        new_id = f"{row['subscription_id']}@{today.isoformat()}"
        out.append({**row, "subscription_id": new_id, "start_date": today.isoformat()})
    return out


def _same_terms(row: dict[str, str | None], old: dict[str, Any]) -> bool:
    for name in TERMS:
        new, kept = row.get(name), old.get(name)
        if name == "amount" and new is not None and kept is not None:
            if Decimal(new) != Decimal(kept):
                return False
        elif (None if new is None else str(new)) != (None if kept is None else str(kept)):
            return False
    return True


def _stored_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def invoice_line_rows(invoice: Obj) -> list[dict[str, str | None]]:
    """An invoice's one-time and usage lines, net of discounts and without tax. Licensed
    subscription lines (and their prorations) are left out: the subscription is their record."""
    if invoice.get("status") not in ("paid", "open"):
        return []  # drafts may change, void and uncollectible invoices are no revenue
    rows = []
    for line in (invoice.get("lines") or {}).get("data", []):
        kind = line_type(line)
        if kind is None:
            continue
        currency = (line.get("currency") or invoice.get("currency") or "").upper()
        net = line.get("amount_excluding_tax", line.get("amount")) or 0
        net -= sum(int(d.get("amount") or 0) for d in line.get("discount_amounts") or [])
        period = line.get("period") or {}
        spans = kind == "usage" and period.get("end", 0) > period.get("start", 0)
        rows.append(
            {
                "line_id": f"{invoice['id']}/{line['id']}",
                "customer_id": _id(invoice.get("customer")),
                "invoice_date": day(invoice.get("created")),
                "type": kind,
                "service_start": day(period.get("start")) if spans else None,
                "service_end": day(period.get("end")) if spans else None,
                "amount": money(net, currency),
                "currency": currency,
                "quantity": _text(line.get("quantity")),
                "plan": _plan(price_of(line)),
                # no subscription_id: a line naming one would stand in for the subscription's
                # own row (data-model rule 4), and these lines are extra to it
                "subscription_id": None,
            }
        )
    return rows


def credit_note_rows(note: Obj) -> list[dict[str, str | None]]:
    """A credit note's lines as negative one-time lines: money given back, never MRR (Stripe's
    own MRR leaves credit notes out too). Void notes give nothing."""
    if note.get("status") == "void":
        return []
    currency = (note.get("currency") or "").upper()
    rows = []
    for line in (note.get("lines") or {}).get("data", []):
        net = int(line.get("amount") or 0)
        net -= sum(int(d.get("amount") or 0) for d in line.get("discount_amounts") or [])
        rows.append(
            {
                "line_id": f"{note['id']}/{line['id']}",
                "customer_id": _id(note.get("customer")),
                "invoice_date": day(note.get("created")),
                "type": "one_time",
                "service_start": None,
                "service_end": None,
                "amount": money(-net, currency),
                "currency": currency,
                "quantity": _text(line.get("quantity")),
                "plan": None,
                "subscription_id": None,
            }
        )
    return rows


def line_type(line: Obj) -> str | None:
    """`one_time` for an invoice item, `usage` for a metered price, None for licensed items."""
    parent = (line.get("parent") or {}).get("type")
    if line.get("type") == "invoiceitem" or parent == "invoice_item_details":
        return "one_time"
    return "usage" if metered(price_of(line)) else None


def customer_row(customer: Obj) -> dict[str, str | None]:
    """A customer with its metadata as attributes (`parent_id` in metadata names a parent)."""
    metadata = dict(customer.get("metadata") or {})
    return {
        "customer_id": customer["id"],
        "name": customer.get("name") or customer.get("email"),
        "signup_date": day(customer.get("created")),
        "parent_id": metadata.pop("parent_id", None),
        **{k: str(v) for k, v in metadata.items() if k not in SPECS["customers"].names},
    }


def table(kind: str, rows: list[dict[str, str | None]]) -> pa.Table:
    """Rows of one input kind as an all-text Arrow table with the kind's columns (and extras)."""
    names = list(SPECS[kind].names)
    names += sorted({k for r in rows for k in r} - set(names))
    return pa.table({n: pa.array([r.get(n) for r in rows], pa.string()) for n in names})


def _id(value: Any) -> str | None:
    """An expandable field's id (a string, or an expanded object)."""
    if isinstance(value, Mapping):
        return value.get("id")
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _plan(price: Obj, products: Mapping[str, str] | None = None) -> str | None:
    product = _id(price.get("product"))
    return price.get("nickname") or (products or {}).get(product or "") or product
