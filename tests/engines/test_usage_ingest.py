"""Usage events and plan allowances on every engine: the same hand-written rejects as DuckDB's,
the same rows kept, the same monthly sums (tests/ingest/usage_cases.py)."""

from __future__ import annotations

from typing import Any

import pytest

from netretain import Ledger
from netretain.core.arith import month_label
from tests.engines.conftest import ENGINES
from tests.ingest.usage_cases import (
    PLAN_COUNTS,
    PLAN_REJECTS,
    PLANS,
    USAGE,
    USAGE_COUNTS,
    USAGE_MONTHLY,
    USAGE_REJECTS,
    reject_rows,
)


@pytest.fixture(scope="module")
def usage_results(ledgers: dict[str, Ledger]) -> dict[str, Any]:
    """The bad usage and plans files ingested into every engine's demo ledger."""
    return {e: led.ingest(usage_events=USAGE, plans=PLANS) for e, led in ledgers.items()}


def counts(result: Any, kind: str) -> tuple[int, int, int]:
    f = next(f for f in result.files if f.kind == kind)
    return f.accepted, f.unchanged, f.rejected


@pytest.mark.parametrize("engine", ("duckdb", *ENGINES))
def test_usage_rejects_on_every_engine(
    usage_results: dict[str, Any], ledgers: dict[str, Ledger], engine: str
) -> None:
    result = usage_results[engine]
    assert reject_rows(result, USAGE) == sorted(USAGE_REJECTS)
    assert reject_rows(result, PLANS) == sorted(PLAN_REJECTS)
    assert counts(result, "usage_events") == USAGE_COUNTS
    assert counts(result, "plans") == PLAN_COUNTS
    store = ledgers[engine].store
    usage = store.table("usage_monthly")
    rows = store.to_arrow(usage.filter(usage.metric == "exports")).to_pylist()
    found = sorted((r["customer_id"], month_label(r["month_index"]), r["quantity"]) for r in rows)
    assert found == USAGE_MONTHLY


@pytest.mark.parametrize("engine", ENGINES)
def test_usage_monthly_is_equal(
    usage_results: dict[str, Any], ledgers: dict[str, Ledger], engine: str
) -> None:
    def rows(ledger: Ledger) -> list[tuple[Any, ...]]:
        t = ledger.store.to_arrow(ledger.store.table("usage_monthly")).to_pylist()
        return sorted((r["customer_id"], r["month_index"], r["metric"], r["quantity"]) for r in t)

    expected = rows(ledgers["duckdb"])
    assert len(expected) > 5000
    assert rows(ledgers[engine]) == expected
