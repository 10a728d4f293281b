"""The NDR bridge: starting MRR + expansion - contraction - churn = ending MRR, per segment.

The board-deck waterfall of one cohort (customers paying at T - window), read from the same
`retention_table` row as the report, so its ends and steps are the report's figures.
NDR = ending / starting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from netretain.analysis.attributes import parse_by
from netretain.analysis.segments import segment_table, sort_key
from netretain.core.arith import month_label
from netretain.core.monthly import Sources
from netretain.core.query import Query, Row
from netretain.core.results import Retention, Stamped
from netretain.definitions.model import Definition

STEPS = (
    ("starting MRR", "starting_mrr", 1),
    ("expansion", "expansion_mrr", 1),
    ("contraction", "contraction_mrr", -1),
    ("churn", "churn_mrr", -1),
)
INCENTIVES = "of which incentives"  # a line after the ending: inside the steps above, not added


@dataclass(frozen=True)
class Bridge(Stamped):
    """One cohort's walk from starting to ending MRR (money as exact Decimal)."""

    as_of: str
    retention: Retention
    segment: dict[str, Any] = field(default_factory=dict)
    # the MRR incentives took off the cohort over the window, inside the movements (issue 17);
    # None when the ledger records no incentives
    incentive_mrr: Decimal | None = None

    def steps(self) -> list[dict[str, Any]]:
        """The waterfall: each step's signed amount and the running total after it."""
        out, running = [], Decimal("0.00")
        for label, name, sign in STEPS:
            amount = sign * getattr(self.retention, name) or Decimal("0.00")  # never -0
            running += amount
            out.append({"step": label, "amount": amount, "running": running})
        ending = self.retention.ending_mrr
        out.append({"step": "ending MRR", "amount": ending, "running": ending})
        if self.incentive_mrr is not None:
            out.append({"step": INCENTIVES, "amount": self.incentive_mrr, "running": ending})
        return out

    def step_rows(self) -> list[dict[str, Any]]:
        """The steps as flat rows (as of, segment, step, amount, running), for CSV."""
        head = {"as_of": self.as_of, **self.segment}
        return [{**head, **step, "ndr": self.retention.ndr} for step in self.steps()]

    def lead(self) -> dict[str, Any]:
        return {"as_of": self.as_of, **self.segment}

    def body(self) -> dict[str, Any]:
        r = self.retention
        return {
            "starting_mrr": r.starting_mrr,
            "expansion_mrr": r.expansion_mrr,
            "contraction_mrr": r.contraction_mrr,
            "churn_mrr": r.churn_mrr,
            "ending_mrr": r.ending_mrr,
            "ndr": r.ndr,
            "gdr": r.gdr,
            "customers_start": r.customers_start,
            "customers_retained": r.customers_retained,
            "incentive_mrr": self.incentive_mrr,
            "steps": self.steps(),
        }


def bridge(
    sources: Sources,
    definition: Definition,
    *,
    as_of: int,
    by: str | Sequence[str] = (),
) -> Query[list[Bridge]]:
    """The bridge at `as_of`: one for the whole cohort, or one per segment of `by`."""
    attrs = parse_by(by)
    table = segment_table(sources, definition, by=attrs)
    stamp = definition.stamp()

    def finish(rows: list[Row]) -> list[Bridge]:
        rows = sorted(rows, key=lambda r: sort_key(r, attrs))
        if not rows and not attrs:
            rows = [{}]
        return [
            Bridge(
                as_of=month_label(as_of),
                definition=stamp,
                currency=sources.currency,
                retention=Retention.from_row(row or None),
                segment={name: row[name] for name in attrs},
            )
            for row in rows
        ]

    return Query.one(table.filter(table.as_of_index == as_of), finish)
