"""Entry point: a deterministic, realistic synthetic subscription company for demos and tests."""

from __future__ import annotations

import numpy as np

from netretain.synthetic.bad_rows import bad_invoice_lines
from netretain.synthetic.calendar import make_calendar
from netretain.synthetic.company import SyntheticCompany
from netretain.synthetic.customers import customer_ids, customers_table, generate_customers
from netretain.synthetic.simulate import simulate
from netretain.synthetic.tables import (
    fx_rates_table,
    health_table,
    invoice_lines_table,
    line_id_width,
    plans_table,
    subscription_ids,
    subscriptions_table,
    usage_events_table,
)

__all__ = ["SyntheticCompany", "generate_company"]


def generate_company(
    *,
    customers: int = 3000,
    months: int = 36,
    seed: int = 7,
    start: str = "2023-01",
    bad_rows: int = 0,
) -> SyntheticCompany:
    """Simulate `customers` customers over `months` months; the same arguments give equal tables."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if bad_rows < 0:
        raise ValueError("bad_rows must not be negative")
    calendar = make_calendar(start, months)
    customer_rng, name_rng, sim_rng, fx_rng, bad_rng, health_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(6)
    )
    frame = generate_customers(customer_rng, customers, months)
    ids = customer_ids(customers)
    result = simulate(frame, calendar, sim_rng, health_rng)
    sub_ids = subscription_ids(result.subscription_count)
    id_width = line_id_width(len(result.lines["customer"]) + bad_rows)
    lines = invoice_lines_table(result.lines, frame.currency, ids, sub_ids, id_width)
    last_invoice = int(result.lines["invoice"].max(initial=calendar.month_start[0]))
    fx_months = max(months, _month_index(calendar.month_start, last_invoice) + 1)
    return SyntheticCompany(
        customers=customers_table(frame, calendar, name_rng, ids),
        subscriptions=subscriptions_table(result.subscriptions, frame.currency, ids, sub_ids),
        invoice_lines=lines,
        fx_rates=fx_rates_table(fx_rng, calendar, fx_months),
        plans=plans_table(),
        usage_events=usage_events_table(result.usage, calendar, ids),
        health=health_table(result.health, calendar, ids),
        bad_invoice_lines=bad_invoice_lines(lines, bad_rng, bad_rows, id_width),
    )


def _month_index(month_start: np.ndarray, day: int) -> int:
    return int(np.searchsorted(month_start, day, side="right")) - 1
