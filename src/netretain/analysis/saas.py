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

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from netretain.core import ledger
from netretain.core.arith import month_label, round_div
from netretain.core.ledger import MOVEMENTS, Sources
from netretain.core.results import money
from netretain.definitions.model import Definition
from netretain.engines.base import Store

RATES = (
    "customer_churn_rate",
    "gross_revenue_churn_rate",
    "net_revenue_churn_rate",
    "expansion_rate",
    "quick_ratio",
)


def _ratio(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator as a double, null when the denominator is zero."""
    return ibis.ifelse(
        denominator > 0, numerator.cast("float64") / denominator.cast("float64"), None
    )


def saas_table(sources: Sources, definition: Definition | None = None) -> ir.Table:
    """One row per month: MRR, customers, movements (cents) and the standard rates."""
    moves = ledger.movements_for(sources, definition)
    t = moves.group_by("month_index").aggregate(
        mrr_cents=moves.mrr_cents.sum(),
        previous_cents=moves.previous_cents.sum(),
        customers=(moves.mrr_cents > 0).sum(),
        customers_start=(moves.previous_cents > 0).sum(),
        new_customers=(moves.new > 0).sum(),
        churned_customers=(moves.churn > 0).sum(),
        **{name: moves[name].sum() for name in MOVEMENTS},
    )
    gained = t.new + t.expansion + t.reactivation
    lost = t.churn + t.contraction
    return t.mutate(
        arpa_cents=ibis.ifelse(t.customers > 0, round_div(t.mrr_cents, t.customers), None),
        customer_churn_rate=_ratio(t.churned_customers, t.customers_start),
        gross_revenue_churn_rate=_ratio(lost, t.previous_cents),
        net_revenue_churn_rate=_ratio(lost - t.expansion, t.previous_cents),
        expansion_rate=_ratio(t.expansion, t.previous_cents),
        quick_ratio=_ratio(gained, lost),
        net_new_cents=gained - lost,
    )


@dataclass(frozen=True)
class SaasMonth:
    """One month's standard SaaS metrics (money as exact Decimal, rates as fractions)."""

    month: str
    mrr: Decimal
    arr: Decimal
    customers: int
    arpa: Decimal | None
    customers_start: int
    new_customers: int
    churned_customers: int
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
    def from_row(cls, month: int, row: dict[str, Any]) -> SaasMonth:
        """From a `saas_table` row; an empty row is a month with no revenue."""
        return cls(
            month=month_label(month),
            mrr=money(row.get("mrr_cents")),
            arr=money(12 * int(row.get("mrr_cents") or 0)),
            customers=int(row.get("customers") or 0),
            arpa=None if row.get("arpa_cents") is None else money(row["arpa_cents"]),
            customers_start=int(row.get("customers_start") or 0),
            new_customers=int(row.get("new_customers") or 0),
            churned_customers=int(row.get("churned_customers") or 0),
            previous_mrr=money(row.get("previous_cents")),
            **{name: money(row.get(name)) for name in MOVEMENTS},
            net_new_mrr=money(row.get("net_new_cents")),
            **{name: row.get(name) for name in RATES},
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def saas_metrics(
    store: Store,
    sources: Sources,
    definition: Definition | None = None,
    *,
    first: int | None = None,
    last: int | None = None,
) -> list[SaasMonth]:
    """Every month from first to last (default: the whole ledger), months without data as zeros."""
    first = sources.first_month if first is None else first
    last = sources.horizon if last is None else last
    t = saas_table(sources, definition)
    t = t.filter((t.month_index >= first) & (t.month_index <= last))
    rows = {r["month_index"]: r for r in store.to_arrow(t).to_pylist()}
    return [SaasMonth.from_row(m, rows.get(m, {})) for m in range(first, last + 1)]
