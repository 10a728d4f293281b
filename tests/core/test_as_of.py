"""The month a user asks for (issue 10, item 1): any month from the first through this one.

The issue's example: 100 annual customers whose contracts ran 2024-01 -> 2025-01 and were renewed
open-ended in January 2025. The data's last service start is 2025-01, yet June 2025 is a fair
question: every renewal is still in force then.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from netretain import Ledger
from netretain.core.arith import month_label
from netretain.errors import IngestError, LedgerError
from tests.conftest import Inputs

# 75 renew at the same price, 20 renew at 1,800 a year, 5 do not renew.
SAME, UP, GONE = 75, 20, 5


def annual_rows() -> list[tuple[str, ...]]:
    """(subscription_id, customer, start, end, amount, interval_months) for the 100 customers."""
    rows = []
    for i in range(SAME + UP + GONE):
        customer = f"C{i:03d}"
        rows.append(
            (f"Y1-{customer}", customer, "2024-01-01", "2025-01-01", "1200.00", "12", "USD")
        )
        if i < SAME + UP:
            price = "1200.00" if i < SAME else "1800.00"
            rows.append((f"Y2-{customer}", customer, "2025-01-01", None, price, "12", "USD"))
    return rows


@pytest.fixture
def renewals(inputs: Inputs) -> Ledger:
    ledger = Ledger()
    ledger.ingest(subscriptions=inputs.subscriptions(annual_rows()))
    return ledger


def test_june_after_january_renewals_is_reported(renewals: Ledger) -> None:
    """Hand-computed: the cohort of 2024-06 is all 100 at 100.00 a month = 10,000.00; in 2025-06
    75 pay 100.00 and 20 pay 150.00 = 10,500.00 (expansion 20 x 50.00, churn 5 x 100.00)."""
    assert renewals.months == ("2024-01", "2025-01")
    report = renewals.report("2025-06")
    assert report.as_of == "2025-06"
    assert report.starting_mrr == Decimal("10000.00")
    assert report.ending_mrr == Decimal("10500.00")
    assert report.expansion_mrr == Decimal("1000.00")
    assert report.churn_mrr == Decimal("500.00")
    assert report.contraction_mrr == Decimal("0.00")
    assert (report.ndr, report.gdr, report.logo_retention) == (1.05, 0.95, 0.95)
    assert (report.customers_start, report.customers_retained) == (100, 95)
    assert report.total_mrr == Decimal("10500.00")
    assert report.window is not None and report.window.text == (
        "2024-06 -> 2025-06, trailing 12 months"
    )
    (warning,) = report.warnings
    assert "2025-06 is past the latest date in the data (2025-01-01; the last" in warning
    assert "customers billed monthly and not yet invoiced count as churn" in warning
    assert report.to_dict()["warnings"] == [warning]


def test_months_past_the_data_are_whole_and_the_data_months_unchanged(renewals: Ledger) -> None:
    """Movements through June: January's renewals (and churn), then flat months at 10,500.00."""
    months = {m.month: m for m in renewals.movements("2024-11", "2025-06")}
    assert [m.month for m in months.values()] == [
        "2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06",
    ]  # fmt: skip
    jan = months["2025-01"]
    assert (jan.mrr, jan.expansion, jan.churn) == (
        Decimal("10500.00"),
        Decimal("1000.00"),
        Decimal("500.00"),
    )
    assert (jan.expansion_customers, jan.churn_customers, jan.customers) == (20, 5, 95)
    assert all(m.mrr == Decimal("10500.00") and m.net_new == 0 for m in list(months.values())[3:])
    # the months up to the data read the same with or without the extension
    assert renewals.movements("2024-01", "2025-01") == renewals.movements(end="2025-01")
    assert renewals.movements("2024-11", "2025-01") == list(months.values())[:3]
    assert renewals.report("2025-01").warnings == ()


def test_a_month_in_the_future_is_refused(renewals: Ledger) -> None:
    today = dt.date.today()
    this_month = month_label(today.year * 12 + today.month - 1)
    nxt = month_label(today.year * 12 + today.month)
    with pytest.raises(LedgerError, match=f"{nxt} is in the future: ask for {this_month}"):
        renewals.report(nxt)
    with pytest.raises(LedgerError, match="is in the future"):
        renewals.movements(end=nxt)
    assert renewals.report(this_month).as_of == this_month  # this month is allowed
    with pytest.raises(LedgerError, match="2023-12 is before the ledger's first month, 2024-01"):
        renewals.report("2023-12")


def test_data_as_of_sets_the_default_month(inputs: Inputs) -> None:
    ledger = Ledger()
    ledger.ingest(subscriptions=inputs.subscriptions(annual_rows()), data_as_of="2025-07-15")
    assert ledger.meta["data_as_of"] == "2025-07-15"
    assert ledger.meta["latest_date"] == "2025-01-01"
    report = ledger.report()
    assert report.as_of == "2025-06"  # the last complete month before the export
    assert "(the export was taken on 2025-07-15)" in report.warnings[0]
    assert ledger.movements()[-1].month == "2025-06"
    # without one, the default stays the latest month with data
    plain = Ledger()
    plain.ingest(subscriptions=inputs.subscriptions(annual_rows()))
    assert plain.report().as_of == "2025-01"


def test_data_as_of_must_be_a_past_date(inputs: Inputs) -> None:
    ledger = Ledger()
    path = inputs.subscriptions(annual_rows())
    with pytest.raises(IngestError, match="is not a date: use YYYY-MM-DD"):
        ledger.ingest(subscriptions=path, data_as_of="15/07/2025")
    future = dt.date.today() + dt.timedelta(days=40)
    with pytest.raises(IngestError, match="is in the future"):
        ledger.ingest(subscriptions=path, data_as_of=future.isoformat())
