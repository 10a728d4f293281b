"""Scoring's one-month features equal the feature table's at that month, row for row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from netretain import Ledger
from netretain.core.arith import parse_month
from netretain.ledger import predict


@pytest.mark.parametrize("month", ["2023-02", "2024-01", "2025-06", "2025-12"])
def test_month_features_equal_the_feature_table_at_that_month(demo_db: Path, month: str) -> None:
    with Ledger(demo_db, read_only=True) as ledger:
        index = parse_month(month)
        fast = predict.month_features(ledger, index)
        full = predict.features(ledger, index, index, with_labels=False)
    assert len(fast) > 50
    assert list(fast.columns) == list(full.columns)
    pd.testing.assert_frame_equal(fast, full, check_dtype=False)


def test_returning_customers_keep_the_feature_tables_lags(demo_db: Path) -> None:
    """A customer who left and came back has gaps in the movements table; both agree on them."""
    with Ledger(demo_db, read_only=True) as ledger:
        index = parse_month("2025-09")
        fast = predict.month_features(ledger, index)
        full = predict.features(ledger, index, index, with_labels=False)
    back = fast["reactivations"] > 0
    assert back.sum() > 0
    pd.testing.assert_frame_equal(fast[back], full[back], check_dtype=False)
