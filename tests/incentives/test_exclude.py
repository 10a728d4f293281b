"""Figures without incentives (`--exclude-incentives`): hand-computed.

A pays 100 a month and gets a 20 discount from 2024-07 on (open-ended): its MRR file shows 80.
B pays 200 throughout. C pays 50, gets a 10 discount from 2024-08 (open-ended), churns in
2024-10: a grant on a customer who no longer pays adds nothing back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from netretain import Ledger
from netretain.ledger.incentives import IncentiveGrant
from tests.conftest import Inputs, ledger_from, mrr_rows


def grant(ident: str, customer: str, start: date, amount: str) -> IncentiveGrant:
    return IncentiveGrant(
        ident, customer, "offer", "save-offer@1", start, None, Decimal(amount), "USD"
    )


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    rows = [
        *mrr_rows("A", "2024-01", "2024-06", "100.00"),
        *mrr_rows("A", "2024-07", "2025-03", "80.00"),
        *mrr_rows("B", "2024-01", "2025-03", "200.00"),
        *mrr_rows("C", "2024-01", "2024-07", "50.00"),
        *mrr_rows("C", "2024-08", "2024-09", "40.00"),
    ]
    ledger = ledger_from(Inputs(Path(tmp_path_factory.mktemp("incentives"))), mrr=rows)
    ledger.record_incentives(
        [grant("a", "A", date(2024, 7, 1), "20"), grant("c", "C", date(2024, 8, 1), "10")]
    )
    return ledger


def test_ndr_differs_by_exactly_the_tagged_movements(ledger: Ledger) -> None:
    # cohort 2024-01 -> 2025-01: start 350; with incentives end 80 + 200 = 280, without 300
    with_, without = ledger.report("2025-01"), ledger.excluding_incentives().report("2025-01")
    assert with_.retention.starting_mrr == without.retention.starting_mrr == Decimal("350.00")
    assert with_.retention.ending_mrr == Decimal("280.00")
    assert without.retention.ending_mrr == Decimal("300.00")
    assert without.ndr - with_.ndr == pytest.approx(20 / 350)
    # the cohort's contraction is A's discount; C's churn is its starting 50 either way
    assert with_.retention.contraction_mrr - without.retention.contraction_mrr == Decimal("20")
    assert without.retention.contraction_mrr == Decimal("0.00")
    assert with_.retention.churn_mrr == without.retention.churn_mrr == Decimal("50.00")


def test_movements_without_incentives(ledger: Ledger) -> None:
    with_ = {m.month: m for m in ledger.movements("2024-06", "2024-11")}
    without = {m.month: m for m in ledger.excluding_incentives().movements("2024-06", "2024-11")}
    assert with_["2024-07"].contraction == Decimal("20.00")
    assert without["2024-07"].contraction == Decimal("0.00")
    assert with_["2024-08"].contraction == Decimal("10.00")
    assert without["2024-08"].contraction == Decimal("0.00")
    assert with_["2024-09"].mrr == Decimal("320.00")  # 80 + 200 + 40
    assert without["2024-09"].mrr == Decimal("350.00")
    # C's discount ends with C: nothing is added back once it stops paying
    assert with_["2024-10"].churn == Decimal("40.00") and without["2024-10"].churn == Decimal(
        "50.00"
    )
    assert with_["2024-11"].mrr == without["2024-11"].mrr - Decimal("20.00") == Decimal("280.00")


def test_trend_ndr_without_incentives(ledger: Ledger) -> None:
    with_ = {r["as_of"]: r for r in ledger.trend(start="2025-01", end="2025-03")}
    without = {
        r["as_of"]: r for r in ledger.excluding_incentives().trend(start="2025-01", end="2025-03")
    }
    assert float(with_["2025-03"]["ndr"]) == pytest.approx(280 / 350)
    assert float(without["2025-03"]["ndr"]) == pytest.approx(300 / 350)


def test_the_bridge_shows_the_incentive_line(ledger: Ledger) -> None:
    (bridge,) = ledger.bridge("2025-01")
    # the cohort's incentive MRR went from 0 at 2024-01 to 20 (A's; C's ended with C)
    assert bridge.incentive_mrr == Decimal("-20.00")
    steps = {s["step"]: s["amount"] for s in bridge.steps()}
    assert steps["of which incentives"] == Decimal("-20.00")
    assert bridge.to_dict()["incentive_mrr"] == Decimal("-20.00")
    (without,) = ledger.excluding_incentives().bridge("2025-01")
    assert without.incentive_mrr is None
    assert any("incentives excluded" in w for w in without.warnings)


def test_a_ledger_without_grants_has_no_incentive_line(tmp_path: Path) -> None:
    ledger = ledger_from(Inputs(tmp_path), mrr=mrr_rows("A", "2024-01", "2025-02", "100.00"))
    (bridge,) = ledger.bridge("2025-01")
    assert bridge.incentive_mrr is None and bridge.to_dict()["incentive_mrr"] is None
    assert [s["step"] for s in bridge.steps()][-1] == "ending MRR"
    assert ledger.excluding_incentives().report("2025-01").ndr == ledger.report("2025-01").ndr
