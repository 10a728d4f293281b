"""The cohort customers behind a report's figures: who churned, contracted or expanded, by how much.

Rows come from `metrics.customer_changes` over the report's cohort (customers paying at T - window),
so for the cohort and compounded methods the rows of a change add up to the report's
`churned_mrr`, `contraction_mrr` or `expansion_mrr` exactly. The movements method sums monthly
movements along the way instead, which no single per-customer change reproduces, so it is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from netretain.analysis.attributes import enricher
from netretain.core import metrics
from netretain.core.arith import month_label
from netretain.core.errors import LedgerError, UnsupportedError
from netretain.core.ledger import Sources
from netretain.core.results import money
from netretain.definitions.model import Definition
from netretain.engines.base import Store

CHANGES = {
    "churned": "churned_cents",
    "contraction": "contraction_cents",
    "expansion": "expansion_cents",
    "retained": "kept_cents",
}


def behind_table(
    sources: Sources,
    definition: Definition,
    *,
    as_of: int,
    change: str | None = None,
    where: Mapping[str, str] | None = None,
) -> ir.Table:
    """Cohort customers at `as_of` with their change, largest first; `where` filters attributes."""
    if definition.method == "movements":
        raise UnsupportedError(
            f"{definition.ref} sums monthly movements, which no per-customer change reproduces; "
            "use `netretain customers --movement churn --from ... --to ...`, or --definition ndr"
        )
    if change is not None and change not in CHANGES:
        raise LedgerError(f"unknown change {change!r}; use one of {', '.join(CHANGES)}")
    where = dict(where or {})
    pairs = metrics.pairs_for(sources, definition)
    pairs = pairs.filter(pairs.as_of_index == as_of)
    enrich = enricher(sources, definition, tuple(where))
    if enrich is not None:
        pairs = enrich(pairs)
        for name, value in where.items():
            pairs = pairs.filter(pairs[name] == value)
    t = metrics.customer_changes(pairs)
    s, e = t.start_cents, t.end_cents
    kind = ibis.cases(
        (e == 0, "churned"), (e > s, "expansion"), (e < s, "contraction"), else_="flat"
    )
    amount = t[CHANGES[change]] if change else (e - s).abs()
    t = t.mutate(change=kind, amount_cents=amount)
    if change is not None:
        t = t.filter(t.amount_cents > 0)
    names = sources.customers.select(name_customer="customer_id", name="name")
    t = t.left_join(names, t.customer_id == names.name_customer).drop("name_customer")
    return t.order_by([t.amount_cents.desc(), t.customer_id])


@dataclass(frozen=True)
class Behind:
    """The customers behind one figure of a report, and their total."""

    as_of: str
    change: str | None
    definition: dict[str, Any]
    currency: str
    total: Decimal
    count: int
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "change": self.change,
            "definition": dict(self.definition),
            "currency": self.currency,
            "total": self.total,
            "count": self.count,
            "customers": self.rows,
        }


def behind(
    store: Store,
    sources: Sources,
    definition: Definition,
    *,
    as_of: int,
    change: str | None = None,
    where: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> Behind:
    """The customers behind `change` at `as_of` (all listed if limit is None) and their total."""
    t = behind_table(sources, definition, as_of=as_of, change=change, where=where)
    summary = store.to_arrow(t.aggregate(total=t.amount_cents.sum(), count=t.count())).to_pylist()[
        0
    ]
    shown = t if limit is None else t.limit(limit)
    rows = [
        {
            "customer_id": r["customer_id"],
            "name": r["name"],
            "start_month": month_label(r["start_month_index"]),
            "starting_mrr": money(r["start_cents"]),
            "ending_mrr": money(r["end_cents"]),
            "change": r["change"],
            "amount": money(r["amount_cents"]),
        }
        for r in store.to_arrow(shown).to_pylist()
    ]
    return Behind(
        as_of=month_label(as_of),
        change=change,
        definition=definition.stamp(),
        currency=sources.currency,
        total=money(summary["total"]),
        count=int(summary["count"] or 0),
        rows=rows,
    )
