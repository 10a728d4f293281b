"""The feature table at one month, computed for scoring: the same rows and values as
`features.feature_table(inputs, M, M, with_labels=False)`, cheaper on a large ledger.

Scoring with a saved model needs one month's features, but `feature_table` computes every MRR
window over the whole history and joins every billing term to every snapshot. Here the running
counts are one aggregate per customer, only the lags use a window, and only the terms in force
at M reach the join. tests/predict/test_snapshot.py holds the two equal.
"""

from __future__ import annotations

import dataclasses

import ibis
import ibis.expr.types as ir

from netretain.core.arith import month_index, ratio
from netretain.predict import features as f


def mrr_snapshot(inputs: f.FeatureInputs, month: int) -> ir.Table:
    """`features.mrr_block` at month M alone, for the customers paying at M."""
    moves = f.history(inputs.sources, month)
    moved = (moves.expansion + moves.contraction + moves.new + moves.reactivation) > 0
    running = moves.group_by("customer_id").aggregate(
        _first=moves.month_index.min(),
        _moved_at=ibis.ifelse(moved, moves.month_index, None).max(),
        expansions=f._flag(moves.expansion > 0).sum().cast("int64"),
        contractions=f._flag(moves.contraction > 0).sum().cast("int64"),
        reactivations=f._flag(moves.reactivation > 0).sum().cast("int64"),
        expansion_cents=moves.expansion.sum().cast("int64"),
        contraction_cents=moves.contraction.sum().cast("int64"),
    )
    ordered = ibis.window(group_by="customer_id", order_by="month_index")
    lags = moves.mutate(
        **{
            f"_lag{k}": moves.mrr_cents.lag(k).over(ordered).fill_null(0).cast("int64")
            for k in f.LAGS
        }
    )
    now = lags.filter((lags.month_index == month) & (lags.mrr_cents > 0))
    running = running.rename(_customer="customer_id")
    t = now.join(running, now.customer_id == running._customer)
    return t.select(
        *f.KEYS,
        tenure_months=(t.month_index - t._first).cast("int64"),
        mrr_cents=t.mrr_cents,
        **{f"mrr_change_{k}m": (t.mrr_cents - t[f"_lag{k}"]).cast("int64") for k in f.LAGS},
        **{f"mrr_growth_{k}m": ratio(t.mrr_cents - t[f"_lag{k}"], t[f"_lag{k}"]) for k in f.LAGS},
        expansions=t.expansions,
        contractions=t.contractions,
        reactivations=t.reactivations,
        expansion_cents=t.expansion_cents,
        contraction_cents=t.contraction_cents,
        months_since_last_movement=(t.month_index - t._moved_at).cast("int64"),
    )


def in_force(inputs: f.FeatureInputs, month: int) -> f.FeatureInputs:
    """The inputs with only the billing terms in force at M (the only ones a month-M snapshot
    joins to), so the contract block joins a month's terms, not the whole history."""
    lines, subs = inputs.invoice_lines, inputs.subscriptions
    if lines is not None:
        start, end = month_index(lines.service_start), month_index(lines.service_end)
        lines = lines.filter((start <= month) & (end - 1 >= month))
    if subs is not None:
        start, end = month_index(subs.start_date), month_index(subs.end_date)
        subs = subs.filter((start <= month) & (subs.end_date.isnull() | (end - 1 >= month)))
    return dataclasses.replace(inputs, invoice_lines=lines, subscriptions=subs)


def snapshot_table(inputs: f.FeatureInputs, month: int, base: ir.Table | None = None) -> ir.Table:
    """Every feature of the customers paying at the end of month M (no labels). `base` is
    `mrr_snapshot(inputs, month)`, which the service may materialise first: every block joins
    to it, and an engine may otherwise compute it once per join."""
    base = mrr_snapshot(inputs, month) if base is None else base
    t = base
    for block in f.BLOCKS:
        part = block(in_force(inputs, month) if block is f.contract_block else inputs, base)
        if part is None:
            continue
        extra = [c for c in part.columns if c not in f.KEYS]
        part = part.rename(**{f"_k_{k}": k for k in f.KEYS})
        j = t.left_join(
            part, (t.customer_id == part._k_customer_id) & (t.month_index == part._k_month_index)
        )
        t = j.select(*t.columns, *extra)
    return t
