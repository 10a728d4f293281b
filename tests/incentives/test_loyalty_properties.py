"""Invariants of the points expression on DuckDB (hypothesis): points never fall with more tenure,
usage, expansion or time; the tier never falls as points earned rise; balance = earned - spent."""

from __future__ import annotations

from functools import cache

import ibis
from hypothesis import given, settings
from hypothesis import strategies as st

from netretain.core.tables import literal_table
from netretain.incentives.loyalty import resolve
from netretain.incentives.loyalty_points import REDEMPTIONS, standing

RULES = resolve()
TIERS = [t.name for t in RULES.tiers]
LAST = 40  # months 0..39
months = st.frozensets(st.integers(0, LAST - 1), max_size=LAST)
cents = st.lists(st.integers(0, 500_000), min_size=LAST, max_size=LAST)


@cache
def con():
    return ibis.duckdb.connect()


def earned(paid: frozenset[int], active: frozenset[int], expansion: list[int], month: int,
           spent: int = 0) -> dict:  # fmt: skip
    """One customer's standing at `month` computed by the engine."""
    mrr = literal_table(
        {
            "customer_id": ["x"] * len(paid),
            "month_index": sorted(paid),
            "mrr_cents": [100] * len(paid),
        },
        {"customer_id": "string", "month_index": "int64", "mrr_cents": "int64"},
    )
    moves = literal_table(
        {"customer_id": ["x"] * LAST, "month_index": list(range(LAST)), "expansion": expansion},
        {"customer_id": "string", "month_index": "int64", "expansion": "int64"},
    )
    usage = literal_table(
        {
            "customer_id": ["x"] * len(active),
            "month_index": sorted(active),
            "quantity": [1.0] * len(active),
        },
        {"customer_id": "string", "month_index": "int64", "quantity": "float64"},
    )
    redeemed = literal_table(
        {
            "customer_id": ["x"],
            "points": [spent],
            "month_index": [0],
            **{k: [""] for k in REDEMPTIONS if k not in ("customer_id", "points", "month_index")},
        },
        REDEMPTIONS,
    )
    rows = con().to_pyarrow(standing(mrr, moves, usage, redeemed, month, RULES)).to_pylist()
    return rows[0] if rows else {"earned": 0, "points": -spent, "tier": TIERS[0]}  # never paid


@settings(max_examples=25, deadline=None)
@given(paid=months, active=months, expansion=cents, extra=st.integers(0, LAST - 1),
       month=st.integers(0, LAST - 1))  # fmt: skip
def test_more_tenure_never_lowers_points_or_tier(paid, active, expansion, extra, month) -> None:
    before, after = earned(paid, active, expansion, month), earned(paid | {extra}, active,
                                                                   expansion, month)  # fmt: skip
    assert after["earned"] >= before["earned"]
    assert TIERS.index(after["tier"]) >= TIERS.index(before["tier"])


@settings(max_examples=25, deadline=None)
@given(paid=months.filter(bool), active=months, expansion=cents, extra=st.integers(0, LAST - 1),
       bump=st.integers(1, 10**6), month=st.integers(0, LAST - 1))  # fmt: skip
def test_more_usage_or_expansion_never_lowers_points(paid, active, expansion, extra, bump, month
                                                     ) -> None:  # fmt: skip
    base = earned(paid, active, expansion, month)["earned"]
    assert earned(paid, active | {extra}, expansion, month)["earned"] >= base
    raised = [c + (bump if i == extra else 0) for i, c in enumerate(expansion)]
    assert earned(paid, active, raised, month)["earned"] >= base


@settings(max_examples=25, deadline=None)
@given(paid=months.filter(bool), active=months, expansion=cents, month=st.integers(0, LAST - 2),
       spent=st.integers(0, 5000))  # fmt: skip
def test_later_never_lower_and_balance_is_earned_less_spent(paid, active, expansion, month, spent
                                                            ) -> None:  # fmt: skip
    now, later = (
        earned(paid, active, expansion, month, spent),
        earned(paid, active, expansion, month + 1, spent),
    )
    assert later["earned"] >= now["earned"]
    if min(paid) <= month:
        assert now["points"] == now["earned"] - spent
        expected = (RULES.per_tenure_month * len([m for m in paid if m <= month])
                    + RULES.per_active_month * len([m for m in active if m <= month])
                    + sum(expansion[: month + 1]) // RULES.expansion_unit_cents)  # fmt: skip
        assert now["earned"] == expected
        reached = [t.name for t in RULES.tiers if t.min_points <= now["earned"]][-1]
        assert now["tier"] == reached  # a tier is earned, never lowered by spending
