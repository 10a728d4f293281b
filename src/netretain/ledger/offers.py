"""Offers (issue 17): the accounts a rule makes an offer to at a month, within its guardrails,
ranked by expected MRR effect. Features and scores come from ledger.predict (the saved models,
else fitted on the outcomes known by then), as the risk list's do."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

from netretain.core.arith import month_label
from netretain.core.results import money
from netretain.errors import LedgerError
from netretain.incentives import offers as rules_on
from netretain.incentives.offer_rules import OfferRule
from netretain.incentives.offers import Prior
from netretain.ledger import campaigns_table, incentives
from netretain.ledger import predict as accounts
from netretain.predict.features import TARGETS
from netretain.predict.results import Prediction
from netretain.store.inputs import minor_units

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger

HORIZON = 3


@dataclass(frozen=True)
class Picked:
    """A rule's offers at a month: every account kept (ranked), what the guardrails held back,
    how many were eligible, the notes and the models' description."""

    month: int
    accounts: list[dict[str, Any]]
    held: dict[str, int]
    eligible: int
    notes: tuple[str, ...]
    model: dict[str, Any] | None


def pick(ledger: Ledger, rule: OfferRule, as_of: str | None, horizon: int = HORIZON) -> Picked:
    """Every account the rule offers to at `as_of`, best expected MRR effect first."""
    frame, month, notes, model = _frame(ledger, rule, as_of, horizon)
    chosen = rules_on.eligible(frame, rule)
    ids = chosen["customer_id"].astype(str).tolist()
    kept, held = rules_on.guard(
        list(zip(ids, chosen["mrr_cents"].astype(int), strict=True)),
        priors(ledger, ids),
        rule,
        month,
    )
    rows = chosen.set_index("customer_id").loc[[g.customer_id for g in kept]].reset_index()
    effects = rules_on.expected_cents(rule, rows)
    out = [
        _account(rule, g, row, int(effect))
        for g, row, effect in zip(kept, rows.to_dict("records"), effects, strict=True)
    ]
    out.sort(key=lambda a: (-a["expected_mrr_effect"], a["customer_id"]))
    return Picked(month, out, held, len(ids), notes, model)


def offers(
    ledger: Ledger, rule: OfferRule, as_of: str | None, *, top: int | None = 20, horizon: int = 3
) -> Prediction:
    """The ranked offer list as a stamped result (`netretain offers`)."""
    found = pick(ledger, rule, as_of, horizon)
    content = {
        "rule": rule.stamp(),
        "action": rule.action,
        "offer": rule.offer.text,
        "eligible": found.eligible,
        "held_back": found.held,
        "offered": len(found.accounts),
        "model": found.model,
        "accounts": found.accounts if top is None else found.accounts[:top],
    }
    return Prediction(
        as_of=month_label(found.month),
        definition=incentives_definition(),
        currency=ledger.currency,
        content=content,
        warnings=found.notes,
    )


def incentives_definition() -> dict[str, Any]:
    """The definition the features follow (the ledger's default movements)."""
    from netretain.ledger.models import definition_stamp

    return definition_stamp()


def _frame(
    ledger: Ledger, rule: OfferRule, as_of: str | None, horizon: int
) -> tuple[pd.DataFrame, int, tuple[str, ...], dict[str, Any] | None]:
    """One month's accounts with the fields the rule reads (scores only when it needs them)."""
    if not rule.needs_scores():
        month = ledger.month(as_of)
        now = _some(accounts.month_features(ledger, month), month)
        return rules_on.with_fields(now, None), month, ledger.warnings(month), None
    s = accounts.scoring(ledger, as_of, horizon)
    _some(s.now, s.month)
    probabilities = {t: s.fitted[t].predict_proba(s.now) for t in TARGETS}
    model = {**s.about, "name": s.fitted["churn"].name, "horizon_months": horizon}
    return rules_on.with_fields(s.now, probabilities), s.month, s.notes, model


def _some(now: pd.DataFrame, month: int) -> pd.DataFrame:
    """The month's accounts; none is a clear message, not an empty model input."""
    if now.empty:
        raise LedgerError(f"no account pays at {month_label(month)}: nothing to offer")
    return now


def _account(rule: OfferRule, g: rules_on.Guarded, row: dict[str, Any], effect: int) -> dict:
    owner = row.get("attr_owner")
    return {
        "customer_id": g.customer_id,
        "owner": None if owner is None or owner != owner else str(owner),
        "mrr": money(g.mrr_cents),
        "offer_mrr": money(g.offer_cents),
        "offer_months": rule.offer.months,
        "expected_mrr_effect": money(effect),
        "evidence": rules_on.evidence(rule, row),
    }


def priors(ledger: Ledger, ids: list[str]) -> dict[str, list[Prior]]:
    """Each account's earlier incentives: recorded grants and offers of earlier campaigns."""
    found: dict[str, list[Prior]] = {}
    store = ledger.store
    if not ids:
        return found
    if store.has(incentives.TABLE):
        t = store.table(incentives.TABLE)
        for r in store.to_arrow(t.filter(t.customer_id.isin(ids))).to_pylist():
            cents = _cents(int(r["mrr_minor"]), str(r["currency"]))
            prior = Prior(r["start_month_index"], r["end_month_index"], cents, r["kind"] == "offer")
            found.setdefault(r["customer_id"], []).append(prior)
    for customer, start in campaigns_table.offered(ledger, ids):
        found.setdefault(customer, []).append(Prior(start, start, 0))
    return found


def _cents(minor: int, currency: str) -> int:
    """Minor units as cents, rounded up (a cap is checked against at least the real amount)."""
    return math.ceil(Decimal(minor).scaleb(2 - minor_units(currency)))
