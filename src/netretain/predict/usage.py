"""Usage features per customer at each month-end M, from `usage_monthly`, months <= M only.

Per metric: the quantity in M (`usage_<metric>`), its 3-month trend (the last three months' mean
over the three before, minus 1), utilisation (the quantity over what the terms in force at M
include: the plan's allowance per seat times the seats, or the seats when the plan names no
allowance for the metric); and, across metrics, the months since the last month with any usage.
Set-based: usage is shifted forward 0..5 months and joined on (customer, month) equality.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from netretain.core.arith import ratio

KEYS = ("customer_id", "month_index")
WINDOW = 6  # months M-5..M feed the level and the trend


def usage_name(metric: str, what: str = "") -> str:
    """The feature column of a metric: usage_api_calls, usage_api_calls_trend_3m, ..."""
    return f"usage_{metric}{'_' + what if what else ''}"


def utilisation_name(metric: str) -> str:
    """The utilisation column of a metric: utilisation_seats_active."""
    return f"utilisation_{metric}"


def _wide(usage: ir.Table, metrics: tuple[str, ...]) -> ir.Table:
    """One row per customer and month, one quantity column per metric (0 when none)."""
    return usage.group_by(list(KEYS)).aggregate(
        **{
            f"_q{i}": ibis.ifelse(usage.metric == m, usage.quantity, 0.0).sum().cast("float64")
            for i, m in enumerate(metrics)
        }
    )


def _recent(wide: ir.Table, spine: ir.Table, metrics: tuple[str, ...]) -> ir.Table:
    """Per spine row and metric: quantity at M, mean of M-2..M, mean of M-5..M-3."""
    shifted = ibis.union(
        *(
            wide.select(
                _c="customer_id",
                _m=(wide.month_index + k).cast("int64"),
                _k=ibis.literal(k, "int64"),
                **{f"_q{i}": wide[f"_q{i}"] for i in range(len(metrics))},
            )
            for k in range(WINDOW)
        ),
        distinct=False,
    )
    at = spine.select(*KEYS)
    j = at.left_join(shifted, (at.customer_id == shifted._c) & (at.month_index == shifted._m))
    out = {}
    for i in range(len(metrics)):
        q = j[f"_q{i}"].fill_null(0.0)
        out[f"_now{i}"] = ibis.ifelse(j._k == 0, q, 0.0).sum()
        out[f"_recent{i}"] = ibis.ifelse(j._k < 3, q, 0.0).sum() / 3
        out[f"_before{i}"] = ibis.ifelse(j._k >= 3, q, 0.0).sum() / 3
    return j.group_by(list(KEYS)).aggregate(**out)


def _allowances(
    terms: ir.Table | None, plans: ir.Table | None, spine: ir.Table, metrics: tuple[str, ...]
) -> ir.Table | None:
    """Per spine row: seats in force (`_units`) and each metric's allowance (`_allow<i>`)."""
    if terms is None:
        return None
    at = spine.select(*KEYS)
    t = terms.rename(_tc="customer_id")
    j = at.join(
        t,
        (at.customer_id == t._tc)
        & (t.first <= at.month_index)
        & (t.last.isnull() | (t.last >= at.month_index)),
    )
    j, sums = allowance_columns(j, plans, metrics)
    return j.group_by(list(KEYS)).aggregate(**sums)


def _last_active(wide: ir.Table, spine: ir.Table, metrics: tuple[str, ...]) -> ir.Table:
    """Per spine row: the latest month <= M with any usage (null if none yet)."""
    any_use = ibis.or_(*(wide[f"_q{i}"] > 0 for i in range(len(metrics))))
    active = wide.filter(any_use).select(*KEYS, _act=wide.month_index)
    rows = spine.select(*KEYS, _act=ibis.null("int64"))
    both = ibis.union(active, rows, distinct=False)
    per_month = both.group_by(list(KEYS)).aggregate(_act=both._act.max())
    running = ibis.cumulative_window(group_by="customer_id", order_by="month_index")
    marked = per_month.mutate(_last=per_month._act.max().over(running))
    return marked.select(*KEYS, "_last")


def usage_features(
    usage: ir.Table,
    spine: ir.Table,
    metrics: tuple[str, ...],
    *,
    terms: ir.Table | None = None,
    plans: ir.Table | None = None,
) -> ir.Table:
    """The usage block: level, trend and utilisation per metric, months since last activity."""
    last = spine.month_index.max()
    wide = _wide(usage.filter(usage.month_index <= last), metrics)
    recent = _recent(wide, spine, metrics)
    active = _last_active(wide, spine, metrics).rename(_ac="customer_id", _am="month_index")
    t = recent.left_join(
        active, (recent.customer_id == active._ac) & (recent.month_index == active._am)
    )
    allow = _allowances(terms, plans, spine, metrics)
    if allow is not None:
        allow = allow.rename(_uc="customer_id", _um="month_index")
        t = t.left_join(allow, (t.customer_id == allow._uc) & (t.month_index == allow._um))
    return t.select(*KEYS, **usage_columns(t, metrics, allowance=allow is not None))


def usage_columns(t: ir.Table, metrics: tuple[str, ...], *, allowance: bool) -> dict[str, ir.Value]:
    """The usage block's columns from a table holding, per row, `month_index`, `_now<i>`,
    `_recent<i>`, `_before<i>`, `_last` and, with an `allowance`, `_units` (and `_allow<i>`)."""
    columns: dict[str, ir.Value] = {}
    for i, m in enumerate(metrics):
        now = t[f"_now{i}"]
        columns[usage_name(m)] = now
        columns[usage_name(m, "trend_3m")] = ratio(
            t[f"_recent{i}"] - t[f"_before{i}"], t[f"_before{i}"]
        )
        if allowance:
            base = t[f"_allow{i}"] if f"_allow{i}" in t.columns else ibis.null("float64")
            base = ibis.ifelse(base.notnull() & (base > 0), base, t._units)
            columns[utilisation_name(m)] = ratio(now, base)
    columns["months_since_activity"] = (t.month_index - t._last).cast("int64")
    return columns


def month_usage(usage: ir.Table, month: int, metrics: tuple[str, ...]) -> ir.Table:
    """Per customer with usage up to month M: `_now<i>`, `_recent<i>`, `_before<i>` and `_last`
    as `usage_features` computes them at M, in one aggregate (no spine, no shifted copies)."""
    wide = _wide(usage.filter(usage.month_index <= month), metrics)
    age = month - wide.month_index
    any_use = ibis.or_(*(wide[f"_q{i}"] > 0 for i in range(len(metrics))))
    out: dict[str, ir.Value] = {"_last": ibis.ifelse(any_use, wide.month_index, None).max()}
    for i in range(len(metrics)):
        q = wide[f"_q{i}"]
        out[f"_now{i}"] = ibis.ifelse(age == 0, q, 0.0).sum()
        out[f"_recent{i}"] = ibis.ifelse(age < 3, q, 0.0).sum() / 3
        out[f"_before{i}"] = ibis.ifelse((age >= 3) & (age < WINDOW), q, 0.0).sum() / 3
    return wide.group_by("customer_id").aggregate(**out)


def allowance_columns(
    terms: ir.Table, plans: ir.Table | None, metrics: tuple[str, ...]
) -> tuple[ir.Table, dict[str, ir.Value]]:
    """`terms` joined to each metric's plan allowance, and the aggregates `_allowances` takes
    per row of it: the seats (`_units`) and each metric's allowance (`_allow<i>`)."""
    j = terms
    if plans is not None:
        for i, m in enumerate(metrics):
            p = plans.filter(plans.metric == m).select(_pp="plan", _inc="included_quantity")
            j = j.left_join(p, j.plan == p._pp).drop("_pp").rename(**{f"_inc{i}": "_inc"})
    units = j.units.fill_null(1).cast("float64")
    allow: dict[str, ir.Value] = {}
    if plans is not None:
        allow = {f"_allow{i}": (j[f"_inc{i}"] * units).sum() for i in range(len(metrics))}
    return j, {"_units": units.sum(), **allow}
