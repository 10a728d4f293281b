"""Result records of the prediction commands, stamped like every other result.

Their bodies vary by command (a backtest's models, a risk list's accounts...), so a `Prediction`
carries its body as a dict after the stamp: `as_of`, `definition`, `currency`, body, `warnings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netretain.core.results import Stamped, jsonable


@dataclass(frozen=True, kw_only=True)
class Prediction(Stamped):
    """A prediction command's result: what it is as of, its stamp, its fields, its warnings."""

    as_of: str | None
    content: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {k: jsonable(v) for k, v in self.content.items()}


@dataclass(frozen=True, kw_only=True)
class PlanFit(Stamped):
    """plan-fit's result: the accounts over (upgrade) or far under (right-size) what their plan
    includes at `as_of`, each with its evidence per metric, and the thresholds that chose them."""

    as_of: str
    thresholds: dict[str, float]
    accounts: tuple[dict[str, Any], ...] = ()

    def body(self) -> dict[str, Any]:
        return {"thresholds": dict(self.thresholds), "accounts": [dict(a) for a in self.accounts]}


CRM_SCORES = {
    "risk": ("churn_probability", "expected_mrr_at_risk"),
    "expansion": (
        "expansion_probability",
        "expected_uplift",
    ),
}


def crm_rows(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """A risk or expansion list's accounts shaped for a CRM import: account_id, owner, score
    (the probability, 4 decimals), the expected amount, and the drivers as one reason."""
    score, amount = CRM_SCORES[kind]
    return [
        {
            "account_id": a["customer_id"],
            "owner": a.get("owner"),
            "score": round(a[score], 4),
            amount: a[amount],
            "reason": "; ".join(a["drivers"]),
        }
        for a in result["accounts"]
    ]
