"""The other standard SaaS metrics, per month, from the monthly movements in one aggregate.

    ARR                      = 12 x MRR
    ARPA                     = MRR / paying customers
    customer churn rate      = customers churned in the month / customers paying the month before
    gross revenue churn rate = (churn + contraction) / previous month's MRR
    net revenue churn rate   = (churn + contraction - expansion) / previous month's MRR
                               (= 1 - the month's net MRR retention, definition previous-month)
    expansion rate           = expansion / previous month's MRR
    quick ratio              = (new + expansion + reactivation) / (churn + contraction)
    net new MRR              = new + expansion + reactivation - contraction - churn

Reactivation is left out of the churn rates: a returning customer was not paying at the month's
start. A ratio whose denominator is zero is empty (null), never infinite.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from netretain.core import monthly
from netretain.core.arith import month_label, ratio, round_div
from netretain.core.monthly import MOVEMENTS, Sources
from netretain.core.query import Query, Row
from netretain.core.results import Stamped, arr, money
from netretain.definitions.model import Definition

RATES = (
    "customer_churn_rate",
    "gross_revenue_churn_rate",
    "net_revenue_churn_rate",
    "expansion_rate",
    "quick_ratio",
)


def metrics_table(sources: Sources, definition: Definition | None = None) -> ir.Table:
    """One row per month: MRR, customers, movements (cents) and the standard rates."""
    moves = monthly.movements_for(sources, definition)
    t = moves.group_by("month_index").aggregate(
        mrr_cents=moves.mrr_cents.sum(),
        previous_cents=moves.previous_cents.sum(),
        customers=(moves.mrr_cents > 0).sum(),
        customers_start=(moves.previous_cents > 0).sum(),
        new_customers=(moves.new > 0).sum(),
        churn_customers=(moves.churn > 0).sum(),
        **{name: moves[name].sum() for name in MOVEMENTS},
    )
    gained = t.new + t.expansion + t.reactivation
    lost = t.churn + t.contraction
    return t.mutate(
        arpa_cents=ibis.ifelse(t.customers > 0, round_div(t.mrr_cents, t.customers), None),
        customer_churn_rate=ratio(t.churn_customers, t.customers_start),
        gross_revenue_churn_rate=ratio(lost, t.previous_cents),
        net_revenue_churn_rate=ratio(lost - t.expansion, t.previous_cents),
        expansion_rate=ratio(t.expansion, t.previous_cents),
        quick_ratio=ratio(gained, lost),
        net_new_cents=gained - lost,
    )


@dataclass(frozen=True)
class MetricsMonth(Stamped):
    """One month's standard SaaS metrics (money as exact Decimal, rates as fractions)."""

    LEAD: ClassVar[tuple[str, ...]] = ("month",)
    month: str
    mrr: Decimal
    arr: Decimal
    customers: int
    arpa: Decimal | None
    customers_start: int
    new_customers: int
    churn_customers: int
    previous_mrr: Decimal
    new: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    reactivation: Decimal
    net_new_mrr: Decimal
    customer_churn_rate: float | None
    gross_revenue_churn_rate: float | None
    net_revenue_churn_rate: float | None
    expansion_rate: float | None
    quick_ratio: float | None

    @classmethod
    def from_row(
        cls, month: int, row: dict[str, Any], stamp: dict[str, Any], currency: str
    ) -> MetricsMonth:
        """From a `metrics_table` row; an empty row is a month with no revenue."""
        moves: dict[str, Any] = {name: money(row.get(name)) for name in MOVEMENTS}
        rates: dict[str, Any] = {name: row.get(name) for name in RATES}
        return cls(
            definition=stamp,
            currency=currency,
            month=month_label(month),
            mrr=money(row.get("mrr_cents")),
            arr=arr(row.get("mrr_cents")),
            customers=int(row.get("customers") or 0),
            arpa=None if row.get("arpa_cents") is None else money(row["arpa_cents"]),
            customers_start=int(row.get("customers_start") or 0),
            new_customers=int(row.get("new_customers") or 0),
            churn_customers=int(row.get("churn_customers") or 0),
            previous_mrr=money(row.get("previous_cents")),
            **moves,
            net_new_mrr=money(row.get("net_new_cents")),
            **rates,
        )


def metrics(
    sources: Sources,
    definition: Definition,
    *,
    first: int | None = None,
    last: int | None = None,
) -> Query[list[MetricsMonth]]:
    """Every month from first to last (default: the whole ledger), months without data as zeros."""
    first = sources.first_month if first is None else first
    last = sources.horizon if last is None else last
    t = metrics_table(sources, definition)
    t = t.filter((t.month_index >= first) & (t.month_index <= last))
    stamp = definition.stamp()

    def finish(rows: list[Row]) -> list[MetricsMonth]:
        found = {r["month_index"]: r for r in rows}
        return [
            MetricsMonth.from_row(m, found.get(m, {}), stamp, sources.currency)
            for m in range(first, last + 1)
        ]

    return Query.one(t, finish)
