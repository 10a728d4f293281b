"""Grouping attributes for segment views: customer columns, plan at window start, size band.

Every view groups the cohort pairs (customer_id, start_month_index, as_of_index, start_cents,
end_cents) by attributes added here, so segment sums always add up to the overall figures.

- any column of the customers table (segment, region, plan, gtm_motion, pricing_model, ...), read
  from the account the definition reports on (the parent when `account_level = "parent"`);
- `plan_at_start`: the plan billed at the window start (the plan of the customer's revenue lines in
  force then, the largest one when several are; else the customers table's `plan`);
- `size_band`: the customer's starting MRR annualised (12 x MRR at the window start), banded at the
  ACV cut points of SaaS Capital's retention survey, so bands line up with published benchmarks.

A missing value is grouped as "(none)", never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import ibis
import ibis.expr.types as ir

from netretain.core.arith import MONTHS_PER_YEAR
from netretain.core.monthly import Sources, in_force, roll_up_to_parent
from netretain.core.results import RETENTION_KEYS
from netretain.core.retention import Enrich
from netretain.definitions.model import Definition
from netretain.errors import LedgerError

By = str | Sequence[str]  # attributes: "segment,region" or ["segment", "region"]
NONE = "(none)"
SMALL_SEGMENT = 30  # customers at the window start below which a segment is flagged `small`
# (label, lowest annualised starting MRR in whole currency units), in order.
SIZE_BANDS: tuple[tuple[str, int], ...] = (
    ("<12k", 0),
    ("12k-25k", 12_000),
    ("25k-50k", 25_000),
    ("50k-100k", 50_000),
    ("100k-250k", 100_000),
    ("250k+", 250_000),
)
DERIVED = ("size_band", "plan_at_start")
NOT_ATTRIBUTES = ("customer_id",)


def parse_by(by: str | Sequence[str] | None) -> tuple[str, ...]:
    """'segment,region' or ['segment', 'region'] as a tuple of attribute names."""
    if by is None:
        return ()
    items = by.split(",") if isinstance(by, str) else list(by)
    return tuple(dict.fromkeys(name.strip() for name in items if name.strip()))


# Keys the analysis views write next to the attribute values: an attribute may not take their name.
OUTPUT_KEYS = frozenset(
    {
        *RETENTION_KEYS,
        *("as_of", "definition", "currency", "small", "steps", "total", "movement", "months"),
        *("message", "segment_ndr", "amount", "placement", "benchmark", "source", "note"),
    }
)


def available(sources: Sources) -> tuple[str, ...]:
    """Every attribute a segment view can group by on this ledger."""
    columns = [c for c in sources.customers.columns if c not in NOT_ATTRIBUTES]
    return (*columns, *DERIVED)


def check(sources: Sources, by: Sequence[str]) -> None:
    """Refuse unknown attributes, naming the ones this ledger has."""
    clashing = [name for name in by if name in OUTPUT_KEYS]
    if clashing:
        raise LedgerError(
            f"attribute(s) {', '.join(clashing)} share a name with an output field; rename the "
            "column in your customers file (e.g. customer_segment) and ingest it again"
        )
    known = available(sources)
    unknown = [name for name in by if name not in known]
    if unknown:
        raise LedgerError(
            f"unknown attribute(s) {', '.join(unknown)}; group by one of {', '.join(known)}"
        )


def size_band(start_cents: ir.IntegerValue) -> ir.StringValue:
    """The size band of a starting MRR in cents (annualised, compared in integer cents)."""
    annual = start_cents * MONTHS_PER_YEAR
    cases = [(annual < low * 100, label) for (label, _), (_, low) in pairwise(SIZE_BANDS)]
    return ibis.cases(*cases, else_=SIZE_BANDS[-1][0])


def band_order(label: str) -> int:
    """Position of a size band label, for sorting rows in band order."""
    labels = [label for label, _ in SIZE_BANDS]
    return labels.index(label) if label in labels else len(labels)


def plan_at_start(sources: Sources, definition: Definition, pairs: ir.Table) -> ir.Table:
    """(customer_id, start_month_index, plan_at_start): the largest plan in force at the start."""
    starts = pairs.select("customer_id", "start_month_index").distinct()
    lines = sources.revenue_lines
    if "plan" not in lines.columns:
        return starts.mutate(plan_at_start=ibis.null("string"))
    lines = lines.filter(lines.revenue_type.isin(list(definition.revenue)) & lines.plan.notnull())
    if definition.account_level == "parent":
        lines = roll_up_to_parent(lines, sources.customers)
    spans = lines.select(
        line_customer="customer_id",
        plan="plan",
        micros="monthly_micros",
        **in_force(lines, sources.horizon),
    )
    covering = starts.join(
        spans,
        (starts.customer_id == spans.line_customer)
        & (spans.first <= starts.start_month_index)
        & (spans.last >= starts.start_month_index),
    )
    per_plan = covering.group_by("customer_id", "start_month_index", "plan").aggregate(
        micros=covering.micros.sum()
    )
    ranked = per_plan.mutate(
        rank=ibis.row_number().over(
            group_by=["customer_id", "start_month_index"],
            order_by=[per_plan.micros.desc(), per_plan.plan],
        )
    )
    best = ranked.filter(ranked.rank == 0).select(
        "customer_id", "start_month_index", plan_at_start="plan"
    )
    found = starts.left_join(best, ["customer_id", "start_month_index"])
    return found.select("customer_id", "start_month_index", "plan_at_start")


def enricher(sources: Sources, definition: Definition, by: Sequence[str]) -> Enrich | None:
    """An `enrich` for `retention.retention_table` that adds the `by` attributes to cohort pairs."""
    by = tuple(by)
    if not by:
        return None
    check(sources, by)
    customer_columns = [name for name in by if name not in DERIVED]
    if "plan_at_start" in by and "plan" in sources.customers.columns:
        customer_columns.append("plan")
    customer_columns = list(dict.fromkeys(customer_columns))

    def enrich(pairs: ir.Table) -> ir.Table:
        """The pairs with one text column per attribute; a missing value becomes NONE."""
        t = pairs
        if customer_columns:
            c = sources.customers
            attrs = c.select(
                attr_customer="customer_id",
                **{f"attr_{name}": c[name].cast("string") for name in customer_columns},
            )
            t = t.left_join(attrs, t.customer_id == attrs.attr_customer).drop("attr_customer")
        if "plan_at_start" in by:
            plans = plan_at_start(sources, definition, pairs).rename(
                plan_customer="customer_id", plan_start="start_month_index"
            )
            joined = t.left_join(
                plans,
                (t.customer_id == plans.plan_customer) & (t.start_month_index == plans.plan_start),
            )
            value = joined.plan_at_start
            if "attr_plan" in joined.columns:
                value = value.fill_null(joined.attr_plan)
            t = joined.select(
                *[c for c in t.columns if c != "attr_plan_at_start"], attr_plan_at_start=value
            )
        if "size_band" in by:
            t = t.mutate(attr_size_band=size_band(t.start_cents))
        return t.select(
            *pairs.columns,
            **{name: t[f"attr_{name}"].fill_null(NONE) for name in by},
        )

    return enrich
