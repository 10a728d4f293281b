"""Who a rule offers what: eligibility over one month's account features and scores, the
guardrails against earlier incentives, the expected MRR effect and the evidence (issue 17).

The frame is predict's scoring frame (one row per paying account), so the work is column-wise;
only the guardrails walk the eligible accounts, each with its few earlier incentives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from netretain.incentives.offer_rules import SCORES, Condition, OfferRule, RuleError

CENTS = 100


@dataclass(frozen=True)
class Prior:
    """An earlier incentive on an account: its months (end None: open-ended), its MRR in cents,
    and whether it was an offer (the minimum gap counts offers; the cap counts everything)."""

    start: int
    end: int | None
    mrr_cents: int
    offer: bool = True

    def active(self, month: int) -> bool:
        return self.start <= month and (self.end is None or month <= self.end)


@dataclass(frozen=True)
class Guarded:
    """An eligible account the guardrails let through, with its offer's MRR in cents."""

    customer_id: str
    mrr_cents: int
    offer_cents: int


def with_fields(now: pd.DataFrame, probabilities: Mapping[str, np.ndarray] | None) -> pd.DataFrame:
    """The scoring frame plus what rules may name besides features: `mrr` (units), the
    highest and lowest plan utilisation, and the scores (when the models were asked)."""
    frame = now.copy()
    frame["mrr"] = frame["mrr_cents"].astype(float) / CENTS
    used = [c for c in frame.columns if c.startswith("utilisation_")]
    frame["utilisation_max"] = frame[used].max(axis=1) if used else np.nan
    frame["utilisation_min"] = frame[used].min(axis=1) if used else np.nan
    for target, p in (probabilities or {}).items():
        frame[f"{target}_probability"] = p
    if "churn_probability" in frame.columns:
        frame["mrr_at_risk"] = frame["churn_probability"] * frame["mrr"]
    return frame


def holds(frame: pd.DataFrame, condition: Condition) -> pd.Series:
    """Where a condition holds (a missing value never does)."""
    if condition.field not in frame.columns:
        known = sorted(c for c in frame.columns if not c.startswith(("label_", "moved_")))
        extra = "; scores need the risk models" if condition.field in SCORES else ""
        raise RuleError(
            f"no feature or score {condition.field!r} on this ledger{extra}; known: "
            + ", ".join(known)
        )
    column, value = frame[condition.field], condition.value
    compare = {
        "<": column.__lt__,
        "<=": column.__le__,
        ">": column.__gt__,
        ">=": column.__ge__,
        "==": column.__eq__,
        "!=": column.__ne__,
    }[condition.op]
    return compare(value).fillna(False).astype(bool) & column.notna()


def eligible(frame: pd.DataFrame, rule: OfferRule) -> pd.DataFrame:
    """The accounts every eligible condition holds for and no exclusion does."""
    keep = pd.Series(True, index=frame.index)
    for c in rule.eligible:
        keep &= holds(frame, c)
    for c in rule.exclude:
        keep &= ~holds(frame, c)
    return frame[keep]


def offer_cents(rule: OfferRule, mrr_cents: int) -> int:
    """The offer's discount in cents a month, rounded down so it never passes the cap."""
    return math.floor(rule.offer.discount * mrr_cents)


def guard(
    accounts: Sequence[tuple[str, int]],
    priors: Mapping[str, Sequence[Prior]],
    rule: OfferRule,
    month: int,
) -> tuple[list[Guarded], dict[str, int]]:
    """The (customer_id, mrr_cents) accounts whose offer, starting the month after `month`,
    keeps the guardrails; and how many each guardrail held back. An account listed twice gets
    one offer. Cap: its incentives in any month of the offer stay within discount_cap x MRR.
    Gap: its last offer started at least min_gap_months before this one does."""
    start, months = month + 1, max(rule.offer.months, 1)
    cap, gap = rule.guardrails.discount_cap, rule.guardrails.min_gap_months
    kept: list[Guarded] = []
    held = {"min_gap": 0, "discount_cap": 0}
    seen: set[str] = set()
    for customer, mrr in accounts:
        if customer in seen:
            continue
        seen.add(customer)
        before = priors.get(customer, ())
        offers = [p.start for p in before if p.offer]
        if offers and start - max(offers) < gap:
            held["min_gap"] += 1
            continue
        cents = offer_cents(rule, mrr)
        existing = max(
            (sum(p.mrr_cents for p in before if p.active(m)) for m in range(start, start + months)),
            default=0,
        )
        if cents and existing + cents > math.floor(cap * mrr):
            held["discount_cap"] += 1
            continue
        kept.append(Guarded(customer, mrr, cents))
    return kept, held


def expected_cents(rule: OfferRule, frame: pd.DataFrame) -> np.ndarray:
    """Expected monthly MRR effect in cents: MRR x (keeps x P(churn) + grows x P(expansion))
    minus the discount (the rule's assumptions times the models' probabilities)."""
    mrr = frame["mrr_cents"].to_numpy(dtype=float)
    p_churn = _column(frame, "churn_probability")
    p_expand = _column(frame, "expansion_probability")
    o = rule.offer
    gain = mrr * (o.keeps * p_churn + o.grows * p_expand)
    cost = np.floor(o.discount * mrr)
    return np.rint(gain - cost).astype("int64")


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.zeros(len(frame))
    return frame[name].to_numpy(dtype=float)


def evidence(rule: OfferRule, row: Mapping[str, object]) -> list[str]:
    """Each eligible condition with the account's value: 'churn_probability 0.31 (>= 0.2)'."""
    return [f"{c.field} {_shown(row[c.field])} ({c.op} {_shown(c.value)})" for c in rule.eligible]


def _shown(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)
