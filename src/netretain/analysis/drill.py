"""The cohort customers behind a report's figures: who churned, contracted or expanded, by how much.

Rows come from `retention.customer_changes` over the report's cohort (customers paying at
T - window), so for the cohort and compounded methods the rows of a change add up to the report's
`churn_mrr`, `contraction_mrr` or `expansion_mrr` exactly. The movements method sums monthly
movements along the way instead, which no single per-customer change reproduces, so it is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir

from netretain.analysis.attributes import enricher
from netretain.core import monthly, retention
from netretain.core.arith import first_day, month_label
from netretain.core.monthly import MOVEMENTS, Sources
from netretain.core.query import Query, Row, Rows
from netretain.core.results import Stamped, money
from netretain.definitions.model import Definition
from netretain.errors import LedgerError, UnsupportedError, arg

CHANGES = {
    "churn": "churn_cents",
    "contraction": "contraction_cents",
    "expansion": "expansion_cents",
    "retained": "retained_cents",
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
            f"list each customer's monthly churn over the window instead "
            f"({arg('customer_movements')}), or use {arg('definition')} ndr"
        )
    if change is not None and change not in CHANGES:
        raise LedgerError(f"unknown change {change!r}; use one of {', '.join(CHANGES)}")
    where = dict(where or {})
    pairs = retention.pairs_for(sources, definition)
    pairs = pairs.filter(pairs.as_of_index == as_of)
    enrich = enricher(sources, definition, tuple(where))
    if enrich is not None:
        pairs = enrich(pairs)
        for name, value in where.items():
            pairs = pairs.filter(pairs[name] == value)
    t = retention.customer_changes(pairs)
    s, e = t.start_cents, t.end_cents
    kind = ibis.cases((e == 0, "churn"), (e > s, "expansion"), (e < s, "contraction"), else_="flat")
    amount = t[CHANGES[change]] if change else (e - s).abs()
    t = t.mutate(change=kind, amount_cents=amount)
    if change is not None:
        t = t.filter(t.amount_cents > 0)
    names = sources.customers.select(name_customer="customer_id", name="name")
    t = t.left_join(names, t.customer_id == names.name_customer).drop("name_customer")
    return t.order_by([t.amount_cents.desc(), t.customer_id])


@dataclass(frozen=True)
class Behind(Stamped):
    """The customers behind one figure of a report, and their total."""

    as_of: str
    change: str | None
    total: Decimal
    count: int
    rows: list[dict[str, Any]] = field(metadata={"key": "customers"})
    LEAD: ClassVar[tuple[str, ...]] = ("as_of", "change")


def behind(
    sources: Sources,
    definition: Definition,
    *,
    as_of: int,
    change: str | None = None,
    where: Mapping[str, str] | None = None,
    limit: int | None = None,
) -> Query[Behind]:
    """The customers behind `change` at `as_of` (all listed if limit is None) and their total."""
    t = behind_table(sources, definition, as_of=as_of, change=change, where=where)
    summary = t.aggregate(total=t.amount_cents.sum(), count=t.count())

    def finish(rows: Rows) -> Behind:
        [totals] = rows["summary"]
        return Behind(
            as_of=month_label(as_of),
            change=change,
            definition=definition.stamp(),
            currency=sources.currency,
            total=money(totals["total"]),
            count=int(totals["count"] or 0),
            rows=[
                {
                    "customer_id": r["customer_id"],
                    "name": r["name"],
                    "start_month": month_label(r["start_month_index"]),
                    "starting_mrr": money(r["start_cents"]),
                    "ending_mrr": money(r["end_cents"]),
                    "change": r["change"],
                    "amount": money(r["amount_cents"]),
                }
                for r in rows["shown"]
            ],
        )

    shown = t if limit is None else t.limit(limit)
    return Query({"summary": summary, "shown": shown}, finish)


def customer_months(
    sources: Sources,
    definition: Definition | None,
    *,
    customer_id: str | None = None,
    movement: str | None = None,
    months: tuple[int | None, int | None] = (None, None),
    by_amount: bool = False,
) -> ir.Table:
    """Customer-months for a drill-down (who churned in March, who expanded most), in a stable
    order: by customer and month, or by the movement's amount, largest first."""
    t = monthly.movements_for(sources, definition)
    if customer_id is not None:
        t = t.filter(t.customer_id == customer_id)
    first, last = months
    if first is not None:
        t = t.filter(t.month_index >= first)
    if last is not None:
        t = t.filter(t.month_index <= last)
    if by_amount and movement is None:
        raise LedgerError(
            f"sorting by amount ({arg('by_amount')}) needs a {arg('movement')}: "
            "the amount of which movement?"
        )
    if movement is not None:
        if movement not in MOVEMENTS:
            raise LedgerError(f"unknown movement {movement!r}; use one of {', '.join(MOVEMENTS)}")
        t = t.filter(t[movement] > 0)
    if by_amount:
        return t.order_by([t[movement].desc(), "customer_id", "month_index"])
    return t.order_by(["customer_id", "month_index"])


MONEY_COLUMNS = {"mrr_cents": "mrr", "previous_cents": "previous_mrr"}


def customer_row(row: Row) -> dict[str, Any]:
    """A customer-month as plain values: month label and Decimal money."""
    out: dict[str, Any] = {
        "customer_id": row["customer_id"],
        "month": month_label(row["month_index"]),
    }
    for column, name in MONEY_COLUMNS.items():
        out[name] = money(row[column])
    for name in MOVEMENTS:
        out[name] = money(row[name])
    return out


def labelled(t: ir.Table) -> ir.Table:
    """Customer-months for export: month labels and money as DECIMAL(18,2), in the engine."""

    def decimal(column: ir.IntegerValue) -> ir.DecimalValue:
        return (column.cast("decimal(18,0)") / 100).cast("decimal(18,2)")

    return t.select(
        "customer_id",
        month=first_day(t.month_index).cast("string").substr(0, 7),
        mrr=decimal(t.mrr_cents),
        previous_mrr=decimal(t.previous_cents),
        **{n: decimal(t[n]) for n in MOVEMENTS},
    )


def customer_profile(sources: Sources, customer_id: str) -> Query[dict[str, Any]]:
    """One customer's attributes and revenue lines (each line's monthly amount in its own
    currency, exact), for a customer page; empty when the ledger does not know the id."""
    people = sources.customers
    lines = sources.revenue_lines
    lines = lines.filter(lines.customer_id == customer_id)

    def finish(rows: Rows) -> dict[str, Any]:
        found = rows["attributes"]
        return {
            "attributes": found[0] if found else {},
            "revenue_lines": [
                {
                    **{k: v for k, v in r.items() if k != "monthly_micros"},
                    "monthly_amount": Decimal(r["monthly_micros"]).scaleb(-6).normalize(),
                }
                for r in rows["lines"]
            ],
        }

    return Query(
        {
            "attributes": people.filter(people.customer_id == customer_id),
            "lines": lines.order_by(["service_start", "revenue_type"]),
        },
        finish,
    )


SORT_COLUMNS = {
    "customer_id": "customer_id",
    "month": "month_index",
    **{v: k for k, v in MONEY_COLUMNS.items()},
}


def customer_page(
    t: ir.Table,
    *,
    search: str = "",
    sort: str = "customer_id",
    descending: bool = False,
    page: int = 1,
    size: int = 50,
) -> Query[dict[str, Any]]:
    """One page of customer-months (from `customer_months`), searched by id and sorted, in the
    engine: only the page comes back. A page past the last gives the last page."""
    if search:
        t = t.filter(t.customer_id.lower().contains(search.lower()))
    column = SORT_COLUMNS.get(sort, sort if sort in MOVEMENTS else "customer_id")
    key = t[column].desc() if descending else t[column].asc()
    ties = [t[c] for c in ("customer_id", "month_index") if c != column]
    ordered = t.order_by([key, *ties])

    def rows(total: int) -> Query[dict[str, Any]]:
        pages = max(1, -(-total // size))
        shown = min(max(page, 1), pages)
        chosen = ordered.limit(size, offset=(shown - 1) * size)
        return Query.one(
            chosen,
            lambda found: {
                "rows": [customer_row(r) for r in found],
                "total": total,
                "pages": pages,
                "page": shown,
            },
        )

    return Query.one(t.aggregate(n=t.count()), lambda found: rows(int(found[0]["n"])))
