"""Standard SaaS metrics for two months of the tiny ledger, computed by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from netretain.definitions import resolve


def month(ledger, label):
    (m,) = ledger.metrics(label, label)
    return m


def test_a_churn_month(tiny):
    m = month(tiny, "2024-07")  # B (200) churns; A, C, D, E stay
    assert (m.mrr, m.arr, m.customers, m.arpa) == (
        Decimal("2200.00"),
        Decimal("26400.00"),
        4,
        Decimal("550.00"),
    )
    assert (m.previous_mrr, m.customers_start, m.churn_customers) == (Decimal("2400.00"), 5, 1)
    assert m.customer_churn_rate == pytest.approx(1 / 5)
    assert m.gross_revenue_churn_rate == pytest.approx(200 / 2400)
    assert m.net_revenue_churn_rate == pytest.approx(200 / 2400)
    assert m.expansion_rate == 0
    assert m.quick_ratio == 0
    assert m.net_new_mrr == Decimal("-200.00")


def test_an_expansion_month(tiny):
    m = month(tiny, "2025-01")  # C +500, D -200 on 2200
    assert m.gross_revenue_churn_rate == pytest.approx(200 / 2200)
    assert m.net_revenue_churn_rate == pytest.approx(-300 / 2200)
    assert m.expansion_rate == pytest.approx(500 / 2200)
    assert m.quick_ratio == pytest.approx(2.5)
    assert m.net_new_mrr == Decimal("300.00")
    assert m.customer_churn_rate == 0


def test_first_month_has_no_rates_and_net_churn_is_one_minus_monthly_ndr(tiny):
    first = month(tiny, "2024-01")
    assert first.customer_churn_rate is None and first.quick_ratio is None
    assert first.new == Decimal("2100.00")
    ndr = {r["as_of"]: r["ndr"] for r in tiny.trend(definition=resolve("previous-month"))}
    for m in tiny.metrics("2024-02"):
        assert m.net_revenue_churn_rate == pytest.approx(1 - ndr[m.month])
