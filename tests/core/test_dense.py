"""The rebuild's faster forms give the same rows as the plain ones, on random small tables.

`dense_movements` is movements(densify(...)) in one window pass; `convert_by_column` is `convert`
in one group-by (a column per currency). The rebuild stores their results.
"""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netretain import Ledger
from netretain.core import monthly
from netretain.engines.duckdb import DuckDBStore

FIRST = 2024 * 12
HORIZON = FIRST + 7
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FX = {"USD": [1.0] * 8, "EUR": [None, 1.1, 1.15, 1.15, 1.2345, 1.3, 1.3, 0.85], "GBP": [1.3] * 8}


def rows_of(table: ibis.Table, store: Any = None) -> list[tuple[Any, ...]]:
    """Every row, sorted, as tuples (in-memory tables run in a fresh DuckDB)."""
    result = (store or DuckDBStore()).to_arrow(table)
    return sorted(tuple(r.values()) for r in result.to_pylist())


def cents_table(rows: list[tuple[int, int, int]]) -> ibis.Table:
    """Converted MRR rows (customer, month offset, cents), one per customer and month."""
    unique = {(c, m): cents for c, m, cents in rows}
    return ibis.memtable(
        pa.table(
            {
                "customer_id": pa.array([f"C{c}" for c, _ in unique], pa.string()),
                "month_index": pa.array([FIRST + m for _, m in unique], pa.int64()),
                "mrr_cents": pa.array(list(unique.values()), pa.int64()),
            }
        )
    )


cents_rows = st.lists(
    st.tuples(
        st.integers(0, 4), st.integers(0, 7), st.sampled_from([0, 0, 500, 1000, 1250, 99999])
    ),
    max_size=40,
)


@SETTINGS
@given(cents_rows, st.sampled_from([None, 0, 1, 2, 5]))
def test_dense_movements_are_the_movements_of_densify(
    rows: list[tuple[int, int, int]], window: int | None
) -> None:
    cents = cents_table(rows)
    plain = monthly.movements(monthly.densify(cents, HORIZON, FIRST), window)
    assert rows_of(monthly.dense_movements(cents, HORIZON, FIRST, window)) == rows_of(plain)


def test_dense_movements_by_hand() -> None:
    # C0 pays in months 0, 1 and 4, C1 only in the horizon's month (no churn month after it).
    cents = cents_table([(0, 0, 100), (0, 1, 150), (0, 2, 0), (0, 4, 80), (1, 7, 40)])
    moves = monthly.dense_movements(cents, HORIZON, FIRST)
    got = [(r[0], r[1] - FIRST, *r[2:]) for r in rows_of(moves)]
    #        month, mrr, previous, new, expansion, contraction, churn, reactivation
    assert got == [
        ("C0", 0, 100, 0, 100, 0, 0, 0, 0),
        ("C0", 1, 150, 100, 0, 50, 0, 0, 0),
        ("C0", 2, 0, 150, 0, 0, 0, 150, 0),
        ("C0", 3, 0, 0, 0, 0, 0, 0, 0),
        ("C0", 4, 80, 0, 0, 0, 0, 0, 80),
        ("C0", 5, 0, 80, 0, 0, 0, 80, 0),
        ("C1", 7, 40, 0, 40, 0, 0, 0, 0),
    ]


def fx_table() -> ibis.Table:
    """One rate per currency and month; EUR has none in the first month."""
    rows = [(c, FIRST + m, r) for c, rates in FX.items() for m, r in enumerate(rates) if r]
    return ibis.memtable(
        pa.table(
            {
                "currency": pa.array([r[0] for r in rows], pa.string()),
                "month_index": pa.array([r[1] for r in rows], pa.int64()),
                "rate": pa.array([r[2] for r in rows], pa.float64()),
            }
        )
    )


native_rows = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.integers(0, 7),
        st.sampled_from(["subscription", "usage"]),
        st.sampled_from(["USD", "EUR", "GBP", "JPY"]),  # JPY has no rate at all
        st.sampled_from([-50_000, 50_000, 100_100_000, 123_456_789, 10**12]),
    ),
    max_size=40,
)


@SETTINGS
@given(native_rows)
def test_convert_by_column_is_convert(rows: list[tuple[int, int, str, str, int]]) -> None:
    native = ibis.memtable(
        pa.table(
            {
                "customer_id": pa.array([f"C{r[0]}" for r in rows], pa.string()),
                "month_index": pa.array([FIRST + r[1] for r in rows], pa.int64()),
                "revenue_type": pa.array([r[2] for r in rows], pa.string()),
                "currency": pa.array([r[3] for r in rows], pa.string()),
                "native_micros": pa.array([r[4] for r in rows], pa.int64()),
            }
        )
    )
    plain = monthly.convert(native, fx_table())
    by_column = monthly.convert_by_column(native, fx_table(), sorted(FX))
    paying = [r for r in rows_of(plain) if r[2] > 0]
    assert [r for r in rows_of(by_column) if r[2] > 0] == paying
    assert rows_of(monthly.densify(by_column, HORIZON, FIRST)) == rows_of(
        monthly.densify(plain, HORIZON, FIRST)
    )


def test_the_stored_tables_are_the_plain_computations(rules_ledger: Ledger) -> None:
    # rules_ledger has several currencies, a month without a EUR rate and MRR rows.
    sources, store = rules_ledger.sources, rules_ledger.store
    assert sources.mrr is not None
    plain = monthly.convert(monthly.components(sources), sources.fx)
    mrr = monthly.densify(plain, sources.horizon, sources.first_month)
    assert rows_of(sources.mrr, store) == rows_of(mrr, store)
    assert rows_of(sources.movements, store) == rows_of(monthly.movements(mrr), store)
