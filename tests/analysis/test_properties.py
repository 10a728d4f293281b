"""Segments partition the cohort: their sums are the overall figures, for random small ledgers.

Ledgers are built straight from an MRR table (no ingest) so that each example stays fast.
"""

from __future__ import annotations

import ibis
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netretain.analysis import behind_table, segment_table
from netretain.core import monthly
from netretain.core.monthly import Sources
from netretain.core.tables import empty_table
from netretain.engines.duckdb import DuckDBStore
from tests.conftest import definition

FIRST = 2024 * 12
WINDOW = definition(window_months=3)
MONEY = ("starting_cents", "ending_cents", "expansion_cents", "contraction_cents", "churn_cents")
SUMS = (*MONEY, "customers_start", "customers_retained")
CHANGES = {
    "churn": "churn_cents",
    "contraction": "contraction_cents",
    "expansion": "expansion_cents",
}

customer = st.tuples(
    st.sampled_from(["SMB", "Mid", "Ent"]),
    st.sampled_from(["NA", "EMEA"]),
    st.lists(st.sampled_from([0, 0, 5000, 10000, 12345, 30000]), min_size=7, max_size=7),
)


def sources_for(customers: list[tuple[str, str, list[int]]]) -> Sources:
    """Sources whose stored MRR is the given monthly cents (dense, with churn months)."""
    rows = [
        (f"C{i}", FIRST + m, cents)
        for i, (_, _, months) in enumerate(customers)
        for m, cents in enumerate(months)
        if cents
    ]
    raw = pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], pa.string()),
            "month_index": pa.array([r[1] for r in rows], pa.int64()),
            "mrr_cents": pa.array([r[2] for r in rows], pa.int64()),
        }
    )
    horizon = FIRST + 6
    mrr = monthly.densify(ibis.memtable(raw), horizon, FIRST)
    people = pa.table(
        {
            "customer_id": [f"C{i}" for i in range(len(customers))],
            "name": [f"N{i}" for i in range(len(customers))],
            "segment": [c[0] for c in customers],
            "region": [c[1] for c in customers],
        }
    )
    return Sources(
        revenue_lines=empty_table({"customer_id": "string", "plan": "string"}),
        fx=empty_table({"currency": "string", "month_index": "int64", "rate": "float64"}),
        customers=ibis.memtable(people),
        first_month=FIRST,
        horizon=horizon,
        currency="USD",
        mrr=mrr,
        movements=monthly.movements(mrr),
    )


def totals(store: DuckDBStore, table: ibis.Table) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for row in store.to_arrow(table).to_pylist():
        acc = out.setdefault(row["as_of_index"], dict.fromkeys(SUMS, 0))
        for name in SUMS:
            acc[name] += int(row[name])
    return out


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(customer, min_size=1, max_size=6))
def test_segment_sums_equal_the_overall_figures(customers):
    store = DuckDBStore()
    sources = sources_for(customers)
    overall = totals(store, segment_table(sources, WINDOW))
    assert totals(store, segment_table(sources, WINDOW, by="segment")) == overall
    assert totals(store, segment_table(sources, WINDOW, by="segment,region")) == overall
    if overall:  # the drill-down at the last as-of month adds up to the same figures
        as_of = max(overall)
        rows = behind_table(sources, WINDOW, as_of=as_of)
        found = store.to_arrow(rows.group_by("change").aggregate(cents=rows.amount_cents.sum()))
        by_change = {r["change"]: r["cents"] for r in found.to_pylist()}
        for change, column in CHANGES.items():
            assert by_change.get(change, 0) == overall[as_of][column]
