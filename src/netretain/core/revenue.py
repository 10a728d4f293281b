"""Revenue lines: every recurring amount the ledger knows, normalised to one month, native currency.

Three inputs feed it: invoice lines (subscription and usage; one-time never), subscription rows
(only for subscription ids no invoice line bills, since invoice lines are the finer record) and MRR
rows. A line is (customer, type, currency, service_start, service_end, monthly_micros, plan);
service_end is exclusive and null for an open subscription; plan is the billed plan name when the
input has one.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from netretain.core.arith import (
    first_day,
    month_index,
    with_period_months,
    with_round_div,
)

LINE_COLUMNS = (
    "customer_id",
    "revenue_type",
    "currency",
    "service_start",
    "service_end",
    "monthly_micros",
    "plan",
)


MICROS_PER_STORED_UNIT = 100  # stored amounts have 4 decimals (store.inputs.MONEY)


def micros(amount: ir.NumericValue) -> ir.IntegerValue:
    """Exact integer millionths of a stored DECIMAL(18,4) amount (JPY, USD and KWD alike)."""
    return (amount * 10_000).cast("int64") * MICROS_PER_STORED_UNIT


def from_invoice_lines(lines: ir.Table) -> ir.Table:
    """Subscription and usage lines, each amount spread over its service period's months."""
    recurring = lines.filter(lines.type.isin(["subscription", "usage"]))
    t = with_period_months(recurring, "service_start", "service_end")
    t = t.mutate(_scaled=micros(t.amount) * t._days_per_month)
    t = with_round_div(t, "_scaled", "_day_units", "monthly_micros")
    return t.select(
        "customer_id",
        revenue_type=t.type,
        currency=t.currency,
        service_start=t.service_start,
        service_end=t.service_end,
        monthly_micros=t.monthly_micros,
        plan=t.plan.cast("string"),
    )


def from_subscriptions(subscriptions: ir.Table, invoice_lines: ir.Table) -> ir.Table:
    """Subscription rows no invoice line bills: amount per interval over interval months."""
    billed = invoice_lines.filter(invoice_lines.subscription_id.notnull()).select("subscription_id")
    unbilled = subscriptions.anti_join(billed, "subscription_id")  # no distinct: a probe is cheaper
    unbilled = unbilled.mutate(_scaled=micros(unbilled.amount))
    unbilled = with_round_div(unbilled, "_scaled", "interval_months", "monthly_micros")
    return unbilled.select(
        customer_id=unbilled.customer_id,
        revenue_type=ibis.literal("subscription"),
        currency=unbilled.currency,
        service_start=unbilled.start_date,
        service_end=unbilled.end_date,
        monthly_micros=unbilled.monthly_micros,
        plan=unbilled.plan.cast("string"),
    )


def from_mrr(mrr: ir.Table) -> ir.Table:
    """MRR rows as one-month subscription lines, so they share every later rule."""
    index = mrr.month_index.cast("int64")
    return mrr.select(
        customer_id=mrr.customer_id,
        revenue_type=ibis.literal("subscription"),
        currency=mrr.currency,
        service_start=first_day(index),
        service_end=first_day(index + 1),
        monthly_micros=micros(mrr.mrr),
        plan=ibis.null("string"),
    )


def revenue_lines(invoice_lines: ir.Table, subscriptions: ir.Table, mrr: ir.Table) -> ir.Table:
    """All recurring revenue as lines with a monthly rate in native micros."""
    parts = [
        from_invoice_lines(invoice_lines),
        from_subscriptions(subscriptions, invoice_lines),
        from_mrr(mrr),
    ]
    return ibis.union(*parts, distinct=False)


def horizon_candidates(
    invoice_lines: ir.Table, subscriptions: ir.Table, mrr: ir.Table
) -> list[ir.Table]:
    """One-row tables whose greatest `last` is the ledger's last month.

    That is the latest month in which a recurring service period starts (or an MRR row stands):
    the month the data reaches, and the stored tables' last. A later month is computed on demand
    (the service extends the Sources), where prepaid service and open subscriptions count.
    """
    recurring = invoice_lines.filter(invoice_lines.type.isin(["subscription", "usage"]))
    return [
        recurring.aggregate(last=month_index(recurring.service_start).max().fill_null(-1)),
        subscriptions.aggregate(last=month_index(subscriptions.start_date).max().fill_null(-1)),
        mrr.aggregate(last=mrr.month_index.cast("int64").max().fill_null(-1)),
    ]


def latest_dates(invoice_lines: ir.Table, subscriptions: ir.Table) -> list[ir.Table]:
    """One-row tables of the latest dates the inputs show (null when empty): invoice dates and
    service starts, subscription starts and ends. With the last MRR month (`horizon_candidates`)
    they say how far the data reaches, so a month past it can be flagged as provisional."""
    return [
        invoice_lines.aggregate(
            invoiced=invoice_lines.invoice_date.max(), started=invoice_lines.service_start.max()
        ),
        subscriptions.aggregate(
            started=subscriptions.start_date.max(), ended=subscriptions.end_date.max()
        ),
    ]
