"""The service side of account intelligence: build the feature frame in the engine, fit and
score the models in `netretain.predict` on it. `Ledger` delegates its prediction methods here."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from netretain.core.arith import month_label
from netretain.core.results import money
from netretain.errors import arg
from netretain.ledger import models as saved_models
from netretain.predict import backtest as bt
from netretain.predict import drivers as gd
from netretain.predict import planfit as pf
from netretain.predict.features import HORIZON, TARGETS, FeatureInputs, feature_table
from netretain.predict.models import ModelError, RiskModel
from netretain.predict.results import PlanFit, Prediction
from netretain.predict.snapshot import snapshot_table
from netretain.store import input_table

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger


def feature_inputs(ledger: Ledger) -> FeatureInputs:
    """The ledger's Sources plus the input rows that carry billing terms, and its usage."""
    store = ledger.store
    kept = {
        kind: store.table(input_table(kind)) if store.has(input_table(kind)) else None
        for kind in ("subscriptions", "invoice_lines", "plans")
    }
    usage = store.table("usage_monthly") if store.has("usage_monthly") else None
    metrics: tuple[str, ...] = ()
    if usage is not None:
        found = store.to_arrow(usage.select("metric").distinct()).column("metric").to_pylist()
        metrics = tuple(sorted(found))
    return FeatureInputs(
        ledger.sources,
        kept["subscriptions"],
        kept["invoice_lines"],
        usage_monthly=usage,
        plans=kept["plans"],
        usage_metrics=metrics,
    )


def features(
    ledger: Ledger,
    first: int | None = None,
    last: int | None = None,
    *,
    horizon: int = HORIZON,
    with_labels: bool = True,
) -> pd.DataFrame:
    """The feature frame (one row per paying customer and month-end), sorted by its keys."""
    sources = ledger.sources
    first = sources.first_month if first is None else first
    last = sources.horizon if last is None else last
    expr = feature_table(
        feature_inputs(ledger), first, last, horizon=horizon, with_labels=with_labels
    )
    expr = expr.order_by(["month_index", "customer_id"])
    return ledger.store.to_arrow(expr).to_pandas()


def backtest(
    ledger: Ledger, cut: str | None = None, *, horizon: int = HORIZON, shuffle_labels: bool = False
) -> Prediction:
    """Both models on every target, fitted before the cut month and scored from it on."""
    frame = features(ledger, horizon=horizon)
    cut_index = None if cut is None else ledger.month(cut)
    result = bt.backtest(frame, cut=cut_index, horizon=horizon, shuffle_labels=shuffle_labels)
    return _stamped(ledger, month_label(ledger.sources.horizon), result, ())


def risk(
    ledger: Ledger,
    as_of: str | None = None,
    *,
    horizon: int = HORIZON,
    top: int | None = 20,
    drivers: int = 3,
) -> Prediction:
    """Accounts paying at `as_of`, ranked by expected MRR at risk (P(churn) x MRR), with the
    probabilities of each target and the churn score's drivers. Scored by the latest saved model
    trained until `as_of` or before (see ledger.models), else fitted now on outcomes known by
    `as_of` only (snapshots M with M + horizon <= as_of)."""
    s = scoring(ledger, as_of, horizon)
    month, now, fitted, about, notes = s.month, s.now, s.fitted, s.about, s.notes
    churn = fitted["churn"].predict_proba(now)
    at_risk = np.rint(churn * now["mrr_cents"].to_numpy(dtype=float)).astype("int64")
    order = np.argsort(-at_risk, kind="stable")
    shown = order if top is None else order[:top]
    picked = now.iloc[shown]
    probs = {t: m.predict_proba(picked) for t, m in fitted.items()}  # only the accounts shown
    reasons = fitted["churn"].explain(picked, drivers)
    owners = _owners(picked)
    accounts = []
    for n, i in enumerate(shown):
        accounts.append(
            {
                "customer_id": now.at[i, "customer_id"],
                "owner": owners[n],
                "mrr": money(int(now.at[i, "mrr_cents"])),
                "expected_mrr_at_risk": money(int(at_risk[i])),
                **{f"{t}_probability": float(probs[t][n]) for t in TARGETS},
                "drivers": [d.text for d in reasons[n]],
            }
        )
    content = {"horizon_months": horizon, "model": _about(fitted["churn"], about)}
    return _stamped(ledger, month_label(month), {**content, "accounts": accounts}, notes)


@dataclass(frozen=True)
class Scoring:
    """What a playbook scores: the month, the accounts paying then (their features), the models
    (saved or fitted now), what those models are, notes on them, and the expansion size."""

    month: int
    now: pd.DataFrame
    fitted: dict[str, RiskModel]
    about: dict[str, Any]
    notes: tuple[str, ...]
    expansion_size: dict[str, Any]


def scoring(ledger: Ledger, as_of: str | None, horizon: int) -> Scoring:
    """The models and accounts for a playbook at `as_of` (default: the ledger's as-of month).

    With a saved model only the month's features are computed; without one, every month's up to
    `as_of`, to fit on (see ledger.models)."""
    month = ledger.month(as_of)
    chosen = saved_models.saved_for(ledger, month, horizon)
    if chosen is None:
        frame = features(ledger, last=month, horizon=horizon)
        now = frame[frame["month_index"] == month].reset_index(drop=True)
        chosen = saved_models.fitted_now(frame, month, horizon)
    else:
        now = month_features(ledger, month)
    notes = (*ledger.warnings(month), *chosen.notes)
    return Scoring(month, now, chosen.fitted, chosen.info, notes, chosen.expansion_size)


def expansion(
    ledger: Ledger,
    as_of: str | None = None,
    *,
    horizon: int = HORIZON,
    top: int | None = 20,
    drivers: int = 3,
) -> Prediction:
    """Accounts paying at `as_of` ranked by expected uplift = P(expansion) x the expansion an
    account of its MRR can expect (MRR x the median expansion, as a share of MRR, of accounts
    that expanded within the horizon before), each with the expansion score's drivers."""
    s = scoring(ledger, as_of, horizon)
    share = float(s.expansion_size.get("median_share_of_mrr", 0.0))
    p = s.fitted["expansion"].predict_proba(s.now)
    mrr = s.now["mrr_cents"].to_numpy(dtype=float)
    expected = np.rint(mrr * share).astype("int64")
    uplift = np.rint(p * mrr * share).astype("int64")
    order = np.argsort(-uplift, kind="stable")
    shown = order if top is None else order[:top]
    picked = s.now.iloc[shown]
    reasons = s.fitted["expansion"].explain(picked, drivers)
    owners = _owners(picked)
    accounts = [
        {
            "customer_id": s.now.at[i, "customer_id"],
            "owner": owners[n],
            "mrr": money(int(mrr[i])),
            "expansion_probability": float(p[i]),
            "expected_expansion": money(int(expected[i])),
            "expected_uplift": money(int(uplift[i])),
            "drivers": [d.text for d in reasons[n]],
        }
        for n, i in enumerate(shown)
    ]
    content = {
        "horizon_months": horizon,
        "model": _about(s.fitted["expansion"], s.about),
        "expansion_size": s.expansion_size,
        "accounts": accounts,
    }
    return _stamped(ledger, month_label(s.month), content, s.notes)


def _about(model: RiskModel, about: dict[str, Any]) -> dict[str, Any]:
    return {
        **about,
        "name": model.name,
        "calibration": model.calibration,
        "train_months": _span(*model.train_months_),
        "calibration_months": _span(*model.calibration_months_),
    }


def _owners(rows: pd.DataFrame) -> list[str | None]:
    if "attr_owner" not in rows.columns:
        return [None] * len(rows)
    return [_text(v) for v in rows["attr_owner"].tolist()]


def _stamped(
    ledger: Ledger, as_of: str | None, content: dict[str, Any], notes: tuple[str, ...]
) -> Prediction:
    return Prediction(
        as_of=as_of,
        definition=saved_models.definition_stamp(),
        currency=ledger.currency,
        content=content,
        warnings=notes,
    )


def _span(first: int, last: int) -> dict[str, str]:
    return {"from": month_label(first), "to": month_label(last)}


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def growth_drivers(
    ledger: Ledger, as_of: str | None = None, *, horizon: int = HORIZON
) -> Prediction:
    """Which features tell accounts that then expanded from those that contracted or churned:
    effect sizes with 95% intervals (see predict.drivers), for the accounts paying at the
    snapshot month (default: the latest whose outcome over the horizon is known)."""
    last = ledger.sources.horizon
    month = last - horizon if as_of is None else ledger.month(as_of)
    if month + horizon > last:
        raise ModelError(
            f"the outcome of {month_label(month)} is not known yet: give {arg('as_of')} "
            f"{month_label(last - horizon)} or earlier"
        )
    table = feature_table(feature_inputs(ledger), month, month, horizon=horizon)
    table = gd.outcomes(table)
    numeric, categorical = gd.feature_names(table)
    store = ledger.store
    totals = {
        r["outcome"]: int(r["accounts"])
        for r in store.to_arrow(gd.outcome_counts(table)).to_pylist()
    }
    numbers = gd.numbers(store.to_arrow(gd.number_moments(table, numeric)).to_pylist(), numeric)
    categories = gd.ranked(
        [
            row
            for c in categorical
            for row in gd.levels(c, store.to_arrow(gd.level_counts(table, c)).to_pylist(), totals)
        ]
    )
    content = {
        "horizon_months": horizon,
        "outcome_months": _span(month + 1, month + horizon),
        "accounts": {g: totals.get(g, 0) for g in ("expanded", "shrank", "steady")},
        "numbers": numbers,
        "categories": categories,
    }
    return _stamped(ledger, month_label(month), content, ())


def sampled_features(ledger: Ledger, last: int, *, horizon: int, customers: int) -> pd.DataFrame:
    """The feature frame up to month `last` for `customers` customers, picked in the engine
    before any feature is computed: training on a very large ledger without every
    customer-month in memory. The pick is the first customers in the order of their reversed
    id (its last characters vary fastest, so sequential ids spread over the whole range), not
    an engine's hash: the same customers every time, on every engine."""
    inputs = feature_inputs(ledger)
    sources = inputs.sources
    t = sources.customers
    total = int(ledger.store.to_arrow(t.aggregate(n=t.count())).to_pylist()[0]["n"])
    if customers < total:
        order = [t.customer_id.reverse(), t.customer_id]
        ranked = t.select("customer_id", _pick=ibis.row_number().over(order_by=order))
        ids = ranked.filter(ranked._pick < customers).customer_id

        def picked(table: ir.Table | None) -> ir.Table | None:
            return None if table is None else table.filter(table.customer_id.isin(ids))

        sources = dataclasses.replace(
            sources, customers=picked(sources.customers), movements=picked(sources.movements)
        )
        inputs = dataclasses.replace(
            inputs,
            sources=sources,
            subscriptions=picked(inputs.subscriptions),
            invoice_lines=picked(inputs.invoice_lines),
            usage_monthly=picked(inputs.usage_monthly),
        )
    expr = feature_table(inputs, sources.first_month, last, horizon=horizon)
    expr = expr.order_by(["month_index", "customer_id"])
    return ledger.store.to_arrow(expr).to_pandas()


def month_features(ledger: Ledger, month: int) -> pd.DataFrame:
    """The features of the customers paying at month `month` (no labels), for scoring: the
    same frame as `features(ledger, month, month, with_labels=False)`, as one query."""
    expr = snapshot_table(feature_inputs(ledger), month).order_by("customer_id")
    return ledger.store.to_arrow(expr).to_pandas()


def plan_fit(
    ledger: Ledger,
    as_of: str | None = None,
    *,
    over: float = pf.OVER,
    under: float = pf.UNDER,
    top: int | None = None,
) -> PlanFit:
    """Accounts over what their plan includes (upgrade) or far under it (right-size) at
    `as_of`, each with its evidence per metric; upgrades first, then by score."""
    month = ledger.month(as_of)
    rows = pf.evidence(feature_inputs(ledger), month)
    found = [] if rows is None else _rows(ledger, pf.candidates(rows, over=over, under=under))
    owners = _account_owners(ledger, sorted({r["customer_id"] for r in found}))
    accounts: dict[str, dict[str, Any]] = {}
    for r in sorted(found, key=lambda r: (r["customer_id"], r["metric"])):
        account = accounts.setdefault(r["customer_id"], _account(r, owners))
        account["evidence"].append(
            {
                "metric": r["metric"],
                "used": r["used"],
                "included": r["included"],
                "utilisation": r["utilisation"],
            }
        )
    ranked = sorted(accounts.values(), key=lambda a: (a["action"] != "upgrade", -a["score"]))
    for a in ranked:
        a["reason"] = pf.reason(a["action"], a["evidence"], over=over, under=under)
    return PlanFit(
        as_of=month_label(month),
        definition=saved_models.definition_stamp(),
        currency=ledger.currency,
        thresholds={"over": over, "under": under},
        accounts=tuple(ranked if top is None else ranked[:top]),
        warnings=tuple(ledger.warnings(month)),
    )


def _rows(ledger: Ledger, expr: Any) -> list[dict[str, Any]]:
    return ledger.store.to_arrow(expr).to_pylist()


def _account_owners(ledger: Ledger, ids: list[str]) -> dict[str, str | None]:
    """Each account's owner from the customers file's `owner` column (none without one)."""
    customers = ledger.store.table("customers")
    if "owner" not in customers.columns or not ids:
        return {}
    wanted = customers.filter(customers.customer_id.isin(ids)).select("customer_id", "owner")
    return {r["customer_id"]: _text(r["owner"]) for r in _rows(ledger, wanted)}


def _account(row: dict[str, Any], owners: dict[str, str | None]) -> dict[str, Any]:
    return {
        "customer_id": row["customer_id"],
        "owner": owners.get(row["customer_id"]),
        "plan": row["plan"],
        "mrr": money(int(row["mrr_cents"])),
        "action": row["action"],
        "score": round(float(row["score"]), 4),
        "evidence": [],
    }
