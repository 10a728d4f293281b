"""Turn the simulation's raw columns into netretain's typed Arrow input tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from netretain.synthetic import params as P
from netretain.synthetic.arrow import (
    AMOUNT,
    FX_RATES_SCHEMA,
    HEALTH_SCHEMA,
    INVOICE_LINES_SCHEMA,
    PLANS_SCHEMA,
    QUANTITY,
    RATE,
    SUBSCRIPTIONS_SCHEMA,
    USAGE_EVENTS_SCHEMA,
    date_array,
    decimal_array,
    id_strings,
    int32_array,
    labels,
    take_strings,
)
from netretain.synthetic.calendar import Calendar
from netretain.synthetic.columns import NULL_DATE


def subscription_ids(count: int) -> pa.Array:
    """Subscription ids S00000001.. for every id the simulation issued."""
    return id_strings("S", np.arange(1, count + 1), max(8, len(str(count))))


def line_id_width(total_lines: int) -> int:
    """Digits in a line id, wide enough for every clean and deliberately bad line."""
    return max(9, len(str(total_lines)))


def invoice_lines_table(
    lines: dict[str, np.ndarray],
    customer_currency: np.ndarray,
    customer_ids: pa.Array,
    sub_ids: pa.Array,
    id_width: int,
) -> pa.Table:
    """Invoice lines sorted by invoice date, type and customer, numbered L000000001.. in order."""
    key = (lines["invoice"].astype(np.int64) * 3 + lines["kind"]) * len(customer_ids)
    order = np.argsort(key + lines["customer"], kind="stable")
    col = {name: values[order] for name, values in lines.items()}
    del order, key
    no_period = col["start"] == NULL_DATE
    customer = col["customer"]
    columns = [
        id_strings("L", np.arange(1, len(customer) + 1), id_width),
        take_strings(customer_ids, customer),
        date_array(col["invoice"]),
        labels(P.LINE_TYPES, col["kind"]),
        date_array(col["start"], no_period),
        date_array(col["end"], no_period),
        decimal_array(col["cents"], AMOUNT),
        labels(P.CURRENCIES, customer_currency[customer]),
        int32_array(col["quantity"], col["quantity"] < 0),
        labels(P.PLANS, col["plan"]),
        take_strings(sub_ids, col["subscription"]),
    ]
    return pa.Table.from_arrays(columns, schema=INVOICE_LINES_SCHEMA)


def subscriptions_table(
    subs: dict[str, np.ndarray],
    customer_currency: np.ndarray,
    customer_ids: pa.Array,
    sub_ids: pa.Array,
) -> pa.Table:
    """Subscription rows sorted by customer and start date."""
    order = np.lexsort((subs["subscription"], subs["start"], subs["customer"]))
    col = {name: values[order] for name, values in subs.items()}
    customer = col["customer"]
    columns = [
        take_strings(sub_ids, col["subscription"]),
        take_strings(customer_ids, customer),
        date_array(col["start"]),
        date_array(col["end"], col["end"] == NULL_DATE),
        decimal_array(col["cents"], AMOUNT),
        int32_array(col["interval"]),
        labels(P.CURRENCIES, customer_currency[customer]),
        int32_array(col["quantity"]),
        labels(P.PLANS, col["plan"]),
    ]
    return pa.Table.from_arrays(columns, schema=SUBSCRIPTIONS_SCHEMA)


def fx_rates_table(rng: np.random.Generator, calendar: Calendar, months: int) -> pa.Table:
    """USD per unit of each non-USD currency for `months` months: a small random walk."""
    currencies = list(P.FX_BASE)
    steps = rng.normal(0.0, P.FX_MONTHLY_VOL, (months, len(currencies)))
    steps[0] = 0.0
    rates = np.array(list(P.FX_BASE.values())) * np.exp(np.cumsum(steps, axis=0))
    month_labels = np.repeat(calendar.labels(months), len(currencies))
    columns = [
        pa.array(month_labels.tolist(), type=pa.string()),
        pa.array(currencies * months, type=pa.string()),
        decimal_array(np.rint(rates.ravel() * 1e8).astype(np.int64), RATE),
    ]
    return pa.Table.from_arrays(columns, schema=FX_RATES_SCHEMA)


def usage_events_table(
    usage: dict[str, np.ndarray], calendar: Calendar, customer_ids: pa.Array
) -> pa.Table:
    """One usage event per paying customer, metric and month, on a day of that month."""
    days = date_array(calendar.date(usage["month"], usage["day"]))
    scale = 10**QUANTITY.scale
    columns = [
        take_strings(customer_ids, usage["customer"]),
        pc.cast(days, pa.string()),
        labels(P.METRICS, usage["metric"]),
        decimal_array(usage["quantity"] * scale, QUANTITY),
    ]
    return pa.Table.from_arrays(columns, schema=USAGE_EVENTS_SCHEMA)


def plans_table() -> pa.Table:
    """What each plan includes a month per seat: api calls, and one active seat per seat."""
    plans = [p for p in P.PLANS for _ in P.METRICS]
    metrics = list(P.METRICS) * len(P.PLANS)
    included = np.column_stack([P.INCLUDED_API_CALLS, np.ones(len(P.PLANS))]).ravel()
    scale = 10**QUANTITY.scale
    columns = [
        pa.array(plans, type=pa.string()),
        pa.array(metrics, type=pa.string()),
        decimal_array(np.rint(included * scale).astype(np.int64), QUANTITY),
    ]
    return pa.Table.from_arrays(columns, schema=PLANS_SCHEMA)


def health_table(
    health: dict[str, np.ndarray], calendar: Calendar, customer_ids: pa.Array
) -> pa.Table:
    """The hidden health of each paying customer-month (never an input: for checking models)."""
    months = pa.array(calendar.labels(int(health["month"].max(initial=-1)) + 1), type=pa.string())
    columns = [
        take_strings(customer_ids, health["customer"]),
        take_strings(months, health["month"]),
        pa.array(health["health"], type=pa.float32()),
    ]
    return pa.Table.from_arrays(columns, schema=HEALTH_SCHEMA)
