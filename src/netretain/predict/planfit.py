"""Plan fit: accounts using more than their plan includes (upgrade) or far less (right-size).

For each account paying at month M and each metric its plan names an allowance for (the `plans`
input), `used` is the mean monthly usage over M-2..M (one month's blip decides nothing), and
`included` the allowance of the terms in force at M: the plan's included quantity per seat times
the seats. Utilisation = used / included. An account over `over` (default 1.0) on any metric is
an upgrade candidate; otherwise one under `under` (default 0.25) on any metric should be
right-sized before it churns. Built as expressions; only the candidates come back.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from netretain.core.arith import ratio
from netretain.predict.features import FeatureInputs, billing_terms, history

OVER = 1.0
UNDER = 0.25
MONTHS = 3  # usage is averaged over M-2..M


def evidence(inputs: FeatureInputs, month: int) -> ir.Table | None:
    """(customer_id, plan, mrr_cents, metric, used, included, utilisation) per paying account
    and metric with an allowance at `month`; None without usage, plans or billing terms."""
    terms = billing_terms(inputs)
    if inputs.usage_monthly is None or inputs.plans is None or terms is None:
        return None
    moves = history(inputs.sources, month)
    paying = moves.filter((moves.month_index == month) & (moves.mrr_cents > 0))
    paying = paying.select(_pc="customer_id", mrr_cents="mrr_cents")
    t = terms.filter((terms.first <= month) & (terms.last.isnull() | (terms.last >= month)))
    t = t.join(paying, t.customer_id == paying._pc)
    plans = inputs.plans.select(_plan="plan", metric="metric", _inc="included_quantity")
    t = t.join(plans, t.plan == plans._plan)
    seats = t.units.fill_null(1).cast("float64")
    ranked = t.mutate(
        _rank=ibis.row_number().over(
            group_by=["customer_id", "metric"], order_by=[t.cents.desc(), t.plan.asc()]
        )
    )
    allowed = ranked.group_by(["customer_id", "metric"]).aggregate(
        included=(ranked._inc.cast("float64") * seats).sum(),
        plan=ranked.plan.first(where=ranked._rank == 0),
        mrr_cents=ranked.mrr_cents.max(),
    )
    usage = inputs.usage_monthly
    recent = usage.filter(
        (usage.month_index <= month) & (usage.month_index > month - MONTHS)
    ).select(_uc="customer_id", _um="metric", quantity="quantity")
    used = recent.group_by(["_uc", "_um"]).aggregate(used=recent.quantity.sum() / MONTHS)
    j = allowed.left_join(used, (allowed.customer_id == used._uc) & (allowed.metric == used._um))
    return j.select(
        "customer_id",
        "plan",
        "mrr_cents",
        "metric",
        used=j.used.fill_null(0.0),
        included=j.included,
        utilisation=ratio(j.used.fill_null(0.0), j.included),
    )


def candidates(rows: ir.Table, *, over: float = OVER, under: float = UNDER) -> ir.Table:
    """Every evidence row of the accounts that are over (`action` upgrade) or, if not, under
    (right-size) on some metric, with the account's `score` (its highest utilisation for an
    upgrade, 1 - its lowest for a right-size)."""
    per = rows.group_by("customer_id").aggregate(
        _hi=rows.utilisation.max(), _lo=rows.utilisation.min()
    )
    action = ibis.cases(
        (per._hi > over, "upgrade"), (per._lo < under, "right-size"), else_=ibis.null("string")
    )
    score = ibis.ifelse(per._hi > over, per._hi, 1 - per._lo)
    per = per.select(_ac="customer_id", action=action, score=score)
    j = rows.join(per.filter(per.action.notnull()), rows.customer_id == per._ac)
    return j.select(*rows.columns, "action", "score")


def reason(action: str, evidence: list[dict[str, Any]], *, over: float, under: float) -> str:
    """The evidence in words: "api_calls: used 12,400 a month of 10,000 included (124%)"."""
    if action == "upgrade":
        shown = [e for e in evidence if e["utilisation"] is not None and e["utilisation"] > over]
        lead = "uses more than the plan includes: offer a larger plan"
    else:
        shown = [e for e in evidence if e["utilisation"] is not None and e["utilisation"] < under]
        lead = "uses little of what the plan includes: right-size before it churns"
    parts = [
        f"{e['metric']}: used {e['used']:,.0f} a month of {e['included']:,.0f} included "
        f"({e['utilisation']:.0%})"
        for e in shown
    ]
    return f"{lead}; " + "; ".join(parts)
