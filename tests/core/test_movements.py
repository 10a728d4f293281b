"""MRR movements (issue 3): new, expansion, contraction, churn, reactivation, and the bridge.

`movements_ledger` (tests/core/conftest.py), MRR by month (blank = no revenue):

    month  2024-01 02   03   04   05   06   07   08
    X         100  150  120   .    .   80   80    .
    Z         100   .    .    .    .  100  100  100
    Y           .   .    .  200  200  200  200  200
    H          50  50   50   50   50   50   50   50
"""

from __future__ import annotations

from decimal import Decimal

from netretain import Ledger
from tests.conftest import definition, monthly_totals, movement_rows

D = Decimal


def row(month: str, mrr: int, previous: int, *moves: int) -> tuple[object, ...]:
    """(month, mrr, previous, new, expansion, contraction, churn, reactivation) in dollars."""
    padded = [*moves, *([0] * (5 - len(moves)))]
    return (month, *(D(v).quantize(D("0.01")) for v in (mrr, previous, *padded)))


def test_every_movement_kind(movements_ledger: Ledger) -> None:
    #            month      mrr  prev  new  exp  con  churn  react
    assert movement_rows(movements_ledger, "X") == [
        row("2024-01", 100, 0, 100),
        row("2024-02", 150, 100, 0, 50),
        row("2024-03", 120, 150, 0, 0, 30),
        row("2024-04", 0, 120, 0, 0, 0, 120),
        row("2024-05", 0, 0),  # a month with no revenue between active months: zero, not missing
        row("2024-06", 80, 0, 0, 0, 0, 0, 80),
        row("2024-07", 80, 80),
        row("2024-08", 0, 80, 0, 0, 0, 80),
    ]


def test_zero_months_are_rows_and_the_return_is_reactivation(movements_ledger: Ledger) -> None:
    assert movement_rows(movements_ledger, "Z") == [
        row("2024-01", 100, 0, 100),
        row("2024-02", 0, 100, 0, 0, 0, 100),
        row("2024-03", 0, 0),
        row("2024-04", 0, 0),
        row("2024-05", 0, 0),
        row("2024-06", 100, 0, 0, 0, 0, 0, 100),
        row("2024-07", 100, 100),
        row("2024-08", 100, 100),
    ]


def test_first_mrr_ever_is_new_even_after_the_ledger_starts(movements_ledger: Ledger) -> None:
    assert movement_rows(movements_ledger, "Y")[0] == row("2024-04", 200, 0, 200)
    assert len(movement_rows(movements_ledger, "Y")) == 5  # 2024-04 .. 2024-08, no churn month


def test_monthly_movements_of_the_whole_business(movements_ledger: Ledger) -> None:
    totals = monthly_totals(movements_ledger)
    # month: (mrr, paying customers, new, expansion, contraction, churn, reactivation)
    expected = {
        "2024-01": (250, 3, 250, 0, 0, 0, 0),
        "2024-02": (200, 2, 0, 50, 0, 100, 0),
        "2024-03": (170, 2, 0, 0, 30, 0, 0),
        "2024-04": (250, 2, 200, 0, 0, 120, 0),
        "2024-05": (250, 2, 0, 0, 0, 0, 0),
        "2024-06": (430, 4, 0, 0, 0, 0, 180),
        "2024-07": (430, 4, 0, 0, 0, 0, 0),
        "2024-08": (350, 3, 0, 0, 0, 80, 0),
    }
    names = ("mrr", "customers", "new", "expansion", "contraction", "churn", "reactivation")
    got = {m: tuple(t[n] for n in names) for m, t in totals.items()}
    assert got == {m: (D(v[0]), v[1], *(D(x) for x in v[2:])) for m, v in expected.items()}


def test_bridge_closes_for_every_customer_month(movements_ledger: Ledger) -> None:
    rows = movements_ledger.customer_history().to_pylist()
    assert len(rows) == 8 + 8 + 5 + 8
    for r in rows:
        gained = r["new"] + r["expansion"] + r["reactivation"]
        assert r["previous_cents"] + gained - r["contraction"] - r["churn"] == r["mrr_cents"], r


def test_bridge_closes_for_every_month(movements_ledger: Ledger) -> None:
    previous = D(0)
    for month in movements_ledger.movements():
        assert previous + month.net_new == month.mrr, month
        previous = month.mrr


def test_reactivation_window_turns_a_late_return_into_new(movements_ledger: Ledger) -> None:
    # Z is at zero for four months (Feb .. May). With a three-month window that is too long: its
    # June return is new. X's two months at zero (Apr, May) are within it: still reactivation.
    three = definition(reactivation_window_months=3)
    assert movement_rows(movements_ledger, "Z", three)[5] == row("2024-06", 100, 0, 100)
    assert movement_rows(movements_ledger, "X", three)[5] == row("2024-06", 80, 0, 0, 0, 0, 0, 80)
    june = monthly_totals(movements_ledger, three)["2024-06"]
    assert (june["new"], june["reactivation"]) == (D("100.00"), D("80.00"))
    # Four months at zero are within a four-month window.
    four = definition(reactivation_window_months=4)
    assert movement_rows(movements_ledger, "Z", four)[5] == row("2024-06", 100, 0, 0, 0, 0, 0, 100)


def test_stored_movements_table_matches_a_fresh_computation(movements_ledger: Ledger) -> None:
    # A window longer than the ledger changes nothing but is not the stored default: recomputed.
    stored = movements_ledger.customer_history().to_pylist()
    fresh = movements_ledger.customer_history(definition=definition(reactivation_window_months=99))
    assert fresh.to_pylist() == stored
    assert len(stored) == 29
