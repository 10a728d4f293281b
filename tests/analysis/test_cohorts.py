"""Cohort matrix cells against the tiny ledger, computed by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from netretain.errors import LedgerError


def cells(matrix, cohort):
    return {c["age"]: c for c in matrix.cells if c["cohort"] == cohort}


def test_monthly_cohort_cells(tiny):
    m = tiny.cohorts("month")
    jan = cells(m, "2024-01")  # A, B, C, D
    assert set(jan) == set(range(13))
    assert (jan[0]["customers_start"], jan[0]["starting_mrr"], jan[0]["ndr"]) == (
        4,
        Decimal("2100.00"),
        1.0,
    )
    assert jan[5]["mrr"] == Decimal("2100.00")  # B still pays in June
    assert jan[6]["mrr"] == Decimal("1900.00")  # B gone in July
    assert jan[6]["ndr"] == pytest.approx(1900 / 2100)
    assert jan[6]["gdr"] == pytest.approx(1900 / 2100)
    assert jan[6]["logo_retention"] == pytest.approx(3 / 4)
    assert jan[12]["ndr"] == pytest.approx(2200 / 2100)  # expansion counts
    assert jan[12]["gdr"] == pytest.approx(1700 / 2100)  # each capped at its start
    assert all(c["complete"] for c in jan.values())
    march = cells(m, "2024-03")  # E alone, observed up to age 10
    assert set(march) == set(range(11))
    assert march[10]["ndr"] == 1.0
    assert {c["cohort"] for c in m.cells} == {"2024-01", "2024-03"}


def test_quarterly_cohorts_align_each_customer_on_its_first_month(tiny):
    q1 = cells(tiny.cohorts("quarter"), "2024-Q1")  # A, B, C, D from January, E from March
    assert q1[0]["customers_start"] == 5
    assert q1[0]["starting_mrr"] == Decimal("2400.00")
    assert q1[0]["months_since_start"] == 0
    assert q1[2]["ndr"] == pytest.approx(2200 / 2400)  # six months on: B has churned
    assert q1[2]["logo_retention"] == pytest.approx(4 / 5)
    # Twelve months on, E (March + 12 = 2025-03) is not observed yet: the cell is partial.
    assert q1[4]["customers_start"] == 4
    assert q1[4]["starting_mrr"] == Decimal("2100.00")
    assert q1[4]["ndr"] == pytest.approx(2200 / 2100)
    assert q1[4]["complete"] is False


def test_matrix_rows_and_yearly_labels(tiny):
    wide = tiny.cohorts("year").matrix("logo")
    assert wide == [
        {
            "cohort": "2024",
            "customers": 5,
            "starting_mrr": Decimal("2400.00"),
            "Y0": 1.0,
            "Y1": 0.75,
        }
    ]
    with pytest.raises(LedgerError, match="unknown metric"):
        tiny.cohorts().matrix("arr")
    with pytest.raises(LedgerError, match="unknown period"):
        tiny.cohorts("week")
