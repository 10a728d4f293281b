"""Usage events summed per customer, month and metric: the `usage_monthly` table features read."""

from __future__ import annotations

import ibis.expr.types as ir

from netretain.core.arith import month_index

USAGE_MONTHLY = {
    "customer_id": "string",
    "month_index": "int64",
    "metric": "string",
    "quantity": "float64",
}


def usage_monthly(events: ir.Table) -> ir.Table:
    """(customer_id, month_index, metric, quantity): every accepted event in its month, summed.

    An event's month is its day's (the first ten characters of its ISO time, in UTC).
    """
    month = month_index(events.date.substr(0, 10).cast("date"))
    t = events.select("customer_id", "metric", "quantity", month_index=month)
    summed = t.group_by(["customer_id", "month_index", "metric"]).aggregate(
        quantity=t.quantity.sum()
    )
    return summed.select(*USAGE_MONTHLY).cast(USAGE_MONTHLY)
