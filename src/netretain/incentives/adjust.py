"""Figures with incentives added back (`--exclude-incentives`, docs/incentives.md): each grant
becomes a revenue line of its MRR in every month of its span that the customer pays, so every
report, under every definition, computes what MRR would have been without the discount.

A grant counts only in months the customer pays (MRR > 0 under the ledger's default rules): a
discount on a subscription that has ended takes nothing off, and adding it back must not make a
churned customer look retained. Grants count as subscription revenue in the reporting currency.
"""

from __future__ import annotations

from dataclasses import replace

import ibis
import ibis.expr.types as ir

from netretain.core import monthly
from netretain.core.arith import first_day
from netretain.core.monthly import Sources
from netretain.store.inputs import minor_units

MICRO_DIGITS = 6  # revenue lines hold monthly rates in millionths of the currency's unit


def grant_months(sources: Sources, grants: ir.Table) -> ir.Table:
    """Per grant and month it counts in: customer_id, month_index, incentive_id, micros."""
    mrr = monthly.monthly_mrr(sources, None)
    paying = mrr.filter(mrr.mrr_cents > 0).select("customer_id", "month_index")
    scale = 10 ** (MICRO_DIGITS - minor_units(sources.currency))
    g = grants.filter(grants.currency == sources.currency)
    g = g.select(
        "incentive_id",
        g_customer=g.customer_id,
        g_first=g.start_month_index,
        g_last=g.end_month_index.fill_null(sources.horizon),
        micros=g.mrr_minor * scale,
    )
    joined = paying.join(
        g,
        (paying.customer_id == g.g_customer)
        & (paying.month_index >= g.g_first)
        & (paying.month_index <= g.g_last),
    )
    return joined.select("customer_id", "month_index", "incentive_id", "micros")


def grant_lines(sources: Sources, grants: ir.Table) -> ir.Table:
    """The grants as one-month revenue lines, shaped like `revenue_lines`."""
    months = grant_months(sources, grants)
    columns = sources.revenue_lines.schema()
    lines = months.select(
        customer_id=months.customer_id,
        revenue_type=ibis.literal("subscription"),
        currency=ibis.literal(sources.currency),
        service_start=first_day(months.month_index),
        service_end=first_day(months.month_index + 1),
        monthly_micros=months.micros,
    )
    filler = {n: ibis.null(t) for n, t in columns.items() if n not in lines.columns}
    lines = lines.mutate(**filler)
    return lines.select(*[lines[n].cast(t).name(n) for n, t in columns.items()])


def added_back(sources: Sources, grants: ir.Table) -> Sources:
    """Sources whose revenue includes every grant's MRR: MRR, movements and retention computed
    on them are the figures without incentives (the stored tables are not used)."""
    lines = ibis.union(sources.revenue_lines, grant_lines(sources, grants), distinct=False)
    return replace(sources, revenue_lines=lines, components=None, mrr=None, movements=None)
