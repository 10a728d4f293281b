"""The revenue ledger: MRR per customer per month, and the movements between months.

MRR in month M is measured on M's last day: every line in force then (start <= day < end) at its
monthly rate, converted at M's FX rate and rounded to cents per currency. Months with no revenue
between active months are zero, and so is the month after the last active one (its churn month).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import ibis
import ibis.expr.types as ir

from netretain.core.arith import double_rate, month_index, with_cents
from netretain.core.tables import literal_table
from netretain.definitions.model import Definition

MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
FAR_FUTURE = ibis.date(9999, 12, 31)


@dataclass(frozen=True)
class Sources:
    """The stored tables every computation reads, plus the ledger's month range."""

    revenue_lines: ir.Table
    fx: ir.Table  # currency, month_index, rate: one row per month, carried forward
    customers: ir.Table
    first_month: int
    horizon: int
    currency: str
    components: ir.Table | None = None  # components(gap 0, customer level), computed already
    mrr: ir.Table | None = None  # materialised monthly_mrr under the default ledger rules
    movements: ir.Table | None = None  # materialised movements of `mrr`, no reactivation window


def default_rules(definition: Definition | None) -> bool:
    """Whether a definition's ledger is the materialised default one."""
    return definition is None or (
        set(definition.revenue) == {"subscription", "usage"}
        and definition.gap_tolerance_days == 0
        and definition.account_level == "customer"
    )


def in_force(lines: ir.Table, horizon: int) -> dict[str, ir.IntegerValue]:
    """`first` and `last`: the months a revenue line is in force on their last day, from its
    start's month to the month before its (exclusive) end's; an open line runs to the horizon."""
    return {
        "first": month_index(lines.service_start),
        "last": (month_index(lines.service_end) - 1).fill_null(horizon),
    }


def month_spine(first: int, last: int) -> ir.Table:
    """One row per month index from first to last, for range joins."""
    return literal_table({"month_index": range(first, last + 1)}, {"month_index": "int64"})


def bridge_gaps(lines: ir.Table, tolerance_days: int) -> ir.Table:
    """Pull a late renewal's start back to the previous end when the gap is within tolerance."""
    if tolerance_days <= 0:
        return lines
    window = ibis.window(
        group_by="customer_id", order_by=["service_start", "service_end"], rows=(None, -1)
    )
    covered_until = lines.service_end.fill_null(FAR_FUTURE).max().over(window)
    gap = lines.service_start.delta(covered_until, unit="day")
    late = covered_until.notnull() & (gap > 0) & (gap <= tolerance_days)
    return lines.mutate(service_start=ibis.ifelse(late, covered_until, lines.service_start))


def roll_up_to_parent(lines: ir.Table, customers: ir.Table) -> ir.Table:
    """Re-key lines to their top-level account, following parent links up to four levels."""
    links = customers.select(child="customer_id", parent="parent_id")
    root = lines.select(customer_id="customer_id").distinct().mutate(account=ibis._.customer_id)
    for _ in range(4):
        step = root.left_join(links, root.account == links.child)
        # .view(): each level is a new relation, or Ibis finds `links` twice in the next join
        root = step.select(
            customer_id=step.customer_id,
            account=ibis.ifelse(step.parent.notnull(), step.parent, step.account),
        ).view()
    joined = lines.join(root, "customer_id")
    return joined.mutate(customer_id=joined.account).drop("account")


def components(sources: Sources, definition: Definition | None = None) -> ir.Table:
    """Native MRR per customer, month, type and currency: lines over the months they cover."""
    given = _given_components(sources, definition)
    if given is not None:
        return given
    covered = line_months(sources, definition)
    return covered.group_by("customer_id", "month_index", "revenue_type", "currency").aggregate(
        native_micros=covered.native_micros.sum()
    )


def native_months(sources: Sources, definition: Definition | None = None) -> ir.Table:
    """What conversion sums, with the components' columns: the components when given, else each
    line once per month (no GROUP BY first: conversion sums by customer and month anyway, and at
    a million customers the components' own GROUP BY is a quarter of a rebuild)."""
    given = _given_components(sources, definition)
    return given if given is not None else line_months(sources, definition)


def _given_components(sources: Sources, definition: Definition | None) -> ir.Table | None:
    reusable = definition is None or (
        definition.gap_tolerance_days == 0 and definition.account_level == "customer"
    )
    return sources.components if reusable else None


def line_months(sources: Sources, definition: Definition | None = None) -> ir.Table:
    """Each revenue line once per month it is in force, clipped to the ledger's months:
    customer_id, month_index, revenue_type, currency and the line's monthly `native_micros`."""
    lines = sources.revenue_lines
    if definition is not None:
        lines = lines.filter(lines.revenue_type.isin(list(definition.revenue)))
        if definition.account_level == "parent":
            lines = roll_up_to_parent(lines, sources.customers)
        lines = bridge_gaps(lines, definition.gap_tolerance_days)
    first_month, horizon = sources.first_month, sources.horizon
    spans = lines.select(
        "customer_id",
        "revenue_type",
        "currency",
        "monthly_micros",
        **in_force(lines, horizon),
    )
    # clipped to the ledger's months (ifelse, not greatest: a null start must stay null)
    spans = spans.mutate(
        first=ibis.ifelse(spans.first < first_month, first_month, spans.first),
        last=ibis.ifelse(spans.last > horizon, horizon, spans.last),
    )
    steps = reach_steps(horizon - first_month)
    covered = spans.join(steps, spans.last - spans.first == steps.span)
    return covered.select(
        "customer_id",
        month_index=covered.first + covered.step,
        revenue_type=covered.revenue_type,
        currency=covered.currency,
        native_micros=covered.monthly_micros,
    )


def convert(native: ir.Table, fx: ir.Table, *, rate_offset: int = 0) -> ir.Table:
    """Cents per customer and month: each currency at the rate of month + rate_offset, then summed.

    Rounding happens per currency so that the sum is the same on every engine.
    """
    by_currency = native.group_by("customer_id", "month_index", "currency").aggregate(
        native_micros=native.native_micros.sum()
    )
    rates = fx.select(
        rate_currency="currency",
        rate_month="month_index",
        rate="rate",
        rate_double=double_rate(fx.rate),
    )
    joined = by_currency.join(
        rates,
        (by_currency.currency == rates.rate_currency)
        & (by_currency.month_index + rate_offset == rates.rate_month),
    )
    cents = with_cents(joined, "native_micros", "rate", "rate_double", "cents")
    summed = cents.group_by("customer_id", "month_index").aggregate(total=cents.cents.sum())
    return summed.select("customer_id", "month_index", mrr_cents=ibis.greatest(summed.total, 0))


def convert_by_column(native: ir.Table, fx: ir.Table, currencies: Sequence[str]) -> ir.Table:
    """convert(native, fx) in one group-by: a column of micros per currency, rates by month.

    `fx` must hold one rate per currency and month. A month where none of a customer's currencies
    has a rate is 0 here and missing in convert; densify and dense_movements drop both alike.
    """
    names = [f"_c{i}" for i in range(len(currencies))]
    picks = dict(zip(names, currencies, strict=True))
    zero = ibis.literal(0, "int64")
    t = native.group_by("customer_id", "month_index").aggregate(
        **{
            n: ibis.ifelse(native.currency == c, native.native_micros, zero).sum()
            for n, c in picks.items()
        }
    )
    rates = fx.select(rate_month="month_index", currency="currency", rate="rate")
    rates = rates.group_by("rate_month").aggregate(
        **{f"{n}_rate": rates.rate.max(where=rates.currency == c) for n, c in picks.items()}
    )
    rates = rates.mutate(**{f"{n}_double": double_rate(rates[f"{n}_rate"]) for n in names})
    t = t.left_join(rates, t.month_index == rates.rate_month)
    for n in names:
        t = with_cents(t, n, f"{n}_rate", f"{n}_double", f"{n}_cents")
    total = sum((t[f"{n}_cents"].fill_null(0) for n in names), ibis.literal(0, "int64"))
    return t.select("customer_id", "month_index", mrr_cents=ibis.greatest(total, 0))


def monthly_mrr(sources: Sources, definition: Definition | None = None) -> ir.Table:
    """Dense MRR in cents: every customer, every month from first active to the churn month."""
    if sources.mrr is not None and default_rules(definition):
        return sources.mrr
    return densify(monthly_cents(sources, definition), sources.horizon, sources.first_month)


def densify(mrr: ir.Table, horizon: int, first_month: int) -> ir.Table:
    """Fill zero months between active months and add the month after the last active one."""
    paying = mrr.filter(mrr.mrr_cents > 0)
    bounds = paying.group_by("customer_id").aggregate(
        first=paying.month_index.min(), last=paying.month_index.max()
    )
    spine = month_spine(first_month, horizon)
    grid = bounds.join(
        spine,
        (spine.month_index >= bounds.first)
        & (spine.month_index <= ibis.least(bounds.last + 1, horizon)),
    ).select("customer_id", "month_index")
    filled = grid.left_join(paying, ["customer_id", "month_index"])
    return filled.select(
        "customer_id", "month_index", mrr_cents=filled.mrr_cents.fill_null(0).cast("int64")
    )


def movements_for(sources: Sources, definition: Definition | None = None) -> ir.Table:
    """Movements under a definition's ledger rules; the stored table when those are the default."""
    window = None if definition is None else definition.reactivation_window_months
    if sources.movements is not None and default_rules(definition) and window is None:
        return sources.movements
    if sources.mrr is not None and default_rules(definition):
        return movements(sources.mrr, window)
    cents = monthly_cents(sources, definition)
    return dense_movements(cents, sources.horizon, sources.first_month, window)


def monthly_cents(
    sources: Sources,
    definition: Definition | None = None,
    currencies: Sequence[str] | None = None,
) -> ir.Table:
    """Converted MRR per customer and month, before densify; by column when given `currencies`.

    `currencies`: every currency of `sources.fx`, which has one rate per currency and month.
    """
    native = native_months(sources, definition)
    if definition is not None:
        native = native.filter(native.revenue_type.isin(list(definition.revenue)))
    if currencies:
        return convert_by_column(native, sources.fx, currencies)
    return convert(native, sources.fx)


def movements(mrr: ir.Table, reactivation_window_months: int | None = None) -> ir.Table:
    """Classify each customer-month of a dense MRR table against the previous one.

    previous + new + expansion + reactivation - contraction - churn = mrr, in every row. A return
    after more than `reactivation_window_months` months at zero counts as new.
    """
    ordered = ibis.window(group_by="customer_id", order_by="month_index")
    t = mrr.mutate(previous=mrr.mrr_cents.lag().over(ordered))
    late_return = ibis.literal(False)
    if reactivation_window_months is not None:
        before = ibis.window(group_by="customer_id", order_by="month_index", rows=(None, -1))
        last_paid = ibis.ifelse(mrr.mrr_cents > 0, mrr.month_index, None).max().over(before)
        t = t.mutate(last_paid=last_paid)
        late_return = (t.month_index - t.last_paid - 1) > reactivation_window_months
    return _movement_columns(t, late_return)


def _movement_columns(t: ir.Table, late_return: ir.BooleanValue) -> ir.Table:
    """The movement columns of rows holding `mrr_cents` and `previous` (null: first month)."""
    cur, prev = t.mrr_cents, t.previous
    returning = prev.notnull() & (prev == 0) & (cur > 0)
    zero = ibis.literal(0, "int64")
    return t.select(
        "customer_id",
        "month_index",
        "mrr_cents",
        previous_cents=prev.fill_null(0),
        new=ibis.ifelse(prev.isnull() | (returning & late_return), cur, zero),
        expansion=ibis.ifelse((prev > 0) & (cur > prev), cur - prev, zero),
        contraction=ibis.ifelse((prev > 0) & (cur > 0) & (cur < prev), prev - cur, zero),
        churn=ibis.ifelse((prev > 0) & (cur == 0), prev, zero),
        reactivation=ibis.ifelse(returning & ~late_return, cur, zero),
    )


def dense_movements(
    cents: ir.Table, horizon: int, first_month: int, reactivation_window_months: int | None = None
) -> ir.Table:
    """movements(densify(cents)) in one window pass over the paying months, no grid join.

    Each paying month m reaches until the month before the next paying one (else m + 1, within
    the horizon); the months after m in that reach are the zero months and the churn month.
    """
    paying = cents.filter(cents.mrr_cents > 0)
    ordered = ibis.window(group_by="customer_id", order_by="month_index")
    t = paying.select(
        "customer_id",
        _paid="month_index",
        _cents=paying.mrr_cents.cast("int64"),
        _prev_paid=paying.month_index.lag().over(ordered),
        _prev_cents=paying.mrr_cents.cast("int64").lag().over(ordered),
        _next_paid=paying.month_index.lead().over(ordered),
    )
    reach = ibis.ifelse(t._next_paid.notnull(), t._next_paid - 1, ibis.least(t._paid + 1, horizon))
    t = t.mutate(_span=(reach - t._paid).cast("int64"))
    steps = reach_steps(horizon - first_month)
    t = t.join(steps, t._span == steps.span)
    t = t.mutate(month_index=t._paid + t.step, mrr_cents=ibis.ifelse(t.step == 0, t._cents, 0))
    t = t.mutate(previous=_previous(t))
    late_return = ibis.literal(False)
    if reactivation_window_months is not None:
        gap = t._paid - t._prev_paid - 1
        late_return = (t.step == 0) & (gap > reactivation_window_months)
    return _movement_columns(t, late_return)


def _previous(t: ir.Table) -> ir.IntegerValue:
    """The previous month's MRR of a row in a paying month's reach; null in the first month."""
    zero = ibis.literal(0, "int64")
    at_paid = ibis.cases(
        (t._prev_paid.isnull(), ibis.null("int64")),
        (t._prev_paid == t._paid - 1, t._prev_cents),
        else_=zero,
    )
    return ibis.cases((t.step == 0, at_paid), (t.step == 1, t._cents), else_=zero).cast("int64")


def reach_steps(longest: int) -> ir.Table:
    """(span, step) for 0 <= step <= span <= longest: an equi-join that expands a reach."""
    pairs = [(span, step) for span in range(longest + 1) for step in range(span + 1)]
    return literal_table(
        {"span": [p[0] for p in pairs], "step": [p[1] for p in pairs]},
        {"span": "int64", "step": "int64"},
    )


def monthly_summary(moves: ir.Table) -> ir.Table:
    """One row per month: total MRR, paying customers, each movement summed and the customers
    with each movement (`new_customers`, ..., as ChartMogul counts them)."""
    return moves.group_by("month_index").aggregate(
        mrr_cents=moves.mrr_cents.sum(),
        customers=(moves.mrr_cents > 0).sum(),
        **{name: moves[name].sum() for name in MOVEMENTS},
        **{f"{name}_customers": (moves[name] > 0).sum() for name in MOVEMENTS},
    )


def components_from(sources: Sources, month: int) -> ir.Table:
    """The default components of months `month` to the horizon only: lines in force then, their
    first month clipped to `month` (an incremental rebuild replaces the stored rows from there)."""
    lines = sources.revenue_lines
    lines = lines.filter(in_force(lines, sources.horizon)["last"] >= month)
    return components(replace(sources, revenue_lines=lines, first_month=month, components=None))


def movements_from(
    cents: ir.Table, stored: ir.Table, month: int, horizon: int, first_month: int
) -> ir.Table:
    """The movement rows to add once stored rows of `month` on are deleted, given `cents` of
    `month` on: each customer's last paying month before `month` (the anchor, from `stored`)
    continues into the new months, and a customer returning after a gap gets the zero months
    between, before `month`, unless `stored` already holds them (a row at `month` - 1)."""
    stored = stored.select("customer_id", "month_index", "mrr_cents")
    at_last = stored.filter(stored.month_index == month - 1)
    paying = at_last.filter(at_last.mrr_cents > 0)
    # only customers with cents from `month` on and not paying before it can have an older anchor
    ids = cents.select("customer_id").distinct()
    returning = ids.filter(~ids.customer_id.isin(paying.customer_id))
    older = stored.filter(
        (stored.month_index < month - 1)
        & (stored.mrr_cents > 0)
        & stored.customer_id.isin(returning.customer_id)
    )
    last = older.group_by("customer_id").aggregate(month_index=older.month_index.max())
    anchors = ibis.union(
        paying.select("customer_id", "month_index", "mrr_cents"),
        older.join(last, ["customer_id", "month_index"]).select(
            "customer_id", "month_index", "mrr_cents"
        ),
        distinct=False,
    )
    anchors = anchors.mutate(mrr_cents=anchors.mrr_cents.cast("int64"))
    later = cents.select("customer_id", "month_index", mrr_cents=cents.mrr_cents.cast("int64"))
    rows = dense_movements(ibis.union(anchors, later, distinct=False), horizon, first_month)
    # before `month`, only an anchor's reach: its own row and churn row are stored, gaps may be
    gaps = rows.filter((rows.month_index < month) & (rows.mrr_cents == 0) & (rows.churn == 0))
    gaps = gaps.anti_join(at_last.select("customer_id"), "customer_id")
    return ibis.union(rows.filter(rows.month_index >= month), gaps, distinct=False)
