"""Trend, cohorts and bridge (overall and by segment) are equal on every engine to DuckDB's.

Money and counts to the cent; ratios to 1e-9 (see test_parity.same). One call of each report.
"""

from __future__ import annotations

import pytest

from netretain import Ledger
from tests.engines.conftest import ENGINES
from tests.engines.test_parity import same


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def test_trend_is_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    expected = ledgers["duckdb"].trend()
    assert len(expected) >= 12
    same(expected, ledgers[engine].trend(), f"{engine} trend")
    by_segment = ledgers["duckdb"].trend(by=("segment",))
    assert len(by_segment) > len(expected)
    same(by_segment, ledgers[engine].trend(by=("segment",)), f"{engine} trend by segment")


def test_cohorts_are_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    expected = ledgers["duckdb"].cohorts().to_dict()
    assert len(expected["cells"]) > 100
    same(expected, ledgers[engine].cohorts().to_dict(), f"{engine} cohorts")


def test_bridges_are_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    for by in ((), ("segment",)):
        expected = [b.to_dict() for b in ledgers["duckdb"].bridge(by=by)]
        assert expected and expected[0]["starting_mrr"]
        actual = [b.to_dict() for b in ledgers[engine].bridge(by=by)]
        same(expected, actual, f"{engine} bridge by {by}")
