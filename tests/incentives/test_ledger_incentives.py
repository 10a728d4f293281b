"""The incentive ledger interface: grants stored once by id, read back exactly, bad ones refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from netretain import Ledger
from netretain.errors import LedgerError
from netretain.ledger.incentives import IncentiveGrant, incentives, record_incentives


def grant(ident: str = "g1", **changes: object) -> IncentiveGrant:
    fields: dict[str, object] = {
        "incentive_id": ident,
        "customer_id": "c1",
        "kind": "offer",
        "source": "save-offer@1",
        "start_month": date(2024, 3, 1),
        "end_month": date(2024, 5, 1),
        "mrr": Decimal("12.50"),
        "currency": "USD",
    }
    return IncentiveGrant(**(fields | changes))  # type: ignore[arg-type]


def test_a_grant_recorded_twice_is_stored_once() -> None:
    ledger = Ledger()
    assert record_incentives(ledger, [grant("g1"), grant("g2", end_month=None)]) == 2
    assert record_incentives(ledger, [grant("g1"), grant("g3", kind="reward")]) == 1
    assert record_incentives(ledger, [grant("g1")]) == 0
    stored = incentives(ledger)
    assert [g.incentive_id for g in stored] == ["g1", "g2", "g3"]
    assert stored[0] == grant("g1")
    assert stored[1].end_month is None
    assert ledger.incentives() == stored


def test_money_is_kept_in_minor_units_at_the_currency_precision() -> None:
    ledger = Ledger(currency="JPY")
    record_incentives(ledger, [grant(mrr=Decimal("1500"), currency="jpy")])
    (back,) = incentives(ledger)
    assert back.mrr == Decimal("1500") and back.currency == "JPY"
    table = ledger.store.to_arrow(ledger.store.table("incentives")).to_pylist()
    assert table[0]["mrr_minor"] == 1500
    assert grant(mrr=Decimal("12.50")).mrr_minor == 1250


def test_a_date_means_its_month() -> None:
    assert grant(start_month=date(2024, 3, 17)).start_month == date(2024, 3, 1)


def test_another_grant_under_a_stored_id_is_refused() -> None:
    ledger = Ledger()
    record_incentives(ledger, [grant("g1")])
    with pytest.raises(LedgerError, match="already recorded with other terms"):
        record_incentives(ledger, [grant("g1", mrr=Decimal("13"))])
    with pytest.raises(LedgerError, match="given twice"):
        record_incentives(ledger, [grant("g9"), grant("g9", customer_id="c2")])
    assert len(incentives(ledger)) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mrr": Decimal("0")}, "positive"),
        ({"mrr": Decimal("1.005")}, "finer than the 2 decimals of USD"),
        ({"kind": "gift"}, "kind must be one of offer, reward"),
        ({"end_month": date(2024, 1, 1)}, "before start_month"),
    ],
)
def test_a_bad_grant_is_one_clear_message(changes: dict[str, object], message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        grant(**changes)


def test_a_grant_in_another_currency_is_refused() -> None:
    with pytest.raises(LedgerError, match="this ledger reports in USD"):
        record_incentives(Ledger(), [grant(currency="EUR")])


def test_no_grants_is_an_empty_list() -> None:
    ledger = Ledger()
    assert incentives(ledger) == [] and record_incentives(ledger, []) == 0
