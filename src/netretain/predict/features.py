"""Account features per customer at each month-end, and what happened next (the labels).

One row per customer paying at the end of a snapshot month M (`month_index`), computed in the
engine from the ledger's tables. Every feature reads months <= M only: MRR lags and running
movement counts look back along the dense `movements` table, contract terms come from lines
already in force at M (a subscription's renewal from its start and interval, never from its
end date, which may record a later churn). Labels look forward `horizon` months and are null
when the ledger does not reach that far yet.

Blocks are functions (FeatureInputs, spine) -> table keyed by customer_id and month_index;
`BLOCKS` lists them. The usage block (usage level and trend per metric, utilisation, months
since last activity) reads `usage_monthly` (customer_id, month_index, metric, quantity): see
`predict.usage`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from netretain.core.arith import month_index, ratio
from netretain.core.monthly import Sources
from netretain.errors import LedgerError
from netretain.predict.usage import usage_features

KEYS = ("customer_id", "month_index")
TARGETS = ("churn", "contraction", "expansion")
HORIZON = 3
LAGS = (3, 6, 12)
NOT_ATTRIBUTES = ("customer_id", "name", "parent_id", "signup_date")
ATTRIBUTE_PREFIX = "attr_"


@dataclass(frozen=True)
class FeatureInputs:
    """What the features read: the ledger's Sources and two inputs the Sources do not keep.

    `subscriptions` and `invoice_lines` (the accepted input rows) give billing intervals and
    renewal dates; `usage_monthly` and `plans` feed the usage features of `usage_metrics` (the
    metrics the ledger has seen, sorted: their names become columns, so the service lists them).
    """

    sources: Sources
    subscriptions: ir.Table | None = None
    invoice_lines: ir.Table | None = None
    usage_monthly: ir.Table | None = None
    plans: ir.Table | None = None
    usage_metrics: tuple[str, ...] = ()


Block = Callable[[FeatureInputs, ir.Table], ir.Table | None]


def label_name(target: str) -> str:
    """The 0/1 column that says whether `target` happened within the horizon."""
    return f"label_{target}"


def moved_name(target: str) -> str:
    """The cents that moved as `target` within the horizon (churned MRR for churn)."""
    return f"moved_{target}"


def _flag(condition: ir.BooleanValue) -> ir.IntegerValue:
    """1 or 0 (PostgreSQL casts no boolean to bigint)."""
    return ibis.ifelse(condition, 1, 0).cast("int64")


def history(sources: Sources, last: int) -> ir.Table:
    """The dense movements table up to month `last`: the only rows features may read."""
    moves = sources.movements
    if moves is None:
        raise LedgerError("features need the ledger's stored movements table")
    return moves.filter(moves.month_index <= last)


def mrr_block(inputs: FeatureInputs, spine: ir.Table) -> ir.Table:
    """Tenure, MRR, its 3/6/12-month change (cents and growth), running movement counts."""
    moves = spine
    ordered = ibis.window(group_by="customer_id", order_by="month_index")
    running = ibis.cumulative_window(group_by="customer_id", order_by="month_index")
    moved = (moves.expansion + moves.contraction + moves.new + moves.reactivation) > 0
    t = moves.mutate(
        _first=moves.month_index.min().over(running),
        _moved_at=ibis.ifelse(moved, moves.month_index, None).max().over(running),
        **{
            f"_lag{k}": moves.mrr_cents.lag(k).over(ordered).fill_null(0).cast("int64")
            for k in LAGS
        },
        expansions=_flag(moves.expansion > 0).sum().over(running),
        contractions=_flag(moves.contraction > 0).sum().over(running),
        reactivations=_flag(moves.reactivation > 0).sum().over(running),
        expansion_cents=moves.expansion.sum().over(running),
        contraction_cents=moves.contraction.sum().over(running),
    )
    return t.select(
        *KEYS,
        tenure_months=(t.month_index - t._first).cast("int64"),
        mrr_cents=t.mrr_cents,
        **{f"mrr_change_{k}m": (t.mrr_cents - t[f"_lag{k}"]).cast("int64") for k in LAGS},
        **{f"mrr_growth_{k}m": ratio(t.mrr_cents - t[f"_lag{k}"], t[f"_lag{k}"]) for k in LAGS},
        expansions=t.expansions.cast("int64"),
        contractions=t.contractions.cast("int64"),
        reactivations=t.reactivations.cast("int64"),
        expansion_cents=t.expansion_cents.cast("int64"),
        contraction_cents=t.contraction_cents.cast("int64"),
        months_since_last_movement=(t.month_index - t._moved_at).cast("int64"),
    )


def billing_terms(inputs: FeatureInputs) -> ir.Table | None:
    """Subscription terms as (customer_id, first, last, interval, renewal_base, plan, cents,
    units), units being the term's quantity (seats).

    A term is in force in months first..last (last null: open). Its renewal falls
    `interval - (M - renewal_base) mod interval` months after M.
    """
    parts = []
    if inputs.invoice_lines is not None:
        lines = inputs.invoice_lines
        lines = lines.filter((lines.type == "subscription") & lines.service_end.notnull())
        start, end = month_index(lines.service_start), month_index(lines.service_end)
        span = ibis.greatest(end - start, 1)
        parts.append(
            lines.select(
                "customer_id",
                first=start,
                last=end - 1,
                interval=span.cast("int64"),
                renewal_base=start,
                plan=lines.plan.cast("string"),
                cents=_cents(lines.amount),
                units=lines.quantity.cast("int64"),
            )
        )
    if inputs.subscriptions is not None:
        subs = inputs.subscriptions
        start = month_index(subs.start_date)
        parts.append(
            subs.select(
                "customer_id",
                first=start,
                last=month_index(subs.end_date) - 1,
                interval=ibis.greatest(subs.interval_months.cast("int64"), 1),
                renewal_base=start,
                plan=subs.plan.cast("string"),
                cents=_cents(subs.amount),
                units=subs.quantity.cast("int64"),
            )
        )
    return ibis.union(*parts, distinct=False) if parts else None


def contract_block(inputs: FeatureInputs, spine: ir.Table) -> ir.Table | None:
    """Billing interval (months), months to the next renewal and the plan, from the terms in
    force at M (the largest by amount names the plan)."""
    terms = billing_terms(inputs)
    if terms is None:
        return None
    at = spine.select(*KEYS)
    terms = terms.rename(term_customer="customer_id")
    t = at.join(
        terms,
        (at.customer_id == terms.term_customer)
        & (terms.first <= at.month_index)
        & (terms.last.isnull() | (terms.last >= at.month_index)),
    )
    t = t.mutate(
        _to_renewal=t.interval - (t.month_index - t.renewal_base) % t.interval,
        _rank=ibis.row_number().over(
            group_by=list(KEYS), order_by=[t.cents.desc(), t.plan.asc(nulls_first=False)]
        ),
    )
    plans = t.filter(t._rank == 0).select(*KEYS, plan="plan")
    agg = t.group_by(*KEYS).aggregate(
        billing_interval_months=t.interval.max(), months_to_renewal=t._to_renewal.min()
    )
    return agg.join(plans, list(KEYS))


def attribute_block(inputs: FeatureInputs, spine: ir.Table) -> ir.Table | None:
    """Every descriptive customer column (segment, region, ...) as text, prefixed `attr_`."""
    customers = inputs.sources.customers
    names = [c for c in customers.columns if c not in NOT_ATTRIBUTES]
    if not names:
        return None
    attrs = customers.select(
        "customer_id", **{ATTRIBUTE_PREFIX + n: customers[n].cast("string") for n in names}
    )
    return spine.select(*KEYS).join(attrs, "customer_id")


def usage_block(inputs: FeatureInputs, spine: ir.Table) -> ir.Table | None:
    """Usage level and 3-month trend per metric, utilisation against the terms in force, months
    since the last usage (see `predict.usage`); None when the ledger has no usage."""
    if inputs.usage_monthly is None or not inputs.usage_metrics:
        return None
    return usage_features(
        inputs.usage_monthly,
        spine.select(*KEYS),
        inputs.usage_metrics,
        terms=billing_terms(inputs),
        plans=inputs.plans,
    )


BLOCKS: tuple[Block, ...] = (contract_block, attribute_block, usage_block)


def labels(moves: ir.Table, at: ir.Table, horizon: int, ledger_horizon: int) -> ir.Table:
    """Per snapshot row: whether each target happened in months M+1..M+horizon, and how much
    MRR moved so; null when M + horizon is past the ledger's last month."""
    ahead = moves.select(
        ahead_customer="customer_id",
        ahead_month="month_index",
        churn="churn",
        contraction="contraction",
        expansion="expansion",
    )
    j = at.select(*KEYS).left_join(
        ahead,
        (at.customer_id == ahead.ahead_customer)
        & (ahead.ahead_month > at.month_index)
        & (ahead.ahead_month <= at.month_index + horizon),
    )
    sums = j.group_by(*KEYS).aggregate(
        **{moved_name(t): j[t].sum().fill_null(0).cast("int64") for t in TARGETS}
    )
    known = sums.month_index + horizon <= ledger_horizon
    return sums.select(
        *KEYS,
        **{
            label_name(t): ibis.ifelse(known, _flag(sums[moved_name(t)] > 0), None) for t in TARGETS
        },
        **{moved_name(t): ibis.ifelse(known, sums[moved_name(t)], None) for t in TARGETS},
    )


def feature_table(
    inputs: FeatureInputs,
    first: int,
    last: int,
    *,
    horizon: int = HORIZON,
    with_labels: bool = True,
) -> ir.Table:
    """Features (and labels) of every customer paying at the end of each month first..last.

    Features read months <= M only; labels read M+1..M+horizon of the whole ledger.
    """
    past = history(inputs.sources, last)
    base = mrr_block(inputs, past)
    base = base.filter((base.month_index >= first) & (base.mrr_cents > 0))
    t = base
    for block in BLOCKS:
        part = block(inputs, base)
        if part is None:
            continue
        extra = [c for c in part.columns if c not in KEYS]
        part = part.rename(**{f"_k_{k}": k for k in KEYS})
        j = t.left_join(
            part, (t.customer_id == part._k_customer_id) & (t.month_index == part._k_month_index)
        )
        t = j.select(*t.columns, *extra)
    if with_labels:
        lab = labels(
            history(inputs.sources, inputs.sources.horizon), base, horizon, inputs.sources.horizon
        )
        lab = lab.rename(**{f"_k_{k}": k for k in KEYS})
        j = t.left_join(
            lab, (t.customer_id == lab._k_customer_id) & (t.month_index == lab._k_month_index)
        )
        t = j.select(*t.columns, *[c for c in lab.columns if not c.startswith("_k_")])
    return t


def _cents(amount: ir.NumericValue) -> ir.IntegerValue:
    """A term's amount in whole cents, as a feature (not a reported figure: the sub-cent digits
    of a three-decimal currency do not matter to a model)."""
    return (amount * 100).cast("int64")
