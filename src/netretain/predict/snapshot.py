"""The feature table at one month, computed for scoring: the same rows and values as
`features.feature_table(inputs, M, M, with_labels=False)`, as one query that reads each table
once and holds no window over the history.

`feature_table` computes every MRR window over the whole history and joins every block to a
spine of customer-months. At one month M each block is instead one aggregate per customer,
left-joined to the customers paying at M: the MRR block is one pass over the movements up to M
(the movements table is dense, a row for every month from a customer's first to the month after
their last payment, so the MRR k months back is the row of month M-k and needs no lag window),
the contract block one pass over the terms in force at M (which also gives the usage block its
seats and allowances), the usage block one pass over the usage up to M.
tests/predict/test_snapshot.py holds the two equal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import ibis
import ibis.expr.types as ir

from netretain.core.arith import month_label, ratio
from netretain.predict import features as f
from netretain.predict import usage as u


def mrr_snapshot(inputs: f.FeatureInputs, month: int) -> ir.Table:
    """`features.mrr_block` at month M alone, for the customers paying at M."""
    moves = f.history(inputs.sources, month)
    moved = (moves.expansion + moves.contraction + moves.new + moves.reactivation) > 0

    def at(back: int) -> ir.IntegerValue:
        """The MRR `back` months before M (0 before the customer's first month)."""
        return ibis.ifelse(moves.month_index == month - back, moves.mrr_cents, 0).sum()

    per = moves.group_by("customer_id").aggregate(
        _first=moves.month_index.min(),
        _moved_at=ibis.ifelse(moved, moves.month_index, None).max(),
        _now=at(0).cast("int64"),
        **{f"_lag{k}": at(k).cast("int64") for k in f.LAGS},
        expansions=f._flag(moves.expansion > 0).sum().cast("int64"),
        contractions=f._flag(moves.contraction > 0).sum().cast("int64"),
        reactivations=f._flag(moves.reactivation > 0).sum().cast("int64"),
        expansion_cents=moves.expansion.sum().cast("int64"),
        contraction_cents=moves.contraction.sum().cast("int64"),
    )
    t = per.filter(per._now > 0)
    m = ibis.literal(month, "int64")
    return t.select(
        "customer_id",
        month_index=m,
        tenure_months=(m - t._first).cast("int64"),
        mrr_cents=t._now,
        **{f"mrr_change_{k}m": (t._now - t[f"_lag{k}"]).cast("int64") for k in f.LAGS},
        **{f"mrr_growth_{k}m": ratio(t._now - t[f"_lag{k}"], t[f"_lag{k}"]) for k in f.LAGS},
        expansions=t.expansions,
        contractions=t.contractions,
        reactivations=t.reactivations,
        expansion_cents=t.expansion_cents,
        contraction_cents=t.contraction_cents,
        months_since_last_movement=(m - t._moved_at).cast("int64"),
    )


def in_force(inputs: f.FeatureInputs, month: int) -> f.FeatureInputs:
    """The inputs with only the invoice lines and subscriptions in force at M, compared as dates
    (in force: started by the end of M, ending after it), so the engine drops the rest before
    any month arithmetic and may skip whole blocks of rows by their min/max dates."""
    after = ibis.literal(dt.date.fromisoformat(f"{month_label(month + 1)}-01"))
    lines, subs = inputs.invoice_lines, inputs.subscriptions
    if lines is not None:
        lines = lines.filter((lines.service_start < after) & (lines.service_end >= after))
    if subs is not None:
        ends = subs.end_date.isnull() | (subs.end_date >= after)
        subs = subs.filter((subs.start_date < after) & ends)
    return dataclasses.replace(inputs, invoice_lines=lines, subscriptions=subs)


def terms_at(inputs: f.FeatureInputs, month: int) -> ir.Table | None:
    """Per customer with billing terms in force at M: the contract block's columns (interval,
    months to renewal, the plan of the largest term) and the usage block's seats and allowances
    (`_units`, `_allow<i>`); None without billing terms."""
    terms = f.billing_terms(in_force(inputs, month))
    if terms is None:
        return None
    t = terms.filter((terms.first <= month) & (terms.last.isnull() | (terms.last >= month)))
    t = t.mutate(
        _to_renewal=(t.interval - (month - t.renewal_base) % t.interval).cast("int64"),
        _rank=ibis.row_number().over(
            group_by="customer_id", order_by=[t.cents.desc(), t.plan.asc(nulls_first=False)]
        ),
    )
    t, sums = u.allowance_columns(t, inputs.plans, inputs.usage_metrics)
    return t.group_by("customer_id").aggregate(
        billing_interval_months=t.interval.max(),
        months_to_renewal=t._to_renewal.min(),
        plan=ibis.ifelse(t._rank == 0, t.plan, ibis.null("string")).max(),
        **sums,
    )


def attributes(inputs: f.FeatureInputs) -> ir.Table | None:
    """Every descriptive customer column as text, prefixed `attr_` (as `attribute_block`)."""
    customers = inputs.sources.customers
    names = [c for c in customers.columns if c not in f.NOT_ATTRIBUTES]
    if not names:
        return None
    return customers.select(
        "customer_id", **{f.ATTRIBUTE_PREFIX + n: customers[n].cast("string") for n in names}
    )


def snapshot_table(inputs: f.FeatureInputs, month: int) -> ir.Table:
    """Every feature of the customers paying at the end of month M (no labels), in the feature
    table's column order: MRR, contract, attributes, usage."""
    t = mrr_snapshot(inputs, month)
    names = list(t.columns)
    terms = terms_at(inputs, month)
    if terms is not None:
        terms = terms.rename(_tc="customer_id")
        t = t.left_join(terms, t.customer_id == terms._tc)
        names += ["billing_interval_months", "months_to_renewal", "plan"]
    attrs = attributes(inputs)
    if attrs is not None:
        attrs = attrs.rename(_ac="customer_id")
        t = t.left_join(attrs, t.customer_id == attrs._ac)
        names += [c for c in attrs.columns if c != "_ac"]
    metrics = inputs.usage_metrics
    if inputs.usage_monthly is None or not metrics:
        return t.select(*names)
    used = u.month_usage(inputs.usage_monthly, month, metrics).rename(_uc="customer_id")
    t = t.left_join(used, t.customer_id == used._uc)
    inner = [c for c in t.columns if c.startswith(("_now", "_recent", "_before"))]
    t = t.select(
        *names,
        *[c for c in t.columns if c.startswith(("_units", "_allow")) or c == "_last"],
        **{c: t[c].fill_null(0.0) for c in inner},
    )
    return t.select(*names, **u.usage_columns(t, metrics, allowance=terms is not None))
