"""The service side of account intelligence: build the feature frame in the engine, fit and
score the models in `netretain.predict` on it. `Ledger` delegates its prediction methods here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from netretain.core.arith import month_label
from netretain.core.results import money
from netretain.predict import backtest as bt
from netretain.predict import planfit as pf
from netretain.predict.features import HORIZON, TARGETS, FeatureInputs, feature_table
from netretain.predict.models import RiskModel
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
) -> dict[str, Any]:
    """Both models on every target, fitted before the cut month and scored from it on."""
    frame = features(ledger, horizon=horizon)
    cut_index = None if cut is None else ledger.month(cut)
    result = bt.backtest(frame, cut=cut_index, horizon=horizon, shuffle_labels=shuffle_labels)
    return {"currency": ledger.currency, **result}


def risk(
    ledger: Ledger,
    as_of: str | None = None,
    *,
    horizon: int = HORIZON,
    top: int | None = 20,
    drivers: int = 3,
) -> dict[str, Any]:
    """Accounts paying at `as_of`, ranked by expected MRR at risk (P(churn) x MRR), with the
    probabilities of each target and the churn score's drivers. Fitted on outcomes known by
    `as_of` only (snapshots M with M + horizon <= as_of)."""
    month = ledger.month(as_of)
    frame = features(ledger, last=month, horizon=horizon)
    train = frame[frame["month_index"] + horizon <= month]
    now = frame[frame["month_index"] == month].reset_index(drop=True)
    fitted = {t: RiskModel(t).fit(train) for t in TARGETS}
    probs = {t: m.predict_proba(now) for t, m in fitted.items()}
    at_risk = np.rint(probs["churn"] * now["mrr_cents"].to_numpy(dtype=float)).astype("int64")
    order = np.argsort(-at_risk, kind="stable")
    shown = order if top is None else order[:top]
    picked = now.iloc[shown]
    reasons = fitted["churn"].explain(picked, drivers)
    owners = picked["attr_owner"].tolist() if "attr_owner" in picked.columns else None
    accounts = []
    for n, i in enumerate(shown):
        accounts.append(
            {
                "customer_id": now.at[i, "customer_id"],
                "owner": None if owners is None else _text(owners[n]),
                "mrr": money(int(now.at[i, "mrr_cents"])),
                "expected_mrr_at_risk": money(int(at_risk[i])),
                **{f"{t}_probability": float(probs[t][i]) for t in TARGETS},
                "drivers": [d.text for d in reasons[n]],
            }
        )
    model = fitted["churn"]
    return {
        "as_of": month_label(month),
        "currency": ledger.currency,
        "horizon_months": horizon,
        "model": {
            "name": model.name,
            "calibration": model.calibration,
            "train_months": _span(*model.train_months_),
            "calibration_months": _span(*model.calibration_months_),
        },
        "accounts": accounts,
    }


def _span(first: int, last: int) -> dict[str, str]:
    return {"from": month_label(first), "to": month_label(last)}


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def plan_fit(
    ledger: Ledger,
    as_of: str | None = None,
    *,
    over: float = pf.OVER,
    under: float = pf.UNDER,
    top: int | None = None,
) -> dict[str, Any]:
    """Accounts over what their plan includes (upgrade) or far under it (right-size) at
    `as_of`, each with its evidence per metric; upgrades first, then by score."""
    month = ledger.month(as_of)
    rows = pf.evidence(feature_inputs(ledger), month)
    found = [] if rows is None else _rows(ledger, pf.candidates(rows, over=over, under=under))
    owners = _owners(ledger, sorted({r["customer_id"] for r in found}))
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
    return {
        "as_of": month_label(month),
        "currency": ledger.currency,
        "thresholds": {"over": over, "under": under},
        "accounts": ranked if top is None else ranked[:top],
    }


def _rows(ledger: Ledger, expr: Any) -> list[dict[str, Any]]:
    return ledger.store.to_arrow(expr).to_pylist()


def _owners(ledger: Ledger, ids: list[str]) -> dict[str, str | None]:
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
