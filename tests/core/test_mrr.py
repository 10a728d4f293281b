"""Monthly MRR rules (issue 3), each against values computed by hand.

All customers live in one ledger (`rules_ledger`, tests/core/conftest.py); each test reads its own.
The ledger's last month is 2024-10: the latest month a recurring service period starts (line N4).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from netretain import Ledger
from tests.conftest import monthly_totals, months, mrr_by_customer

THROUGH_OCTOBER = [f"2024-{m:02d}" for m in range(1, 11)]


@pytest.fixture(scope="module")
def mrr(rules_ledger: Ledger) -> dict[str, dict[str, Decimal]]:
    return mrr_by_customer(rules_ledger)


def test_ledger_runs_from_first_service_month_to_last_start(rules_ledger: Ledger) -> None:
    assert rules_ledger.months == ("2024-01", "2024-10")


def test_annual_line_is_a_twelfth_per_month(mrr: dict[str, dict[str, Decimal]]) -> None:
    # $12,000 for 2024-01-01 -> 2025-01-01 is 12 months: $1,000 a month, to the ledger's last month.
    assert mrr["A"] == months(dict.fromkeys(THROUGH_OCTOBER, "1000"))


def test_months_are_counted_from_the_start_date(mrr: dict[str, dict[str, Decimal]]) -> None:
    # Jan 15 -> Apr 15 and Jan 1 -> Apr 1 are both 3 months: $300 is $100 a month. Each line
    # is in force on Jan 31, Feb 29 and Mar 31, not on Apr 30; April is the churn month.
    expected = months({"2024-01": 100, "2024-02": 100, "2024-03": 100, "2024-04": 0})
    assert mrr["B"] == expected
    assert mrr["C"] == expected


def test_remainder_is_its_days_over_the_days_of_its_month(
    mrr: dict[str, dict[str, Decimal]],
) -> None:
    # Jan 15 -> Feb 1 is 17/31 of a month: $17 for it is $31 a month (a prorated line keeps its
    # true monthly rate). Feb 15 -> Mar 1 2024 is 15/29 (leap February): $15 is $29 a month.
    assert mrr["D"] == months({"2024-01": 31, "2024-02": 0})
    assert mrr["U"] == months({"2024-02": 29, "2024-03": 0})


def test_remainder_after_a_clamped_month_end_counts_over_the_month_it_starts_in(
    mrr: dict[str, dict[str, Decimal]],
) -> None:
    # Jan 31 -> Mar 15: one month to Feb 29 (month ends clamp), then 15 days over February's 29
    # (docs/data-model.md rule 3). 44/29 months for $145 is 145 * 29 / 44 = $95.568... = $95.57.
    assert mrr["T"] == months({"2024-01": "95.57", "2024-02": "95.57", "2024-03": 0})


def test_in_force_means_start_on_or_before_the_last_day_and_end_after_it(
    mrr: dict[str, dict[str, Decimal]],
) -> None:
    # G: Jan 10 -> Feb 10 is in force on Jan 31 but not on Feb 29.
    assert mrr["G"] == months({"2024-01": 100, "2024-02": 0})
    # H: starts on Mar 31 itself (counts), ends Apr 30 exclusive (so not in force on Apr 30).
    # Mar 31 -> Apr 30 is one month (Mar 31 + 1 month clamps to Apr 30): $90 a month.
    assert mrr["H"] == months({"2024-03": 90, "2024-04": 0})


def test_one_time_revenue_never_counts(
    rules_ledger: Ledger, mrr: dict[str, dict[str, Decimal]]
) -> None:
    # E has one-time lines of $500 (no service period) and $999 (with one) next to a $50 line.
    assert mrr["E"] == months({"2024-01": 50, "2024-02": 0})
    # R only ever bought one-time: a customer, but never any MRR.
    assert "R" not in mrr
    customers = rules_ledger.execute(rules_ledger.table("customers")).to_pylist()
    assert "R" in {c["customer_id"] for c in customers}


def test_usage_revenue_counts(mrr: dict[str, dict[str, Decimal]]) -> None:
    assert mrr["F"] == months({"2024-02": 80, "2024-03": 0})


def test_subscription_row_is_amount_over_interval(mrr: dict[str, dict[str, Decimal]]) -> None:
    # S-Q: $1,200 every 12 months from Feb 1, ended May 1: $100 in Feb, Mar and Apr.
    assert mrr["Q"] == months({"2024-02": 100, "2024-03": 100, "2024-04": 100, "2024-05": 0})


def test_open_subscription_runs_to_the_ledgers_last_month(
    mrr: dict[str, dict[str, Decimal]],
) -> None:
    # S-M: $3,000 a quarter from Jan 15, no end date: $1,000 a month through 2024-10, no churn.
    assert mrr["M"] == months(dict.fromkeys(THROUGH_OCTOBER, "1000"))


def test_subscription_row_equals_its_invoice_lines_repeated(
    mrr: dict[str, dict[str, Decimal]],
) -> None:
    # N is billed by four quarterly $3,000 lines from Jan 15: the same as subscription S-M.
    assert mrr["N"] == mrr["M"]


def test_subscription_billed_by_invoice_lines_is_not_counted_again(
    mrr: dict[str, dict[str, Decimal]],
) -> None:
    # S-O says $1,200 a month, open-ended; line O1 bills S-O for January at $500. Only O1 counts.
    assert mrr["O"] == months({"2024-01": 500, "2024-02": 0})


def test_mrr_rows_count_for_their_month(mrr: dict[str, dict[str, Decimal]]) -> None:
    assert mrr["P"] == months({"2024-02": 250, "2024-03": 300, "2024-04": 0})
    # EUR 100 in February at January's 1.10 (carried forward): $110.
    assert mrr["W"] == months({"2024-02": 110, "2024-03": 0})


def test_monthly_total_is_the_sum_of_customers(rules_ledger: Ledger) -> None:
    # Hand sum of the figures above for January and February.
    january = sum(
        Decimal(x)
        for x in (
            "1000",  # A
            "100",  # B
            "100",  # C
            "31",  # D
            "50",  # E
            "100",  # G
            "110",  # I
            "0.13",  # J
            "33.11",  # K
            "115.12",  # L
            "1000",  # M
            "1000",  # N
            "500",  # O
            "95.57",  # T
        )
    )
    february = sum(
        Decimal(x)
        for x in (
            "1000",  # A
            "100",  # B
            "100",  # C
            "80",  # F
            "110",  # I
            "1000",  # M
            "1000",  # N
            "250",  # P
            "100",  # Q
            "95.57",  # T
            "29",  # U
            "220",  # V
            "110",  # W
        )
    )
    totals = monthly_totals(rules_ledger)
    assert (totals["2024-01"]["mrr"], totals["2024-01"]["customers"]) == (january, 14)
    assert (totals["2024-02"]["mrr"], totals["2024-02"]["customers"]) == (february, 13)
    assert january == Decimal("4234.93")
