"""NDR, GDR and logo retention for a definition, as Ibis expressions over the ledger.

One table answers every question: `retention_table` gives, per as-of month (and per group when
asked), the cohort's starting and ending MRR, its expansion, contraction and churn, and the three
ratios. A single report is that table at one month; a trend is all of it. Formulas (cohort method):

    NDR = sum(end) / sum(start)          over customers with MRR > 0 at T - window
    GDR = sum(min(end, start)) / sum(start)   (gdr_cap = "customer"; "aggregate" = min(NDR, 1))
    logo retention = customers with end > 0 / customers in the cohort
    start - churned - contraction + expansion = end, exactly, in cents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ibis
import ibis.expr.types as ir

from netretain.core import monthly
from netretain.core.arith import ratio
from netretain.core.monthly import Sources
from netretain.definitions.model import Definition

Enrich = Callable[[ir.Table], ir.Table]
MONEY = ("starting_cents", "ending_cents", "expansion_cents", "contraction_cents", "churn_cents")
COUNTS = ("customers_start", "customers_retained")
RATIOS = ("ndr", "gdr", "logo_retention")


def cohort_pairs(start_mrr: ir.Table, end_mrr: ir.Table, window: int, floor_cents: int) -> ir.Table:
    """Each cohort customer's MRR at the window start and at T = start + window (0 if gone)."""
    start = start_mrr.filter((start_mrr.mrr_cents > 0) & (start_mrr.mrr_cents >= floor_cents))
    start = start.select(
        "customer_id",
        start_month_index="month_index",
        as_of_index=start.month_index + window,
        start_cents="mrr_cents",
    )
    end = end_mrr.select("customer_id", end_index="month_index", end_cents="mrr_cents")
    joined = start.left_join(
        end, (start.customer_id == end.customer_id) & (start.as_of_index == end.end_index)
    )
    return joined.select(
        customer_id=joined.customer_id,
        start_month_index=joined.start_month_index,
        as_of_index=joined.as_of_index,
        start_cents=joined.start_cents,
        end_cents=joined.end_cents.fill_null(0).cast("int64"),
    )


def pairs_for(sources: Sources, definition: Definition, window: int | None = None) -> ir.Table:
    """Cohort pairs under a definition's revenue, FX and account rules."""
    window = definition.window_months if window is None else window
    mrr = monthly.monthly_mrr(sources, definition)
    floor = int(definition.min_starting_mrr * 100)
    if definition.fx == "constant":
        native = monthly.native_months(sources, definition)
        native = native.filter(native.revenue_type.isin(list(definition.revenue)))
        end = monthly.convert(native, sources.fx, rate_offset=-window)
    else:
        end = mrr
    pairs = cohort_pairs(mrr, end, window, floor)
    return pairs.filter(pairs.as_of_index <= sources.horizon)


def customer_changes(pairs: ir.Table) -> ir.Table:
    """Each cohort customer's net change split into expansion, contraction or churn."""
    s, e = pairs.start_cents, pairs.end_cents
    zero = ibis.literal(0, "int64")
    return pairs.mutate(
        expansion_cents=ibis.ifelse(e > s, e - s, zero),
        contraction_cents=ibis.ifelse((e > 0) & (e < s), s - e, zero),
        churn_cents=ibis.ifelse(e == 0, s, zero),
        retained_cents=ibis.least(s, e),
    )


def _sums(changes: ir.Table, keys: Sequence[str]) -> ir.Table:
    return changes.group_by(list(keys)).aggregate(
        starting_cents=changes.start_cents.sum(),
        ending_cents=changes.end_cents.sum(),
        expansion_cents=changes.expansion_cents.sum(),
        contraction_cents=changes.contraction_cents.sum(),
        churn_cents=changes.churn_cents.sum(),
        retained_cents=changes.retained_cents.sum(),
        customers_start=changes.count(),
        customers_retained=(changes.end_cents > 0).sum(),
    )


def with_ratios(t: ir.Table, definition: Definition) -> ir.Table:
    """NDR, GDR and logo retention of cohort sums (starting, ending and retained cents, customers).

    GDR caps each customer at its starting MRR (`retained_cents`), or, with gdr_cap = "aggregate",
    the cohort's whole ending MRR at its starting MRR: min(NDR, 1).
    """
    if definition.gdr_cap == "aggregate":
        gdr = ratio(ibis.least(t.ending_cents, t.starting_cents), t.starting_cents)
    else:
        gdr = ratio(t.retained_cents, t.starting_cents)
    return t.mutate(
        ndr=ratio(t.ending_cents, t.starting_cents),
        gdr=gdr,
        logo_retention=ratio(t.customers_retained, t.customers_start),
    )


def cohort_method(pairs: ir.Table, definition: Definition, keys: Sequence[str]) -> ir.Table:
    """Sums and ratios per key for the cohort method."""
    return with_ratios(_sums(customer_changes(pairs), keys), definition)


def movements_method(
    sources: Sources, definition: Definition, pairs: ir.Table, keys: Sequence[str]
) -> ir.Table:
    """The seed formula over the cohort's monthly movements between the window start and T.

    Expansion includes the cohort's returns (reactivation, or new after a long gap), so
    start - churn - contraction + expansion = end and NDR equals the cohort method's; GDR and logo
    retention count every monthly loss and every churn along the way.
    """
    moves = monthly.movements_for(sources, definition)
    m = moves.select(
        mv_customer="customer_id",
        mv_month="month_index",
        gained=moves.expansion + moves.reactivation + moves.new,
        lost_contraction="contraction",
        lost_churn="churn",
    )
    joined = pairs.join(
        m,
        (pairs.customer_id == m.mv_customer)
        & (m.mv_month > pairs.start_month_index)
        & (m.mv_month <= pairs.as_of_index),
    )
    per_customer = joined.group_by(["customer_id", "as_of_index"]).aggregate(
        gained=joined.gained.sum(),
        lost_contraction=joined.lost_contraction.sum(),
        lost_churn=joined.lost_churn.sum(),
        churn_events=(joined.lost_churn > 0).sum(),
    )
    full = pairs.left_join(per_customer, ["customer_id", "as_of_index"])
    full = full.select(
        *pairs.columns,
        gained=full.gained.fill_null(0),
        lost_contraction=full.lost_contraction.fill_null(0),
        lost_churn=full.lost_churn.fill_null(0),
        churn_events=full.churn_events.fill_null(0),
    )
    t = full.group_by(list(keys)).aggregate(
        starting_cents=full.start_cents.sum(),
        ending_cents=full.end_cents.sum(),
        expansion_cents=full.gained.sum(),
        contraction_cents=full.lost_contraction.sum(),
        churn_cents=full.lost_churn.sum(),
        customers_start=full.count(),
        customers_retained=(full.churn_events == 0).sum(),
    )
    lost = t.churn_cents + t.contraction_cents
    return t.mutate(
        ndr=ratio(t.ending_cents, t.starting_cents),
        gdr=ratio(t.starting_cents - lost, t.starting_cents),
        logo_retention=ratio(t.customers_retained, t.customers_start),
    )


def compounded_method(
    sources: Sources, definition: Definition, keys: Sequence[str], enrich: Enrich | None
) -> ir.Table:
    """Product of the window's monthly retention rates; money is the window cohort's bridge."""
    month_pairs = pairs_for(sources, definition, window=1)
    if enrich is not None:
        month_pairs = enrich(month_pairs)
    rates = cohort_method(month_pairs, definition, keys)
    group = [k for k in keys if k != "as_of_index"]
    rolling = ibis.window(
        group_by=group or None,
        order_by="as_of_index",
        range=(-(definition.window_months - 1), 0),
    )

    def product(ratio: ir.FloatingValue) -> ir.FloatingValue:
        logged = ibis.ifelse(ratio > 0, ratio.ln(), None)
        months = rates.as_of_index.count().over(rolling)
        zeros = ibis.ifelse(ratio <= 0, 1, 0).sum().over(rolling)
        value = ibis.ifelse(zeros > 0, 0.0, logged.sum().over(rolling).exp())
        return ibis.ifelse(months == definition.window_months, value, None)

    compounded = rates.select(
        *keys,
        c_ndr=product(rates.ndr),
        c_gdr=product(rates.gdr),
        c_logo=product(rates.logo_retention),
    )
    window_pairs = pairs_for(sources, definition)
    if enrich is not None:
        window_pairs = enrich(window_pairs)
    money = cohort_method(window_pairs, definition, keys).drop(*RATIOS)
    joined = money.left_join(compounded, list(keys))
    return joined.select(
        *[money[c] for c in money.columns],
        ndr=joined.c_ndr,
        gdr=joined.c_gdr,
        logo_retention=joined.c_logo,
    )


def retention_table(
    sources: Sources,
    definition: Definition,
    *,
    by: Sequence[str] = (),
    enrich: Enrich | None = None,
) -> ir.Table:
    """Per as-of month (and per `by` group): the cohort bridge and NDR, GDR, logo retention.

    `enrich` adds grouping columns to the cohort pairs (customer_id, start_month_index, as_of_index,
    start_cents, end_cents) before they are summed, e.g. a customer's segment or size band.
    """
    keys = ["as_of_index", *by]
    if definition.method == "compounded":
        return compounded_method(sources, definition, keys, enrich)
    pairs = pairs_for(sources, definition)
    if enrich is not None:
        pairs = enrich(pairs)
    if definition.method == "movements":
        return movements_method(sources, definition, pairs, keys)
    return cohort_method(pairs, definition, keys)
