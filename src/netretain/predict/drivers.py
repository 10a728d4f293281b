"""What goes with growth: across accounts, which features tell those that expanded from those that
contracted or churned, as effect sizes with 95% intervals (issue 12, part 6).

One snapshot month M: every account paying at M, its features at M, and its net movement over
M+1..M+horizon (expansion minus contraction minus churn) putting it in `expanded` (> 0), `shrank`
(< 0) or `steady`. One snapshot keeps each account once, so the accounts are independent draws.

- numbers: the standardised mean difference (Cohen's d, pooled SD) between expanded and shrank,
  with the usual large-sample 95% interval, d ± 1.96·sqrt((n1+n2)/(n1·n2) + d²/(2(n1+n2)));
- categories (plan, attributes): per level, its share among the expanded minus its share among
  those that shrank, with Newcombe's hybrid Wilson-score 95% interval.

The engine aggregates (`outcome_counts`, `number_moments`, `level_counts`); the arithmetic on the
few rows that come back is below.
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import ibis.expr.types as ir

from netretain.predict.features import KEYS, moved_name

Z = 1.959963984540054
GROUPS = ("expanded", "shrank")


def outcomes(table: ir.Table) -> ir.Table:
    """The feature table with an `outcome` column: expanded, shrank or steady."""
    net = (
        table[moved_name("expansion")]
        - table[moved_name("contraction")]
        - table[moved_name("churn")]
    )
    outcome = ibis.cases((net > 0, "expanded"), (net < 0, "shrank"), else_="steady")
    return table.filter(table[moved_name("churn")].notnull()).mutate(outcome=outcome)


def feature_names(table: ir.Table) -> tuple[list[str], list[str]]:
    """(numeric, categorical) feature columns of a feature table."""
    skip = {*KEYS, "outcome"}
    cols = [c for c in table.columns if c not in skip and not c.startswith(("label_", "moved_"))]
    schema = table.schema()
    numeric = [c for c in cols if schema[c].is_numeric() and not schema[c].is_boolean()]
    return numeric, [c for c in cols if c not in numeric]


def outcome_counts(table: ir.Table) -> ir.Table:
    """Accounts per outcome."""
    return table.group_by("outcome").aggregate(accounts=table.count())


def number_moments(table: ir.Table, numeric: list[str]) -> ir.Table:
    """Per outcome and numeric feature: how many have a value, its mean and sample variance."""
    t = table.filter(table.outcome != "steady")
    aggs: dict[str, Any] = {}
    for c in numeric:
        x = t[c].cast("float64")
        aggs[f"{c}__n"] = x.count()
        aggs[f"{c}__mean"] = x.mean()
        aggs[f"{c}__var"] = x.var(how="sample")
    return t.group_by("outcome").aggregate(**aggs)


def level_counts(table: ir.Table, column: str) -> ir.Table:
    """Per outcome and level of one categorical feature: how many accounts (empty: '(none)')."""
    t = table.filter(table.outcome != "steady")
    level = t[column].cast("string").fill_null("(none)")
    return t.group_by(["outcome", level.name("level")]).aggregate(accounts=t.count())


def smd(n1: int, m1: float, v1: float, n2: int, m2: float, v2: float) -> dict[str, Any] | None:
    """Cohen's d of group 1 over group 2 with its 95% interval; None when it is undefined."""
    if n1 < 2 or n2 < 2:
        return None
    pooled = ((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2)
    if not pooled > 0:
        return None
    d = (m1 - m2) / math.sqrt(pooled)
    se = math.sqrt((n1 + n2) / (n1 * n2) + d * d / (2 * (n1 + n2)))
    return {"effect": d, "low": d - Z * se, "high": d + Z * se}


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion k/n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def newcombe(k1: int, n1: int, k2: int, n2: int) -> dict[str, Any]:
    """p1 - p2 with Newcombe's hybrid score 95% interval (his method 10)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1)
    l2, u2 = wilson(k2, n2)
    d = p1 - p2
    return {
        "effect": d,
        "low": d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        "high": d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    }


def numbers(moments: list[dict[str, Any]], numeric: list[str]) -> list[dict[str, Any]]:
    """One row per numeric feature: each group's mean and the SMD (expanded vs shrank)."""
    by = {r["outcome"]: r for r in moments}
    if not all(g in by for g in GROUPS):
        return []
    out = []
    for c in numeric:
        e, s = by["expanded"], by["shrank"]
        n1, n2 = int(e[f"{c}__n"] or 0), int(s[f"{c}__n"] or 0)
        stats = smd(n1, e[f"{c}__mean"], e[f"{c}__var"], n2, s[f"{c}__mean"], s[f"{c}__var"])
        if stats is None:
            continue
        out.append(
            {
                "feature": c,
                "measure": "standardised_mean_difference",
                **stats,
                "expanded_mean": e[f"{c}__mean"],
                "shrank_mean": s[f"{c}__mean"],
                "expanded_accounts": n1,
                "shrank_accounts": n2,
            }
        )
    return ranked(out)


def levels(column: str, counts: list[dict[str, Any]], totals: dict[str, int]) -> list[dict]:
    """One row per level of a categorical feature: share among expanded minus among shrank."""
    n1, n2 = totals.get("expanded", 0), totals.get("shrank", 0)
    if not n1 or not n2:
        return []
    found: dict[str, dict[str, int]] = {}
    for r in counts:
        found.setdefault(r["level"], {})[r["outcome"]] = int(r["accounts"])
    return [
        {
            "feature": column,
            "level": level,
            "measure": "difference_in_share",
            **newcombe(k.get("expanded", 0), n1, k.get("shrank", 0), n2),
            "expanded_accounts": k.get("expanded", 0),
            "shrank_accounts": k.get("shrank", 0),
        }
        for level, k in sorted(found.items())
    ]


def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Clear effects first (interval away from 0), then by size of effect."""
    return sorted(rows, key=lambda r: (not (r["low"] > 0 or r["high"] < 0), -abs(r["effect"])))
