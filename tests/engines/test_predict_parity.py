"""Account intelligence is equal on DuckDB, Spark and PostgreSQL: the feature table (features
and labels), `netretain drivers`, and the sampled frame `netretain train --sample` fits on."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from netretain import Ledger
from netretain.ledger import predict
from netretain.ledger.predict import feature_inputs
from netretain.predict.features import HORIZON, KEYS, feature_table
from tests.engines.conftest import CUSTOMERS, ENGINES
from tests.engines.test_parity import same, table_rows

SAMPLE = 120  # of the company's 400 customers


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


def close(expected: Any, actual: Any, where: str) -> None:
    """Equal values, floats within a relative 1e-9 (the engines sum variances in their own
    order); recurses into dicts and lists."""
    if isinstance(expected, dict):
        assert set(expected) == set(actual), where
        for key in expected:
            close(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list | tuple):
        assert len(expected) == len(actual), f"{where}: {len(expected)} vs {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            close(e, a, f"{where}[{i}]")
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9), where
    else:
        assert expected == actual, f"{where}: {expected!r} vs {actual!r}"


@pytest.mark.parametrize("engine", ENGINES)
def test_growth_drivers_are_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    """`netretain drivers`: the same accounts per outcome, effect sizes and intervals."""
    expected = ledgers["duckdb"].growth_drivers().to_dict()
    assert min(expected["accounts"].values()) > 10
    assert len(expected["numbers"]) > 10 and len(expected["categories"]) > 5
    close(expected, ledgers[engine].growth_drivers().to_dict(), f"{engine} drivers")


def sampled(ledger: Ledger, customers: int) -> pd.DataFrame:
    last = ledger.sources.horizon - HORIZON
    return predict.sampled_features(ledger, last, horizon=HORIZON, customers=customers)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_sampled_training_frame_is_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    """`netretain train --sample`: the same customers picked, the same rows, on every engine."""
    expected = sampled(ledgers["duckdb"], SAMPLE)
    assert 0.5 * SAMPLE < expected["customer_id"].nunique() <= SAMPLE
    actual = sampled(ledgers[engine], SAMPLE)
    assert list(actual.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(
        actual.reset_index(drop=True),
        expected.reset_index(drop=True),
        check_dtype=False,
        check_exact=False,
        rtol=1e-9,
    )


def test_a_sample_keeps_each_picked_customers_rows(ledgers: dict[str, Ledger]) -> None:
    """Picking customers before the features changes no feature of those picked."""
    ledger = ledgers["duckdb"]
    part = sampled(ledger, SAMPLE)
    whole = sampled(ledger, CUSTOMERS * 10)
    kept = whole[whole["customer_id"].isin(set(part["customer_id"]))]
    assert len(kept) == len(part) < len(whole)
    pd.testing.assert_frame_equal(
        part.reset_index(drop=True), kept.reset_index(drop=True), check_dtype=False
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_scorings_one_month_features_are_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    """The one-query features `risk` and `expansion` score with a saved model."""
    month = ledgers["duckdb"].sources.horizon - HORIZON
    expected = predict.month_features(ledgers["duckdb"], month)
    assert len(expected) > 100 and expected["plan"].notna().all()
    actual = predict.month_features(ledgers[engine], month)
    assert list(actual.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, check_exact=False, rtol=1e-9)
