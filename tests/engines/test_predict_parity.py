"""The account feature table (features and labels) is equal on DuckDB, Spark and PostgreSQL."""

from __future__ import annotations

import pytest

from netretain import Ledger
from netretain.ledger.predict import feature_inputs
from netretain.predict.features import KEYS, feature_table
from tests.engines.conftest import ENGINES
from tests.engines.test_parity import same, table_rows


@pytest.mark.parametrize("engine", ENGINES)
def test_feature_table_is_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    def rows(ledger: Ledger) -> list[dict[str, object]]:
        s = ledger.sources
        expr = feature_table(feature_inputs(ledger), s.first_month, s.horizon)
        return table_rows(ledger, expr, list(KEYS))

    expected = rows(ledgers["duckdb"])
    assert len(expected) > 2000
    assert {r["billing_interval_months"] for r in expected} >= {1, 3, 12}
    assert sum(r["label_churn"] or 0 for r in expected) > 20
    same(expected, rows(ledgers[engine]), f"{engine} features")
