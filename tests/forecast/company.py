"""A small synthetic company for the alert tests: 900 customers in three segments over 30 months,
steady churn and expansion drawn from a seeded generator; optionally a churn spike in one segment
and month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netretain import Ledger
from netretain.core.arith import month_label, parse_month

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
START = parse_month("2023-01")
MONTHS = 30
SPIKE_MONTH = START + 22


def company(spike: str | None = None, *, share: float = 0.25, seed: int = 5) -> Ledger:
    """The company's ledger; with `spike`, a `share` of that segment's customers churn in
    SPIKE_MONTH (on top of the usual churn)."""
    rng = np.random.default_rng(seed)
    rows = []
    customers = []
    for i in range(900):
        segment = SEGMENTS[i % 3]
        joined = START + int(rng.integers(0, 12)) if i >= 300 else START
        mrr = (100.0, 1000.0, 5000.0)[SEGMENTS.index(segment)] * float(rng.uniform(0.5, 2.0))
        spiked = spike == segment and rng.random() < share
        customers.append((f"c{i:04d}", segment))
        for month in range(joined, START + MONTHS):
            if month == SPIKE_MONTH and spiked:
                break
            rows.append((f"c{i:04d}", month_label(month), round(mrr, 2), "USD"))
            if rng.random() < 0.01:
                break
            mrr *= 1.1 if rng.random() < 0.05 else 1.0
    ledger = Ledger()
    ledger.ingest_frames(
        customers=pd.DataFrame(customers, columns=["customer_id", "segment"]),
        mrr=pd.DataFrame(rows, columns=["customer_id", "month", "mrr", "currency"]),
    )
    return ledger
