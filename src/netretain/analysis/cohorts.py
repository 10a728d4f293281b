"""Signup-cohort matrix: each cohort's revenue, gross and logo retention by age, in one query.

A customer's cohort is the period of its first month with MRR > 0 (a returning customer stays in its
original cohort). Each customer is aligned on its own first month: its age-k MRR is its MRR k
periods later (k x 1, 3 or 12 months). A cell counts the cohort's customers whose age k has been
observed (first month + k periods <= the ledger's last month):

    revenue retention (ndr) = sum(MRR at age k) / sum(MRR at age 0)
    gross retention (gdr)   = sum(min(MRR at age k, MRR at age 0)) / sum(MRR at age 0)
    logo retention          = customers with MRR > 0 at age k / customers

`complete` is false when only part of the cohort has reached age k yet (its last cells).
The definition's ledger rules apply (revenue types, gap tolerance, parent roll-up, minimum MRR);
its window and method do not, since a cohort matrix is by construction the cohort method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from netretain.core import monthly, retention
from netretain.core.arith import month_label
from netretain.core.monthly import Sources
from netretain.core.query import Query, Row
from netretain.core.results import Stamped, money
from netretain.core.tables import literal_table
from netretain.definitions.model import Definition
from netretain.errors import LedgerError

PERIODS = {"month": 1, "quarter": 3, "year": 12}
METRICS = {"ndr": "ndr", "gdr": "gdr", "logo": "logo_retention"}
PREFIX = {"month": "M", "quarter": "Q", "year": "Y"}


def check_period(period: str) -> int:
    """Months per period, refusing unknown periods."""
    if period not in PERIODS:
        raise LedgerError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
    return PERIODS[period]


def cohort_table(sources: Sources, definition: Definition, *, period: str = "month") -> ir.Table:
    """One row per cohort and age: customers, starting and age-k MRR, and the three ratios."""
    step = check_period(period)
    mrr = monthly.monthly_mrr(sources, definition)
    paying = mrr.filter(mrr.mrr_cents > 0)
    first = paying.group_by("customer_id").aggregate(first_month=paying.month_index.min())
    m = mrr.select(m_customer="customer_id", m_month="month_index", m_cents="mrr_cents")
    start = first.join(
        m, (first.customer_id == m.m_customer) & (first.first_month == m.m_month)
    ).select("customer_id", "first_month", start_cents="m_cents")
    floor = int(definition.min_starting_mrr * 100)
    if floor:
        start = start.filter(start.start_cents >= floor)
    max_age = (sources.horizon - sources.first_month) // step
    ages = literal_table({"age": range(max_age + 1)}, {"age": "int64"})
    grid = start.join(ages, start.first_month + ages.age * step <= sources.horizon)
    grid = grid.mutate(at_month=grid.first_month + grid.age * step)
    cells = grid.left_join(
        m, (grid.customer_id == m.m_customer) & (grid.at_month == m.m_month)
    ).select(
        "first_month",
        "age",
        "start_cents",
        end_cents=ibis._.m_cents.fill_null(0).cast("int64"),
    )
    cells = cells.mutate(cohort_index=cells.first_month - cells.first_month % step)
    t = cells.group_by("cohort_index", "age").aggregate(
        customers_start=cells.count(),
        customers_retained=(cells.end_cents > 0).sum(),
        starting_cents=cells.start_cents.sum(),
        ending_cents=cells.end_cents.sum(),
        retained_cents=ibis.least(cells.start_cents, cells.end_cents).sum(),
    )
    return retention.with_ratios(t, definition)


def cohort_label(index: int, period: str) -> str:
    """'2024-03', '2024-Q1' or '2024' for a cohort's first month index."""
    if period == "quarter":
        return f"{index // 12:04d}-Q{index % 12 // 3 + 1}"
    if period == "year":
        return f"{index // 12:04d}"
    return month_label(index)


@dataclass(frozen=True)
class CohortMatrix(Stamped):
    """Every cohort x age cell with its sums and ratios, stamped with the definition."""

    period: str
    cells: list[dict[str, Any]]
    LEAD: ClassVar[tuple[str, ...]] = ("period",)

    def matrix(self, metric: str = "ndr") -> list[dict[str, Any]]:
        """Wide rows for one metric (ndr, gdr or logo): cohort, size, then one column per age."""
        if metric not in METRICS:
            raise LedgerError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
        key, prefix = METRICS[metric], PREFIX[self.period]
        rows: dict[str, dict[str, Any]] = {}
        for cell in self.cells:
            row = rows.setdefault(
                cell["cohort"],
                {
                    "cohort": cell["cohort"],
                    "customers": cell["customers_start"],
                    "starting_mrr": cell["starting_mrr"],
                },
            )
            row[f"{prefix}{cell['age']}"] = cell[key]
        return list(rows.values())


def cohort_matrix(
    sources: Sources, definition: Definition, *, period: str = "month"
) -> Query[CohortMatrix]:
    """The cohort matrix as plain cells (money as Decimal, ratios as fractions)."""
    step = check_period(period)

    def finish(rows: list[Row]) -> CohortMatrix:
        rows = sorted(rows, key=lambda r: (r["cohort_index"], r["age"]))
        sizes = {r["cohort_index"]: r["customers_start"] for r in rows if r["age"] == 0}
        stamp = definition.stamp()
        cells = [
            {
                "cohort": cohort_label(r["cohort_index"], period),
                "definition": stamp,
                "currency": sources.currency,
                "age": r["age"],
                "months_since_start": r["age"] * step,
                "customers_start": r["customers_start"],
                "customers_retained": r["customers_retained"],
                "starting_mrr": money(r["starting_cents"]),
                "mrr": money(r["ending_cents"]),
                "ndr": r["ndr"],
                "gdr": r["gdr"],
                "logo_retention": r["logo_retention"],
                "complete": r["customers_start"] == sizes.get(r["cohort_index"]),
            }
            for r in rows
        ]
        return CohortMatrix(period=period, definition=stamp, currency=sources.currency, cells=cells)

    return Query.one(cohort_table(sources, definition, period=period), finish)
