"""Campaigns with a holdout (issue 17): `start` records which of a rule's accounts get the offer
and which are held out (drawn from the seed); `results` measures, from the ledger's MRR, the
difference between them in churn, contraction, expansion and NDR, with 95% intervals."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from netretain.canonical import canonical_json
from netretain.core.arith import month_label
from netretain.errors import LedgerError, arg
from netretain.incentives import stats
from netretain.incentives.grants import IncentiveGrant, month_start
from netretain.incentives.holdout import held_out
from netretain.incentives.offer_rules import OfferRule
from netretain.ledger import campaigns_table, incentives
from netretain.ledger.offers import HORIZON, incentives_definition, pick
from netretain.predict.results import Prediction
from netretain.store.inputs import minor_units

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger

MONTHS = 3  # months after the start the results measure by default
METHOD = (
    "accounts paying at the start month, their MRR then against the last measured month "
    "(incentives included: the offer's cost counts against the treated); churned, contracted "
    "and expanded are shares of accounts, their difference with Newcombe's hybrid score 95% "
    "interval; NDR is summed ending over starting MRR, its difference with a percentile "
    f"bootstrap 95% interval ({stats.RESAMPLES} resamples within each arm); fewer than "
    f"{stats.MIN_ACCOUNTS} accounts in an arm, or {stats.MIN_EVENTS} events, is too small to tell"
)


def start(
    ledger: Ledger,
    rule: OfferRule,
    as_of: str | None,
    *,
    holdout: float,
    seed: int,
    horizon: int = HORIZON,
) -> Prediction:
    """Draw the holdout among the rule's offers at `as_of` and keep both arms in the ledger;
    the treated accounts' discounts are recorded as incentive grants (kind "offer")."""
    if not 0 < holdout < 1:
        raise LedgerError(f"{arg('holdout')} is the share held out, between 0 and 1")
    found = pick(ledger, rule, as_of, horizon)
    if not found.accounts:
        raise LedgerError(f"{rule.ref} offers nothing at {month_label(found.month)}")
    ids = [a["customer_id"] for a in found.accounts]
    hold = held_out(ids, holdout, seed)
    campaign_id = f"{rule.ref}/{month_label(found.month)}/seed-{seed}"
    rows = [
        {
            "campaign_id": campaign_id,
            "customer_id": a["customer_id"],
            "arm": "holdout" if a["customer_id"] in hold else "treated",
            "mrr_cents": int(a["mrr"] * 100),
            "offer_cents": int(a["offer_mrr"] * 100),
        }
        for a in found.accounts
    ]
    head = {
        "campaign_id": campaign_id,
        "rule": rule.ref,
        "rule_sha256": rule.sha256,
        "rule_json": canonical_json({**rule.content(), "description": rule.description}),
        "as_of_index": found.month,
        "holdout": holdout,
        "seed": seed,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    grants = [_grant(ledger, rule, campaign_id, found.month, r) for r in rows]
    with ledger.store.transaction():  # the campaign and its offers' grants land together
        campaigns_table.save(ledger, head, rows)
        incentives.append(ledger, [g for g in grants if g is not None])
    treated = sum(r["arm"] == "treated" for r in rows)
    content = {
        "campaign_id": campaign_id,
        "rule": rule.stamp(),
        "holdout": holdout,
        "seed": seed,
        "accounts": {"treated": treated, "holdout": len(rows) - treated},
        "held_back": found.held,
        "offer_months": _span(found.month + 1, found.month + max(rule.offer.months, 1)),
    }
    return _stamped(ledger, found.month, content, found.notes)


def _grant(
    ledger: Ledger, rule: OfferRule, campaign_id: str, month: int, row: dict[str, Any]
) -> IncentiveGrant | None:
    """A treated account's discount as an incentive grant (None: held out, or no discount)."""
    places = Decimal(1).scaleb(-minor_units(ledger.currency))
    amount = (Decimal(row["offer_cents"]) / 100).quantize(places, rounding=ROUND_FLOOR)
    if row["arm"] != "treated" or amount <= 0:
        return None
    return IncentiveGrant(
        incentive_id=f"{campaign_id}:{row['customer_id']}",
        customer_id=row["customer_id"],
        kind="offer",
        source=rule.ref,
        start_month=month_start(month + 1),
        end_month=month_start(month + rule.offer.months),
        mrr=amount,
        currency=ledger.currency,
    )


def results(ledger: Ledger, campaign_id: str | None, *, months: int = MONTHS) -> Prediction:
    """Treated against held-out accounts from the campaign's start month to `months` after it
    (or the ledger's last month), measured on the ledger's MRR."""
    head = campaigns_table.chosen(ledger, campaign_id)
    first = int(head["as_of_index"])
    last = min(first + months, ledger.sources.horizon)
    if last <= first:
        raise LedgerError(
            f"campaign {head['campaign_id']} started at {month_label(first)}, the ledger's last "
            "month: ingest the months after it to measure it"
        )
    arms = _outcomes(ledger, head["campaign_id"], first, last)
    t, h = arms["treated"], arms["holdout"]
    measures = {
        name: stats.proportion(int(test(*t).sum()), len(t[0]), int(test(*h).sum()), len(h[0]))
        for name, test in OUTCOMES.items()
    }
    measures["ndr"] = stats.ndr(t, h, seed=int(head["seed"]))
    notes = []
    if last < first + months:
        notes.append(f"only {last - first} of {months} months after the start have data yet")
    content = {
        "campaign_id": head["campaign_id"],
        "rule": {"ref": head["rule"], "sha256": head["rule_sha256"]},
        "measured": _span(first, last),
        "accounts": {"treated": len(t[0]), "holdout": len(h[0])},
        "measures": {k: v.to_dict() for k, v in measures.items()},
        "method": METHOD,
    }
    return _stamped(ledger, last, content, tuple(notes))


OUTCOMES = {
    "churn": lambda s, e: e == 0,
    "contraction": lambda s, e: (e > 0) & (e < s),
    "expansion": lambda s, e: e > s,
}


def _outcomes(
    ledger: Ledger, campaign_id: str, first: int, last: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per arm: each account's MRR in cents at the start month and at the last month."""
    store = ledger.store
    a = store.table(campaigns_table.ACCOUNTS)
    a = a.filter(a.campaign_id == campaign_id).select("customer_id", "arm")
    mrr = ledger.mrr()
    at = {
        name: mrr.filter(mrr.month_index == month).select(
            c=mrr.customer_id, **{name: mrr.mrr_cents}
        )
        for name, month in (("start", first), ("end", last))
    }
    joined = a
    for name, t in at.items():
        j = joined.left_join(t, joined.customer_id == t.c)
        joined = j.select(*joined.columns, **{name: j[name].fill_null(0)})
    rows = store.to_arrow(joined.order_by("customer_id")).to_pandas()
    return {
        arm: (
            rows.loc[rows["arm"] == arm, "start"].to_numpy(dtype="int64"),
            rows.loc[rows["arm"] == arm, "end"].to_numpy(dtype="int64"),
        )
        for arm in ("treated", "holdout")
    }


def listing(ledger: Ledger) -> list[dict[str, Any]]:
    """Every campaign, newest first: id, rule, start month, holdout share, seed."""
    return [
        {
            "campaign_id": r["campaign_id"],
            "rule": r["rule"],
            "as_of": month_label(int(r["as_of_index"])),
            "holdout": r["holdout"],
            "seed": r["seed"],
            "created_at": r["created_at"],
        }
        for r in campaigns_table.listing(ledger)
    ]


def _span(first: int, last: int) -> dict[str, str]:
    return {"from": month_label(first), "to": month_label(last)}


def _stamped(
    ledger: Ledger, month: int, content: dict[str, Any], notes: tuple[str, ...]
) -> Prediction:
    return Prediction(
        as_of=month_label(month),
        definition=incentives_definition(),
        currency=ledger.currency,
        content=content,
        warnings=(*ledger.warnings(month), *notes),
    )
