"""Incentive grants on every engine: recorded once, and figures without them equal to DuckDB's
(the hand-computed case of tests/incentives/test_exclude.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from netretain import Ledger
from netretain.ledger.incentives import IncentiveGrant
from tests.conftest import Inputs, mrr_rows
from tests.engines.conftest import ENGINES

ROWS = [
    *mrr_rows("A", "2024-01", "2024-06", "100.00"),
    *mrr_rows("A", "2024-07", "2025-03", "80.00"),
    *mrr_rows("B", "2024-01", "2025-03", "200.00"),
    *mrr_rows("C", "2024-01", "2024-07", "50.00"),
    *mrr_rows("C", "2024-08", "2024-09", "40.00"),
]
GRANTS = [
    IncentiveGrant("a", "A", "offer", "t@1", date(2024, 7, 1), None, Decimal("20"), "USD"),
    IncentiveGrant("c", "C", "offer", "t@1", date(2024, 8, 1), None, Decimal("10"), "USD"),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_figures_without_incentives_match_duckdb(
    engine: str, new_store: Callable[[str], Any], tmp_path: Path
) -> None:
    path = Inputs(tmp_path).mrr(ROWS)
    figures = {}
    for name in ("duckdb", engine):
        ledger = Ledger(store=new_store(name))
        ledger.ingest(mrr=path)
        assert ledger.record_incentives(GRANTS) == 2
        assert ledger.record_incentives(GRANTS) == 0
        without = ledger.excluding_incentives()
        (bridge,) = ledger.bridge("2025-01")
        figures[name] = {
            "grants": ledger.incentives(),
            "ndr": (ledger.report("2025-01").ndr, without.report("2025-01").ndr),
            "movements": [m.to_dict() for m in without.movements("2024-06", "2024-11")],
            "incentive_mrr": bridge.incentive_mrr,
        }
    assert figures[engine] == figures["duckdb"]
    assert figures["duckdb"]["incentive_mrr"] == Decimal("-20.00")
