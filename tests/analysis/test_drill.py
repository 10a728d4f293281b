"""The customers behind a report's figures add up to the report's figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from netretain.definitions import resolve
from netretain.errors import UnsupportedError

FIGURES = {"churn": "churn_mrr", "contraction": "contraction_mrr", "expansion": "expansion_mrr"}


def test_behind_lists_the_cohort_customers(tiny):
    churned = tiny.behind("2025-01", "churn")
    assert [(r["customer_id"], r["name"], r["amount"]) for r in churned.rows] == [
        ("B", "Beta", Decimal("200.00"))
    ]
    assert churned.rows[0]["start_month"] == "2024-01"
    everyone = tiny.behind("2025-01")
    assert [(r["customer_id"], r["change"]) for r in everyone.rows] == [
        ("C", "expansion"),
        ("B", "churn"),
        ("D", "contraction"),
        ("A", "flat"),
    ]
    assert tiny.behind("2025-01", where={"segment": "Enterprise"}).count == 2


@pytest.mark.parametrize("change", sorted(FIGURES))
def test_totals_equal_the_report(tiny, change):
    report = tiny.report("2025-01")
    behind = tiny.behind("2025-01", change, limit=1)
    assert behind.total == getattr(report, FIGURES[change])
    assert len(behind.rows) <= 1


def test_totals_equal_the_report_per_segment(tiny):
    for seg in tiny.segments(by="segment", as_of="2025-01").rows:
        rows = tiny.behind("2025-01", where={"segment": seg["segment"]}).rows
        for change, figure in FIGURES.items():
            found = sum((r["amount"] for r in rows if r["change"] == change), Decimal("0.00"))
            assert found == seg[figure]


def test_movements_method_is_refused(tiny):
    with pytest.raises(UnsupportedError, match="customer_movements"):
        tiny.behind("2025-01", "churn", definition=resolve("movements-12"))
