"""Each definition knob (issue 3) against a case computed by hand, next to the default.

Ratios are compared exactly: a ratio of whole cents is one float division, the same as
float(Fraction(numerator, denominator)).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from netretain import DefinitionError, Ledger, Report
from netretain.definitions import resolve
from tests.conftest import Inputs, definition, ledger_from, movement_rows, mrr_by_customer, mrr_rows

D = Decimal
S, U = "subscription", "usage"


def ratio(numerator: int, denominator: int) -> float:
    return float(Fraction(numerator, denominator))


def report(ledger: Ledger, as_of: str, **knobs: Any) -> Report:
    return ledger.report(as_of, definition(**knobs))


def figures(r: Report) -> tuple[Any, ...]:
    """(start, end, expansion, contraction, churned, customers at start, retained)."""
    return (
        r.starting_mrr,
        r.ending_mrr,
        r.expansion_mrr,
        r.contraction_mrr,
        r.churn_mrr,
        r.customers_start,
        r.customers_retained,
    )


def money(*values: str | int) -> tuple[Decimal, ...]:
    return tuple(D(v).quantize(D("0.01")) for v in values)


# method ------------------------------------------------------------------------------------------


def test_method_movements_sums_the_monthly_movements(cohort_ledger: Ledger) -> None:
    # The cohort of tests/core/test_report.py, month by month from 2023-02 to 2024-01:
    #   K2 expansion 100; K3 contraction 60; K4 churn 100; K9 churn 100 in 2023-03, then back with
    #   reactivation 100 in 2023-11 (counted as expansion, so the bridge still ends at $580).
    r = report(cohort_ledger, "2024-01", method="movements")
    assert figures(r) == (*money(640, 580, 200, 60, 200), 6, 4)
    assert r.ndr == ratio(580, 640)  # the same NDR as the cohort method
    assert r.gdr == ratio(640 - 200 - 60, 640)  # every loss along the way
    assert r.logo_retention == ratio(4, 6)  # K4 and K9 churned during the window


@pytest.fixture(scope="module")
def compound_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    # A: 100 -> 110 -> 121. B joins in February at 100 and drops to 50 in March.
    rows = [
        ("A", "2024-01", "100.00"),
        ("A", "2024-02", "110.00"),
        ("A", "2024-03", "121.00"),
        ("B", "2024-02", "100.00"),
        ("B", "2024-03", "50.00"),
    ]
    return ledger_from(Inputs(tmp_path_factory.mktemp("compound")), mrr=rows)


def test_method_compounded_multiplies_monthly_rates(compound_ledger: Ledger) -> None:
    # February: cohort {A}: NDR 110/100, GDR 100/100, logo 1/1.
    # March: cohort {A, B}: NDR (121 + 50)/(110 + 100), GDR (110 + 50)/210, logo 2/2.
    r = report(compound_ledger, "2024-03", method="compounded", window_months=2)
    assert r.ndr == pytest.approx(float(Fraction(110, 100) * Fraction(171, 210)), rel=1e-12)
    assert r.ndr == pytest.approx(1881 / 2100, rel=1e-12)
    assert r.gdr == pytest.approx(160 / 210, rel=1e-12)
    assert r.logo_retention == pytest.approx(1.0, rel=1e-12)
    # The money is the window's cohort bridge: A alone, 100 -> 121.
    assert figures(r) == (*money(100, 121, 21, 0, 0), 1, 1)


def test_method_cohort_on_the_same_data_differs(compound_ledger: Ledger) -> None:
    r = report(compound_ledger, "2024-03", window_months=2)
    assert (r.ndr, r.gdr, r.logo_retention) == (ratio(121, 100), 1.0, 1.0)


def test_compounded_needs_every_month_of_the_window(compound_ledger: Ledger) -> None:
    r = report(compound_ledger, "2024-03", method="compounded", window_months=3)
    assert (r.ndr, r.customers_start) == (None, 0)  # nobody paid in 2023-12


# window_months -----------------------------------------------------------------------------------


def test_window_months_moves_the_cohort_start(cohort_ledger: Ledger) -> None:
    # T - 6 = 2023-07: K1 100, K2 200, K3 100, K5 40, K6 500 (K4 and K9 were not paying).
    # At T: 100 + 300 + 40 + 40 + 500 = 980.
    r = report(cohort_ledger, "2024-01", window_months=6)
    assert figures(r) == (*money(940, 980, 100, 60, 0), 5, 5)
    assert (r.ndr, r.gdr, r.logo_retention) == (ratio(980, 940), ratio(880, 940), 1.0)


def test_previous_month_preset_is_a_one_month_window(cohort_ledger: Ledger) -> None:
    # 2023-10 against 2023-09: K2 200 -> 300, K3 100 -> 40; K1 100, K5 40, K6 500 flat.
    r = cohort_ledger.report("2023-10", resolve("previous-month"))
    assert figures(r) == (*money(940, 980, 100, 60, 0), 5, 5)


# revenue -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def revenue_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    # RV: $1,300 for 13 months ($100/month) plus usage of $50 (2023-01) and $80 (2024-01).
    # RU: usage only, $30 in 2023-01.
    lines = [
        ("RV-S", "RV", "2023-01-01", S, "2023-01-01", "2024-02-01", "1300.00", "USD"),
        ("RV-U1", "RV", "2023-02-01", U, "2023-01-01", "2023-02-01", "50.00", "USD"),
        ("RV-U2", "RV", "2024-02-01", U, "2024-01-01", "2024-02-01", "80.00", "USD"),
        ("RU-U1", "RU", "2023-02-01", U, "2023-01-01", "2023-02-01", "30.00", "USD"),
    ]
    return ledger_from(Inputs(tmp_path_factory.mktemp("revenue")), invoice_lines=lines)


def test_revenue_subscription_and_usage(revenue_ledger: Ledger) -> None:
    r = report(revenue_ledger, "2024-01")
    # RV 150 -> 180 (expansion 30), RU 30 -> 0 (churned).
    assert figures(r) == (*money(180, 180, 30, 0, 30), 2, 1)
    assert (r.ndr, r.gdr, r.logo_retention) == (1.0, ratio(150, 180), 0.5)


def test_revenue_subscription_only(revenue_ledger: Ledger) -> None:
    r = report(revenue_ledger, "2024-01", revenue=["subscription"])
    # RV 100 -> 100; RU never had subscription revenue, so it is not in the cohort.
    assert figures(r) == (*money(100, 100, 0, 0, 0), 1, 1)
    assert (r.ndr, r.gdr, r.logo_retention) == (1.0, 1.0, 1.0)
    assert mrr_by_customer(revenue_ledger, definition(revenue=["subscription"]))["RV"][
        "2024-01"
    ] == D("100.00")


def test_revenue_usage_only(revenue_ledger: Ledger) -> None:
    r = report(revenue_ledger, "2024-01", revenue=["usage"])
    # RV 50 -> 80, RU 30 -> 0.
    assert figures(r) == (*money(80, 80, 30, 0, 30), 2, 1)
    assert r.gdr == ratio(50, 80)


# fx ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fx_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    # FX1 pays EUR 1,000 a month through 2023, EUR 900 in 2024-01; EUR goes 1.10 -> 1.20.
    # FU pays $500 throughout.
    rows = [
        *mrr_rows("FX1", "2023-01", "2023-12", "1000.00", "EUR"),
        ("FX1", "2024-01", "900.00", "EUR"),
        *mrr_rows("FU", "2023-01", "2024-01", "500.00"),
    ]
    rates = [("2023-01", "EUR", "1.10"), ("2024-01", "EUR", "1.20")]
    return ledger_from(Inputs(tmp_path_factory.mktemp("fx")), fx_rates=rates, mrr=rows)


def test_fx_actual_converts_each_end_at_its_own_rate(fx_ledger: Ledger) -> None:
    # Start: 1,000 x 1.10 + 500 = 1,600. End: 900 x 1.20 + 500 = 1,580.
    r = report(fx_ledger, "2024-01")
    assert figures(r) == (*money(1600, 1580, 0, 20, 0), 2, 2)
    assert (r.ndr, r.gdr) == (ratio(1580, 1600), ratio(1580, 1600))


def test_fx_constant_converts_both_ends_at_window_start_rates(fx_ledger: Ledger) -> None:
    # End at 2023-01's rate: 900 x 1.10 + 500 = 1,490; the currency move no longer hides the cut.
    r = report(fx_ledger, "2024-01", fx="constant")
    assert figures(r) == (*money(1600, 1490, 0, 110, 0), 2, 2)
    assert (r.ndr, r.gdr) == (ratio(1490, 1600), ratio(1490, 1600))
    preset = fx_ledger.report("2024-01", resolve("ndr-constant-fx"))
    assert preset.ndr == ratio(1490, 1600)


def test_fx_constant_is_refused_with_the_movements_method() -> None:
    # Monthly movements are taken at each month's own rate, so with constant-FX ends the bridge
    # would not close: on fx_ledger, 1,600 - 20 (January's contraction at 1.20) is not 1,490.
    with pytest.raises(DefinitionError, match="needs method cohort or compounded"):
        definition(method="movements", fx="constant")


# gap_tolerance_days ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gap_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    # Monthly $100 lines whose renewal starts late, leaving no line in force on Jan 31:
    #   GP: ends Jan 25, renews Feb 5 (11 days late) and again Mar 5.
    #   GE: ends Jan 20, renews Feb 4 (15 days late).  GL: ends Jan 20, renews Feb 10 (21 days).
    lines = [
        ("GP1", "GP", "2023-12-25", S, "2023-12-25", "2024-01-25", "100.00", "USD"),
        ("GP2", "GP", "2024-02-05", S, "2024-02-05", "2024-03-05", "100.00", "USD"),
        ("GP3", "GP", "2024-03-05", S, "2024-03-05", "2024-04-05", "100.00", "USD"),
        ("GE1", "GE", "2023-12-20", S, "2023-12-20", "2024-01-20", "100.00", "USD"),
        ("GE2", "GE", "2024-02-04", S, "2024-02-04", "2024-03-04", "100.00", "USD"),
        ("GL1", "GL", "2023-12-20", S, "2023-12-20", "2024-01-20", "100.00", "USD"),
        ("GL2", "GL", "2024-02-10", S, "2024-02-10", "2024-03-10", "100.00", "USD"),
    ]
    return ledger_from(Inputs(tmp_path_factory.mktemp("gap")), invoice_lines=lines)


def test_without_gap_tolerance_a_late_renewal_is_churn(gap_ledger: Ledger) -> None:
    r = report(gap_ledger, "2024-01", window_months=1)
    assert figures(r) == (*money(300, 0, 0, 0, 300), 3, 0)
    assert (r.ndr, r.gdr, r.logo_retention) == (0.0, 0.0, 0.0)
    assert [m[1] for m in movement_rows(gap_ledger, "GP")] == [*money(100, 0, 100, 100)]


def test_gap_tolerance_bridges_a_short_gap_over_a_month_end(gap_ledger: Ledger) -> None:
    lenient = definition(window_months=1, gap_tolerance_days=15)
    r = gap_ledger.report("2024-01", lenient)
    # GP (11 days) and GE (15 days, the limit) are still paying on Jan 31; GL (21 days) is not.
    assert figures(r) == (*money(300, 200, 0, 0, 100), 3, 2)
    assert (r.ndr, r.gdr, r.logo_retention) == (ratio(2, 3), ratio(2, 3), ratio(2, 3))
    moves = movement_rows(gap_ledger, "GP", lenient)
    assert [(m[0], m[1], m[6]) for m in moves] == [  # (month, mrr, churn)
        ("2023-12", *money(100, 0)),
        ("2024-01", *money(100, 0)),
        ("2024-02", *money(100, 0)),
        ("2024-03", *money(100, 0)),
    ]
    assert mrr_by_customer(gap_ledger, lenient)["GL"] == dict(
        zip(["2023-12", "2024-01", "2024-02", "2024-03"], money(100, 0, 100, 0), strict=True)
    )


# min_starting_mrr --------------------------------------------------------------------------------


def test_min_starting_mrr_leaves_small_customers_out_of_the_cohort(cohort_ledger: Ledger) -> None:
    # K5 starts at $40, under the $50 floor: the cohort is K1 K2 K3 K4 K9.
    r = report(cohort_ledger, "2024-01", min_starting_mrr=50)
    assert figures(r) == (*money(600, 540, 100, 60, 100), 5, 4)
    assert (r.ndr, r.gdr, r.logo_retention) == (ratio(540, 600), ratio(440, 600), ratio(4, 5))


def test_min_starting_mrr_is_inclusive(cohort_ledger: Ledger) -> None:
    assert report(cohort_ledger, "2024-01", min_starting_mrr="40.00").customers_start == 6
    assert report(cohort_ledger, "2024-01", min_starting_mrr="40.01").customers_start == 5


# gdr_cap -----------------------------------------------------------------------------------------


def test_gdr_cap_customer_and_aggregate(cohort_ledger: Ledger) -> None:
    customer = report(cohort_ledger, "2024-01", gdr_cap="customer")
    aggregate = report(cohort_ledger, "2024-01", gdr_cap="aggregate")
    assert customer.gdr == ratio(480, 640)  # each customer capped at its start
    assert aggregate.gdr == ratio(580, 640)  # min(ending, starting) / starting
    assert figures(customer) == figures(aggregate)


# account_level -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parent_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    # P has children CH1 and CH2, and CH2 has a child GC; IND stands alone.
    customers = [
        ("P", "Parent Co"),
        ("CH1", "Child one", None, "P"),
        ("CH2", "Child two", None, "P"),
        ("GC", "Grandchild", None, "CH2"),
        ("IND", "Independent"),
    ]
    rows = [
        *mrr_rows("P", "2023-01", "2024-01", "50.00"),
        *mrr_rows("CH1", "2023-01", "2023-05", "100.00"),
        *mrr_rows("CH2", "2023-01", "2023-09", "100.00"),
        *mrr_rows("CH2", "2023-10", "2024-01", "200.00"),
        *mrr_rows("GC", "2023-01", "2024-01", "100.00"),
        *mrr_rows("IND", "2023-01", "2023-06", "100.00"),
    ]
    inputs = Inputs(tmp_path_factory.mktemp("parent"))
    return ledger_from(inputs, customers=customers, mrr=rows)


def test_account_level_customer(parent_ledger: Ledger) -> None:
    r = report(parent_ledger, "2024-01")
    # P 50 -> 50, CH1 100 -> 0, CH2 100 -> 200, GC 100 -> 100, IND 100 -> 0.
    assert figures(r) == (*money(450, 350, 100, 0, 200), 5, 3)
    assert (r.ndr, r.gdr, r.logo_retention) == (ratio(350, 450), ratio(250, 450), ratio(3, 5))


def test_account_level_parent_rolls_children_up(parent_ledger: Ledger) -> None:
    parent = definition(account_level="parent")
    r = parent_ledger.report("2024-01", parent)
    # P's account (P + CH1 + CH2 + GC) 350 -> 350; IND 100 -> 0.
    assert figures(r) == (*money(450, 350, 0, 0, 100), 2, 1)
    assert (r.ndr, r.gdr, r.logo_retention) == (ratio(350, 450), ratio(350, 450), 0.5)
    accounts = mrr_by_customer(parent_ledger, parent)
    assert set(accounts) == {"P", "IND"}
    assert accounts["P"] == {
        **dict.fromkeys(["2023-01", "2023-02", "2023-03", "2023-04", "2023-05"], D("350.00")),
        **dict.fromkeys(["2023-06", "2023-07", "2023-08", "2023-09"], D("250.00")),
        **dict.fromkeys(["2023-10", "2023-11", "2023-12", "2024-01"], D("350.00")),
    }
