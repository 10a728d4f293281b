"""The default definition ndr@1 (issue 3): cohort, NDR, GDR, logo retention and the bridge.

`cohort_ledger` (tests/core/conftest.py) at T = 2024-01, window start 2023-01:

    customer  2023-01  2024-01
    K1           100      100   kept
    K2           200      300   expansion 100 (from 2023-10)
    K3           100       40   contraction 60 (from 2023-10)
    K4           100        0   churned 100 (gone from 2023-06)
    K5            40       40   kept
    K6             0      500   joined 2023-02: not in the cohort
    K9           100      100   away 2023-03 .. 2023-10, back by T: retained
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from netretain import Ledger, LedgerError, Report
from netretain.definitions import default
from tests.conftest import Inputs, ledger_from

D = Decimal


def ratio(numerator: int, denominator: int) -> float:
    """A ratio of whole cents exactly as a float division of them gives it."""
    return float(Fraction(numerator, denominator))


@pytest.fixture(scope="module")
def report(cohort_ledger: Ledger) -> Report:
    return cohort_ledger.report("2024-01")


def test_cohort_is_every_customer_paying_at_the_window_start(report: Report) -> None:
    assert report.customers_start == 6  # K1 K2 K3 K4 K5 K9, not K6
    assert report.starting_mrr == D("640.00")


def test_ndr_is_cohort_mrr_at_t_over_mrr_at_t_minus_12(report: Report) -> None:
    assert report.ending_mrr == D("580.00")  # 100 + 300 + 40 + 0 + 40 + 100
    assert report.ndr == ratio(580, 640) == 0.90625


def test_gdr_caps_each_customer_at_its_starting_mrr(report: Report) -> None:
    # min(end, start) per customer: 100 + 200 + 40 + 0 + 40 + 100 = 480.
    assert report.gdr == ratio(480, 640) == 0.75


def test_logo_retention_is_the_share_still_paying_at_t(report: Report) -> None:
    assert (report.customers_retained, report.customers_start) == (5, 6)
    assert report.logo_retention == ratio(5, 6)


def test_bridge_starting_minus_churn_minus_contraction_plus_expansion_is_ending(
    report: Report,
) -> None:
    assert report.churn_mrr == D("100.00")
    assert report.contraction_mrr == D("60.00")
    assert report.expansion_mrr == D("100.00")
    r = report.retention
    assert r.starting_mrr - r.churn_mrr - r.contraction_mrr + r.expansion_mrr == r.ending_mrr


def test_report_is_stamped_with_its_definition(report: Report) -> None:
    d = default()
    assert report.definition == {"name": "ndr", "version": 1, "sha256": d.sha256}
    assert report.as_of == "2024-01"
    assert report.currency == "USD"
    assert report.message is None


def test_report_lists_the_windows_months(report: Report) -> None:
    labels = [m.month for m in report.months]
    assert (labels[0], labels[-1], len(labels)) == ("2023-01", "2024-01", 13)
    june = next(m for m in report.months if m.month == "2023-06")
    assert (june.mrr, june.churn) == (D("940.00"), D("100.00"))  # 100+200+100+40+500; K4 left


def test_empty_cohort_gives_null_ratios_and_a_message(movements_ledger: Ledger) -> None:
    # movements_ledger starts in 2024-01: nobody was paying twelve months before 2024-08.
    report = movements_ledger.report("2024-08")
    assert (report.ndr, report.gdr, report.logo_retention) == (None, None, None)
    assert (report.starting_mrr, report.customers_start) == (D("0.00"), 0)
    assert report.message is not None and "2023-08" in report.message
    assert report.to_dict()["message"] == report.message


@pytest.fixture(scope="module")
def worked_example(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """100 customers on $1,200 a year (2023); at renewal 5 leave and 10 add $600 a year."""

    def annual(customer: str, year: int, amount: str) -> tuple[str, ...]:
        start, end = f"{year}-01-01", f"{year + 1}-01-01"
        return (f"{customer}-{year}", customer, start, "subscription", start, end, amount, "USD")

    lines = []
    for n in range(100):
        customer = f"W{n:03d}"
        lines.append(annual(customer, 2023, "1200.00"))
        if n >= 5:  # W000 .. W004 churn; W005 .. W014 upsell by $600 a year
            lines.append(annual(customer, 2024, "1800.00" if n < 15 else "1200.00"))
    return ledger_from(Inputs(Path(tmp_path_factory.mktemp("worked"))), invoice_lines=lines)


def test_worked_example_100_customers_5_churn_10_upsell(worked_example: Ledger) -> None:
    report = worked_example.report("2024-01")
    # Start: 100 x $100 = $10,000. Churn: 5 x $100. Expansion: 10 x $50. End: $10,000.
    assert report.starting_mrr == D("10000.00")
    assert report.churn_mrr == D("500.00")
    assert report.expansion_mrr == D("500.00")
    assert report.contraction_mrr == D("0.00")
    assert report.ending_mrr == D("10000.00")
    assert report.ndr == 1.00
    assert report.gdr == 0.95
    assert report.logo_retention == 0.95
    assert (report.customers_start, report.customers_retained) == (100, 95)
    january = report.months[-1]
    assert (january.month, january.mrr, january.customers) == ("2024-01", D("10000.00"), 95)
    assert (january.churn, january.expansion) == (D("500.00"), D("500.00"))


def test_latest_month_is_the_default_as_of(worked_example: Ledger) -> None:
    assert worked_example.report().as_of == "2024-01"


def test_as_of_outside_the_ledger_names_its_range(worked_example: Ledger) -> None:
    with pytest.raises(LedgerError, match="2022-12 is before the ledger's first month, 2023-01"):
        worked_example.report("2022-12")
    with pytest.raises(LedgerError, match="2999-01 is in the future"):
        worked_example.report("2999-01")
    assert worked_example.report("2025-01").warnings  # past the data: answered, with a warning
    with pytest.raises(LedgerError, match="not a month: use YYYY-MM"):
        worked_example.report("2024-13")
