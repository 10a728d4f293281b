"""Rebuild the derived tables from the accepted input rows, in the engine, and read them back.

Derived tables: customers (given and created on the fly), revenue_lines, fx_monthly, mrr and
movements (the last two for the default ledger rules: both revenue types, no gap tolerance,
customer level, no reactivation window). `ledger_meta` keeps the reporting currency
the month range (`first_month`, `horizon`: the last month a service period starts in), the
latest date the data shows (`latest_date`) and when the export was taken (`data_as_of`, if given).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import replace
from typing import Any

from netretain.core import monthly, revenue
from netretain.core.arith import month_index
from netretain.core.derived import customers_table, fx_monthly
from netretain.core.monthly import Sources
from netretain.core.tables import literal_table
from netretain.errors import LedgerError
from netretain.ingest.usage import usage_monthly
from netretain.ledger.run import first_row
from netretain.store import SPECS, Store, input_table
from netretain.store.catalogue import META, RETIRED

PIVOT_CURRENCIES = 12  # beyond this many, MRR converts by currency row (one more group-by)


def rebuild(store: Store, currency: str) -> dict[str, int]:
    """Recompute every derived table; returns the ledger's month range."""
    drop_retired(store)
    inputs = {k: store.table(input_table(k)) for k in SPECS}
    store.replace("usage_monthly", usage_monthly(inputs["usage_events"]))
    lines = revenue.revenue_lines(inputs["invoice_lines"], inputs["subscriptions"], inputs["mrr"])
    lines = store.replace("revenue_lines", lines)
    first = first_row(store, lines.aggregate(first=month_index(lines.service_start).min()))
    candidates = revenue.horizon_candidates(
        inputs["invoice_lines"], inputs["subscriptions"], inputs["mrr"]
    )
    lasts = [first_row(store, c)["last"] for c in candidates]
    horizon = max(lasts)
    meta = {"first_month": first["first"], "horizon": horizon}
    if meta["first_month"] is None or horizon is None or horizon < 0:
        meta = {"first_month": -1, "horizon": -1}
        write_meta(store, meta, currency, latest_date="")
        return meta
    latest = latest_date(store, inputs, lasts[-1])
    start = meta["first_month"]
    store.replace("fx_monthly", fx_monthly(inputs["fx_rates"], currency, start, horizon))
    store.replace("customers", customers_table(inputs))
    sources = open_sources(store, currency, start, horizon, with_movements=False)
    cents = monthly.monthly_cents(sources, currencies=pivot_currencies(store))
    moves = store.replace("movements", monthly.dense_movements(cents, horizon, start))
    store.view("mrr", moves.select("customer_id", "month_index", "mrr_cents"))
    write_meta(store, meta, currency, latest_date=latest)
    return meta


def drop_retired(store: Store) -> None:
    """Drop the derived tables an earlier version kept and this one computes when asked."""
    for name in RETIRED:
        if store.has(name):
            store.drop(name)


def latest_date(store: Store, inputs: dict[str, Any], last_mrr_month: int) -> str:
    """The latest date the inputs show, ISO: an MRR month counts as its last day."""
    rows = [
        first_row(store, t)
        for t in revenue.latest_dates(inputs["invoice_lines"], inputs["subscriptions"])
    ]
    found = [v for row in rows for v in row.values() if v is not None]
    if last_mrr_month >= 0:
        year, month = divmod(last_mrr_month, 12)
        found.append(dt.date(year, month + 1, calendar.monthrange(year, month + 1)[1]))
    return max(found).isoformat() if found else ""


def pivot_currencies(store: Store) -> list[str] | None:
    """fx_monthly's currencies, when few and one rate per month: MRR then converts by column."""
    fx = store.table("fx_monthly")
    counts = fx.group_by("currency").aggregate(rows=fx.count(), months=fx.month_index.nunique())
    rows = store.to_arrow(counts).to_pylist()
    if len(rows) > PIVOT_CURRENCIES or any(r["rows"] != r["months"] for r in rows):
        return None
    return sorted(r["currency"] for r in rows)


def write_meta(store: Store, meta: dict[str, int], currency: str, **more: str) -> None:
    """Keep the reporting currency, the month range and `more` (latest_date, data_as_of, ...);
    keys already kept and not given again stay as they were."""
    record(store, currency=currency, **{k: str(v) for k, v in meta.items()}, **more)


def record(store: Store, **values: str) -> None:
    """Set meta keys of a built ledger (data_as_of), keeping the others."""
    meta = {**read_meta(store), **values}
    rows = {"key": list(meta), "value": list(meta.values())}
    store.replace("ledger_meta", literal_table(rows, META))


def read_meta(store: Store) -> dict[str, str]:
    """The ledger's settings and month range."""
    if not store.has("ledger_meta"):
        return {}
    rows = store.to_arrow(store.table("ledger_meta")).to_pylist()
    return {r["key"]: r["value"] for r in rows}


def open_sources(
    store: Store, currency: str, first: int, horizon: int, *, with_movements: bool = True
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
        mrr=store.table("mrr") if with_movements else None,
        movements=store.table("movements") if with_movements else None,
    )


def sources_through(store: Store, currency: str, first: int, horizon: int, last: int) -> Sources:
    """Sources that reach month `last`: the stored tables up to the data's horizon; past it, MRR
    and FX (rates carried forward) computed on the fly, so open and prepaid service counts there.

    The stored tables stop at the horizon so that a rebuild depends on its inputs alone, not on
    the day it runs; a month past the data costs one computation from revenue_lines instead.
    """
    if last <= horizon:
        return open_sources(store, currency, first, horizon)
    fx = fx_monthly(store.table(input_table("fx_rates")), currency, first, last)
    return replace(
        open_sources(store, currency, first, horizon, with_movements=False), fx=fx, horizon=last
    )
