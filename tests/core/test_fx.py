"""FX rules (issue 3): rates are reporting units per unit, carried forward, rounded per currency.

Rates in `rules_ledger`: EUR 1.10 from 2024-01 and 1.30 from 2024-03; GBP 1.30; CHF 1.15.
Rejects for currencies without a rate are in tests/ingest/test_rejects.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from netretain import Ledger
from tests.conftest import months, mrr_by_customer


@pytest.fixture(scope="module")
def mrr(rules_ledger: Ledger) -> dict[str, dict[str, Decimal]]:
    return mrr_by_customer(rules_ledger)


def test_rate_is_reporting_units_per_unit(mrr: dict[str, dict[str, Decimal]]) -> None:
    # I: EUR 300 for Jan 1 -> Apr 1 is EUR 100 a month; at 1.10 that is $110.00.
    assert mrr["I"]["2024-01"] == Decimal("110.00")
    # March has its own rate, 1.30: $130.00.
    assert mrr["I"]["2024-03"] == Decimal("130.00")


def test_a_month_without_a_rate_carries_the_last_earlier_rate(
    mrr: dict[str, dict[str, Decimal]],
) -> None:
    # February has no EUR rate: January's 1.10 holds (I's EUR 100 -> $110; V's EUR 200 -> $220).
    assert mrr["I"] == months({"2024-01": 110, "2024-02": 110, "2024-03": 130, "2024-04": 0})
    assert mrr["V"] == months({"2024-02": 220, "2024-03": 0})


def test_conversion_rounds_to_cents_per_currency(mrr: dict[str, dict[str, Decimal]]) -> None:
    # J: EUR 0.05 at 1.10 = $0.055 -> $0.06, and GBP 0.05 at 1.30 = $0.065 -> $0.07: $0.13.
    # (Rounding the unrounded sum, $0.12, would be wrong.)
    assert mrr["J"] == months({"2024-01": "0.13", "2024-02": 0})


def test_one_currency_is_summed_before_it_is_rounded(mrr: dict[str, dict[str, Decimal]]) -> None:
    # K: EUR 10.05 + EUR 20.05 = EUR 30.10, at 1.10 = $33.11 exactly (line by line it would be
    # $11.06 + $22.06 = $33.12).
    assert mrr["K"] == months({"2024-01": "33.11", "2024-02": 0})


def test_conversion_is_exact_decimal_rounded_half_up(mrr: dict[str, dict[str, Decimal]]) -> None:
    # L: CHF 100.10 at 1.15 = $115.115 exactly, which rounds half up to $115.12. (In binary
    # floating point 1.15 is 1.1499999..., which used to give $115.11.)
    assert Decimal("100.10") * Decimal("1.15") == Decimal("115.1150")
    assert mrr["L"] == months({"2024-01": "115.12", "2024-02": 0})


def test_fx_monthly_has_a_rate_for_every_currency_and_month(rules_ledger: Ledger) -> None:
    fx = rules_ledger.execute(rules_ledger.table("fx_monthly")).to_pylist()
    eur = {r["month_index"] % 12 + 1: r["rate"] for r in fx if r["currency"] == "EUR"}
    assert eur == {1: 1.10, 2: 1.10, **dict.fromkeys(range(3, 11), 1.30)}
    usd = {r["rate"] for r in fx if r["currency"] == "USD"}
    assert usd == {1.0}
