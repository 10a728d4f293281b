"""Rebuild the ledger's derived tables from the accepted input rows, set-based, in the engine.

Derived tables: customers (given and created on the fly), revenue_lines, fx_monthly, mrr_components,
mrr and movements (the last three for the default ledger rules: both revenue types, no gap
tolerance, customer level, no reactivation window).
"""

from __future__ import annotations

from dataclasses import replace

import ibis
import ibis.expr.types as ir

from netretain.core import ledger, revenue
from netretain.core.arith import month_index
from netretain.core.errors import LedgerError
from netretain.core.ledger import Sources, month_spine
from netretain.core.tables import literal_table
from netretain.engines.base import Store

INPUTS = ("customers", "subscriptions", "invoice_lines", "mrr", "fx_rates")
BOOKKEEPING = ("_file", "_row", "_ingest_id")
PIVOT_CURRENCIES = 12  # beyond this many, MRR converts by currency row (one more group-by)


def input_name(kind: str) -> str:
    """The table that keeps a kind's accepted rows."""
    return f"input_{kind}"


def fx_monthly(fx: ir.Table, reporting: str, first: int, horizon: int) -> ir.Table:
    """A rate for every currency and month, the last earlier rate carried forward; reporting = 1."""
    spine = month_spine(first, horizon)
    rates = fx.select("currency", rate_month="month_index", rate="rate")
    earlier = spine.join(rates, rates.rate_month <= spine.month_index)
    latest = earlier.group_by("currency", "month_index").aggregate(
        rate_month=earlier.rate_month.max()
    )
    carried = latest.join(rates, ["currency", "rate_month"]).select(
        "currency", "month_index", "rate"
    )
    reporting_rows = spine.select(
        currency=ibis.literal(reporting), month_index="month_index", rate=ibis.literal(1.0)
    )
    return ibis.union(carried.filter(carried.currency != reporting), reporting_rows, distinct=False)


def customers_table(store: Store) -> ir.Table:
    """Customers as given, plus any that appear only in revenue files (attributes empty)."""
    given = store.table(input_name("customers")).drop(*BOOKKEEPING)
    seen = ibis.union(
        *[
            store.table(input_name(k)).select("customer_id")
            for k in ("subscriptions", "invoice_lines", "mrr")
        ],
        distinct=False,
    )
    # anti-join before the distinct: probing every row is cheaper than grouping them
    implied = seen.anti_join(given, "customer_id").distinct()
    filler = {
        name: ibis.null(dtype) for name, dtype in given.schema().items() if name != "customer_id"
    }
    return ibis.union(given, implied.mutate(**filler).select(*given.columns), distinct=False)


def rebuild(store: Store, reporting: str) -> dict[str, int]:
    """Recompute every derived table; returns the ledger's month range."""
    inputs = {k: store.table(input_name(k)) for k in INPUTS}
    lines = revenue.revenue_lines(inputs["invoice_lines"], inputs["subscriptions"], inputs["mrr"])
    lines = store.replace("revenue_lines", lines)
    bounds = store.to_arrow(
        lines.aggregate(first=month_index(lines.service_start).min())
    ).to_pylist()[0]
    candidates = revenue.horizon_candidates(
        inputs["invoice_lines"], inputs["subscriptions"], inputs["mrr"]
    )
    horizon = max(store.to_arrow(c).to_pylist()[0]["last"] for c in candidates)
    first = bounds["first"]
    if first is None or horizon is None or horizon < 0:
        first = horizon = -1
        meta = {"first_month": first, "horizon": horizon}
        _write_meta(store, meta, reporting)
        return meta
    store.replace("fx_monthly", fx_monthly(inputs["fx_rates"], reporting, first, horizon))
    store.replace("customers", customers_table(store))
    sources = open_sources(store, reporting, first, horizon, with_components=False)
    store.replace("mrr_components", ledger.components(sources))
    sources = open_sources(store, reporting, first, horizon, with_components=False)
    sources = replace(sources, components=store.table("mrr_components"))
    cents = ledger.monthly_cents(sources, currencies=pivot_currencies(store))
    moves = store.replace("movements", ledger.dense_movements(cents, horizon, first))
    store.replace("mrr", moves.select("customer_id", "month_index", "mrr_cents"))
    meta = {"first_month": first, "horizon": horizon}
    _write_meta(store, meta, reporting)
    return meta


def pivot_currencies(store: Store) -> list[str] | None:
    """fx_monthly's currencies, when few and one rate per month: MRR then converts by column."""
    fx = store.table("fx_monthly")
    counts = fx.group_by("currency").aggregate(rows=fx.count(), months=fx.month_index.nunique())
    rows = store.to_arrow(counts).to_pylist()
    if len(rows) > PIVOT_CURRENCIES or any(r["rows"] != r["months"] for r in rows):
        return None
    return sorted(r["currency"] for r in rows)


def _write_meta(store: Store, meta: dict[str, int], reporting: str) -> None:
    rows = {"key": ["currency", *meta], "value": [reporting, *[str(v) for v in meta.values()]]}
    store.replace("ledger_meta", literal_table(rows, {"key": "string", "value": "string"}))


def read_meta(store: Store) -> dict[str, str]:
    """The ledger's settings and month range."""
    if not store.has("ledger_meta"):
        return {}
    rows = store.to_arrow(store.table("ledger_meta")).to_pylist()
    return {r["key"]: r["value"] for r in rows}


def open_sources(
    store: Store, reporting: str, first: int, horizon: int, *, with_components: bool = True
) -> Sources:
    """The Sources a computation reads, from a built ledger."""
    if horizon < 0:
        raise LedgerError("the ledger has no recurring revenue yet: ingest some files first")
    return Sources(
        revenue_lines=store.table("revenue_lines"),
        fx=store.table("fx_monthly"),
        customers=store.table("customers"),
        first_month=first,
        horizon=horizon,
        currency=reporting,
        components=store.table("mrr_components") if with_components else None,
        mrr=store.table("mrr") if with_components else None,
        movements=store.table("movements") if with_components else None,
    )
