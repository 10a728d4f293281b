"""The customers behind a report's figures add up to the report's figures."""

from __future__ import annotations

from decimal import Decimal

import pytest

from netretain.definitions import resolve
from netretain.errors import LedgerError, UnsupportedError

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


def test_a_customer_page_is_searched_sorted_and_cut_in_the_engine(tiny):
    # 2024-06: A 100, B 200, C 1000, D 800, E 300 -> by MRR, largest first: C, D, E, B, A
    first = tiny.customer_page(month="2024-06", sort="mrr", descending=True, size=2)
    assert [r["customer_id"] for r in first["rows"]] == ["C", "D"]
    assert (first["total"], first["pages"], first["page"]) == (5, 3, 1)
    last = tiny.customer_page(month="2024-06", sort="mrr", descending=True, size=2, page=9)
    assert ([r["customer_id"] for r in last["rows"]], last["page"]) == (["A"], 3)
    found = tiny.customer_page(month="2024-06", search="c")
    assert ([r["customer_id"] for r in found["rows"]], found["total"]) == (["C"], 1)
    churned = tiny.customer_page(month="2024-07", movement="churn", sort="churn", descending=True)
    assert [(r["customer_id"], r["churn"]) for r in churned["rows"]] == [("B", Decimal("200.00"))]


def test_sorting_by_amount_without_a_movement_is_refused_not_ignored(tiny):
    with pytest.raises(LedgerError, match="needs a movement"):
        tiny.customer_rows(by_amount=True)
