"""Rebuild the derived tables from the accepted input rows, in the engine, and read them back.

Derived tables: customers (given and created on the fly), revenue_lines, fx_monthly, mrr_components,
mrr and movements (the last three for the default ledger rules: both revenue types, no gap
tolerance, customer level, no reactivation window). `ledger_meta` keeps the reporting currency
and the month range.
"""

from __future__ import annotations

from dataclasses import replace

from netretain.core import monthly, revenue
from netretain.core.arith import month_index
from netretain.core.derived import customers_table, fx_monthly
from netretain.core.monthly import Sources
from netretain.core.tables import literal_table
from netretain.errors import LedgerError
from netretain.ledger.run import first_row
from netretain.store import SPECS, Store, input_table
from netretain.store.catalogue import META

PIVOT_CURRENCIES = 12  # beyond this many, MRR converts by currency row (one more group-by)


def rebuild(store: Store, currency: str) -> dict[str, int]:
    """Recompute every derived table; returns the ledger's month range."""
    inputs = {k: store.table(input_table(k)) for k in SPECS}
    lines = revenue.revenue_lines(inputs["invoice_lines"], inputs["subscriptions"], inputs["mrr"])
    lines = store.replace("revenue_lines", lines)
    first = first_row(store, lines.aggregate(first=month_index(lines.service_start).min()))
    candidates = revenue.horizon_candidates(
        inputs["invoice_lines"], inputs["subscriptions"], inputs["mrr"]
    )
    horizon = max(first_row(store, c)["last"] for c in candidates)
    meta = {"first_month": first["first"], "horizon": horizon}
    if meta["first_month"] is None or horizon is None or horizon < 0:
        meta = {"first_month": -1, "horizon": -1}
        write_meta(store, meta, currency)
        return meta
    start = meta["first_month"]
    store.replace("fx_monthly", fx_monthly(inputs["fx_rates"], currency, start, horizon))
    store.replace("customers", customers_table(inputs))
    sources = open_sources(store, currency, start, horizon, with_components=False)
    store.replace("mrr_components", monthly.components(sources))
    sources = replace(sources, components=store.table("mrr_components"))
    cents = monthly.monthly_cents(sources, currencies=pivot_currencies(store))
    moves = store.replace("movements", monthly.dense_movements(cents, horizon, start))
    store.replace("mrr", moves.select("customer_id", "month_index", "mrr_cents"))
    write_meta(store, meta, currency)
    return meta


def pivot_currencies(store: Store) -> list[str] | None:
    """fx_monthly's currencies, when few and one rate per month: MRR then converts by column."""
    fx = store.table("fx_monthly")
    counts = fx.group_by("currency").aggregate(rows=fx.count(), months=fx.month_index.nunique())
    rows = store.to_arrow(counts).to_pylist()
    if len(rows) > PIVOT_CURRENCIES or any(r["rows"] != r["months"] for r in rows):
        return None
    return sorted(r["currency"] for r in rows)


def write_meta(store: Store, meta: dict[str, int], currency: str) -> None:
    """Keep the reporting currency and the month range."""
    rows = {"key": ["currency", *meta], "value": [currency, *[str(v) for v in meta.values()]]}
    store.replace("ledger_meta", literal_table(rows, META))


def read_meta(store: Store) -> dict[str, str]:
    """The ledger's settings and month range."""
    if not store.has("ledger_meta"):
        return {}
    rows = store.to_arrow(store.table("ledger_meta")).to_pylist()
    return {r["key"]: r["value"] for r in rows}


def open_sources(
    store: Store, currency: str, first: int, horizon: int, *, with_components: bool = True
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
        currency=currency,
        components=store.table("mrr_components") if with_components else None,
        mrr=store.table("mrr") if with_components else None,
        movements=store.table("movements") if with_components else None,
    )
