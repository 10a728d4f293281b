"""Leakage guard: features at month M are the same whatever happens after M.

Built straight from in-memory tables (the ledger's movements, subscription terms, monthly usage
and plan allowances)
so hypothesis can try many histories; tests/predict/test_features.py checks the same through a
real ingest for a subscription whose end date records a later churn.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netretain.core.monthly import Sources, dense_movements
from netretain.core.tables import literal_table
from netretain.predict.features import FeatureInputs, feature_table

BASE = 2024 * 12  # 2024-01
MONTHS = 12
CUSTOMERS = ("A", "B", "C")
FIRST_DAY = pd.Timestamp("2024-01-01")

amounts = st.lists(st.sampled_from([0, 0, 5000, 10000, 12000, 30000]), min_size=MONTHS,
                   max_size=MONTHS)  # fmt: skip
term = st.tuples(
    st.sampled_from(CUSTOMERS),
    st.integers(0, MONTHS - 1),  # start month
    st.sampled_from([1, 3, 12]),  # interval
    st.one_of(st.none(), st.integers(1, MONTHS + 6)),  # end month (exclusive), none: open
)
METRICS = ("api_calls", "seats_active")
use = st.tuples(
    st.sampled_from(CUSTOMERS),
    st.integers(0, MONTHS + 3),  # month
    st.sampled_from(METRICS),
    st.sampled_from([0.0, 1.0, 7.0, 250.0, 1200.5]),
)
Usage = list[tuple[str, int, str, float]]


def day(month: int, dom: int = 10) -> Any:
    return (FIRST_DAY + pd.DateOffset(months=month, days=dom - 1)).date()


def inputs(series: dict[str, list[int]], terms: list[tuple[str, int, int, int | None]],
           horizon: int, usage: Usage | None = None) -> FeatureInputs:  # fmt: skip
    cents = [(c, BASE + m, v) for c, values in series.items() for m, v in enumerate(values) if v]
    cents_table = literal_table(
        {"customer_id": [r[0] for r in cents], "month_index": [r[1] for r in cents],
         "mrr_cents": [r[2] for r in cents]},
        {"customer_id": "string", "month_index": "int64", "mrr_cents": "int64"},
    )  # fmt: skip
    subs = literal_table(
        {"customer_id": [t[0] for t in terms], "start_date": [day(t[1]) for t in terms],
         "end_date": [None if t[3] is None else day(max(t[3], t[1] + 1)) for t in terms],
         "interval_months": [t[2] for t in terms], "amount": [100 * (i + 1) for i in
         range(len(terms))], "plan": [f"p{t[2]}" for t in terms],
         "quantity": [t[2] + 1 for t in terms]},
        {"customer_id": "string", "start_date": "date", "end_date": "date",
         "interval_months": "int64", "amount": "decimal(18, 2)", "plan": "string",
         "quantity": "int64"},
    )  # fmt: skip
    usage = usage or []
    usage_monthly = literal_table(
        {"customer_id": [u[0] for u in usage], "month_index": [BASE + u[1] for u in usage],
         "metric": [u[2] for u in usage], "quantity": [u[3] for u in usage]},
        {"customer_id": "string", "month_index": "int64", "metric": "string",
         "quantity": "float64"},
    )  # fmt: skip
    plans = literal_table(
        {"plan": ["p1", "p3", "p12"], "metric": ["api_calls"] * 3,
         "included_quantity": [100.0, 300.0, 0.0]},
        {"plan": "string", "metric": "string", "included_quantity": "float64"},
    )  # fmt: skip
    customers = literal_table(
        {"customer_id": list(CUSTOMERS), "segment": ["SMB", "MM", "ENT"]},
        {"customer_id": "string", "segment": "string"},
    )
    sources = Sources(
        revenue_lines=customers,
        fx=customers,
        customers=customers,
        first_month=BASE,
        horizon=horizon,
        currency="USD",
        movements=dense_movements(cents_table, horizon, BASE),
    )
    return FeatureInputs(
        sources, subscriptions=subs, usage_monthly=usage_monthly, plans=plans, usage_metrics=METRICS
    )


def features_at(con: Any, given_inputs: FeatureInputs, month: int) -> list[dict[str, Any]]:
    expr = feature_table(given_inputs, month, month, with_labels=False)
    rows = con.to_pyarrow(expr).to_pylist()
    return sorted(rows, key=lambda r: r["customer_id"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.fixed_dictionaries({c: amounts for c in CUSTOMERS}),
    after=st.fixed_dictionaries({c: amounts for c in CUSTOMERS}),
    terms=st.lists(term, max_size=4),
    later_terms=st.lists(term, max_size=3),
    cut=st.integers(2, MONTHS - 2),
    extra_months=st.integers(0, 4),
    usage=st.lists(use, max_size=12),
    later_usage=st.lists(use, max_size=6),
)
def test_features_at_m_ignore_everything_after_m(
    before: dict[str, list[int]],
    after: dict[str, list[int]],
    terms: list[tuple[str, int, int, int | None]],
    later_terms: list[tuple[str, int, int, int | None]],
    cut: int,
    extra_months: int,
    usage: Usage,
    later_usage: Usage,
) -> None:
    con = ibis.duckdb.connect()
    month = BASE + cut
    original = inputs(before, terms, BASE + MONTHS - 1, _distinct(usage))
    # after M: other MRR, terms starting later, and in-force terms ending on other dates
    changed_series = {c: before[c][: cut + 1] + after[c][cut + 1 :] + after[c][:extra_months]
                      for c in CUSTOMERS}  # fmt: skip
    moved_ends = [
        (c, s, i, e if e is None or s > cut or e <= cut else e + 3 + extra_months)
        for c, s, i, e in terms
    ]
    late = [(c, cut + 1 + s % 3, i, e) for c, s, i, e in later_terms]
    # after M: other usage in later months (and none of what was there)
    kept = [u for u in usage if u[1] <= cut]
    later = [(c, cut + 1 + m % 6, metric, q * 3 + 1) for c, m, metric, q in later_usage]
    later += [(c, cut + 1, m, 999.0) for c in CUSTOMERS for m in METRICS]  # the month after M
    altered = inputs(
        changed_series, moved_ends + late, BASE + MONTHS - 1 + extra_months, _distinct(kept + later)
    )
    assert features_at(con, original, month) == features_at(con, altered, month)


def _distinct(usage: Usage) -> Usage:
    """One quantity per customer, month and metric, as usage_monthly keeps them."""
    return list({(c, m, metric): (c, m, metric, q) for c, m, metric, q in usage}.values())
