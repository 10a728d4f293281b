"""The small per-customer state forecasts, curves and alerts work on: each customer's MRR (cents) in
every month, as a customers x months matrix, with one grouping attribute per customer.

The engine sends only paying customer-months (one row each); `Panel.from_rows` lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from netretain.core import monthly
from netretain.core.monthly import Sources
from netretain.definitions.model import Definition

NONE = "(none)"


def paying_months(
    sources: Sources, by: str | None = None, definition: Definition | None = None
) -> ir.Table:
    """(customer_id, month_index, mrr_cents, group): every paying customer-month, with the
    customer's `by` attribute (or one group, "all")."""
    mrr = monthly.monthly_mrr(sources, definition)
    paying = mrr.filter(mrr.mrr_cents > 0)
    if by is None:
        return paying.mutate(group=ibis.literal("all"))
    attrs = sources.customers.select(_id="customer_id", group=sources.customers[by].cast("string"))
    joined = paying.left_join(attrs, paying.customer_id == attrs._id)
    return joined.select(
        "customer_id", "month_index", "mrr_cents", group=joined.group.fill_null(NONE)
    )


@dataclass(frozen=True)
class Panel:
    """MRR (cents, float64) per customer (rows) and month (columns first..last), zero when not
    paying; `groups[i]` is customer i's attribute value."""

    customers: np.ndarray
    groups: np.ndarray
    first: int
    mrr: np.ndarray

    @classmethod
    def from_rows(cls, rows: pa.Table, first: int, last: int) -> Panel:
        """Lay out `paying_months` rows as a matrix over months first..last."""
        ids = rows.column("customer_id").to_numpy(zero_copy_only=False).astype(str)
        months = rows.column("month_index").to_numpy().astype(np.int64)
        cents = rows.column("mrr_cents").to_numpy().astype(np.float64)
        groups = rows.column("group").to_numpy(zero_copy_only=False).astype(str)
        customers, row = np.unique(ids, return_inverse=True)
        keep = (months >= first) & (months <= last)
        matrix = np.zeros((len(customers), last - first + 1))
        matrix[row[keep], months[keep] - first] = cents[keep]
        group_of = np.full(len(customers), NONE, dtype=object)
        group_of[row] = groups
        return cls(customers, group_of.astype(str), first, matrix)

    @property
    def last(self) -> int:
        return self.first + self.mrr.shape[1] - 1

    def until(self, month: int) -> Panel:
        """The panel as it was known at the end of `month` (later months cut off, and customers
        not yet seen dropped)."""
        cut = self.mrr[:, : month - self.first + 1]
        seen = cut.any(axis=1)
        return Panel(self.customers[seen], self.groups[seen], self.first, cut[seen])

    def column(self, month: int) -> np.ndarray:
        """Every customer's MRR in `month` (zeros outside the panel)."""
        if month < self.first or month > self.last:
            return np.zeros(len(self.customers))
        return self.mrr[:, month - self.first]


def retention(panel: Panel, month: int, window: int = 12) -> tuple[float, float]:
    """(NDR, GDR) at `month` by the cohort method: customers paying at month - window, their MRR
    then against now (GDR capping each at its start); NaN without a cohort."""
    start, end = panel.column(month - window), panel.column(month)
    return cohort_ratios(start, end)


def cohort_ratios(start: np.ndarray, end: np.ndarray) -> tuple[float, float]:
    """(NDR, GDR) of a cohort's start and end MRR along the last axis (customers)."""
    cohort = start > 0
    base = start[cohort].sum()
    if base <= 0:
        return float("nan"), float("nan")
    kept = end[..., cohort]
    return float(kept.sum() / base), float(np.minimum(kept, start[cohort]).sum() / base)
