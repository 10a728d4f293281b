"""Expressions for the derived tables that are neither revenue lines nor MRR: FX by month, and
every customer (given, or seen only in revenue files)."""

from __future__ import annotations

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir

from netretain.core.monthly import month_spine
from netretain.store.catalogue import BOOKKEEPING

REVENUE_INPUTS = ("subscriptions", "invoice_lines", "mrr")


def fx_monthly(fx: ir.Table, currency: str, first: int, horizon: int) -> ir.Table:
    """A rate for every currency and month, the last earlier rate carried forward; `currency`
    (the reporting currency) is 1."""
    spine = month_spine(first, horizon)
    rates = fx.select("currency", rate_month="month_index", rate="rate")
    earlier = spine.join(rates, rates.rate_month <= spine.month_index)
    latest = earlier.group_by("currency", "month_index").aggregate(
        rate_month=earlier.rate_month.max()
    )
    carried = latest.join(rates, ["currency", "rate_month"]).select(
        "currency", "month_index", "rate"
    )
    reporting_rows = spine.select(
        currency=ibis.literal(currency), month_index="month_index", rate=ibis.literal(1.0)
    )
    return ibis.union(carried.filter(carried.currency != currency), reporting_rows, distinct=False)


def customers_table(inputs: Mapping[str, ir.Table]) -> ir.Table:
    """Customers as given, plus any that appear only in revenue files (attributes empty)."""
    given = inputs["customers"].drop(*BOOKKEEPING)
    seen = ibis.union(
        *[inputs[k].select("customer_id") for k in REVENUE_INPUTS],
        distinct=False,
    )
    # anti-join before the distinct: probing every row is cheaper than grouping them
    implied = seen.anti_join(given, "customer_id").distinct()
    filler = {
        name: ibis.null(dtype) for name, dtype in given.schema().items() if name != "customer_id"
    }
    return ibis.union(given, implied.mutate(**filler).select(*given.columns), distinct=False)
