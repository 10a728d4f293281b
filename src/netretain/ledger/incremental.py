"""Rebuild after an ingest that only adds rows: recompute the months its rows can change, not all.

The earliest such month (`from_month`) is the first month a new revenue line is in force, a new FX
rate's month (rates carry forward), and the old horizon + 1 when the horizon moves (open lines
run to it; the churn month is capped at it). Revenue lines are appended; components and movements
are replaced from that month on; the small tables are recomputed. Whatever this cannot prove equal
to a full rebuild cheaply falls back to `build.rebuild` (see `plan`). Every change is returned as
a `Delta` per table, so the checksums follow without rehashing whole tables (ledger/check.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import ibis
import ibis.common.exceptions as com
import ibis.expr.types as ir

from netretain.core import monthly, revenue
from netretain.core.arith import month_index
from netretain.core.derived import customers_table, fx_monthly
from netretain.ingest.usage import usage_monthly
from netretain.ledger import build
from netretain.ledger.run import first_row
from netretain.store import SPECS, Store, input_table
from netretain.store.catalogue import DERIVED

PRIME = 1_000_000_007  # ledger/check.py's: a row's checksum term is its hash mod PRIME


@dataclass(frozen=True)
class Delta:
    """What a table gained: rows, and the sum of their checksum terms (added minus deleted;
    None where the engine cannot hash a row)."""

    rows: int
    checksum: int | None

    def __sub__(self, other: Delta) -> Delta:
        if self.checksum is None or other.checksum is None:
            return Delta(self.rows - other.rows, None)
        return Delta(self.rows - other.rows, self.checksum - other.checksum)


@dataclass(frozen=True)
class Plan:
    """What an ingest changes: the months from `from_month` on, and the new month range."""

    from_month: int
    first_month: int
    horizon: int
    lasts: list[int]


def update(store: Store, currency: str, ingest_id: int) -> dict[str, Delta] | None:
    """Bring the derived tables up to date after ingest `ingest_id`, which replaced no row.

    Returns each derived table's Delta when done incrementally (tables not named were rewritten
    whole or not at all), None when it fell back to a full rebuild.
    """
    inputs = {k: store.table(input_table(k)) for k in SPECS}
    new = {k: t.filter(t._ingest_id == ingest_id) for k, t in inputs.items()}
    found = plan(store, currency, inputs, new, ingest_id)
    if found is None:
        build.rebuild(store, currency)
        return None
    deltas = {"revenue_lines": _append_lines(store, inputs, new)}
    if _count(store, new["usage_events"]):
        store.replace("usage_monthly", usage_monthly(inputs["usage_events"]))
    first, horizon = found.first_month, found.horizon
    store.replace("fx_monthly", fx_monthly(inputs["fx_rates"], currency, first, horizon))
    store.replace("customers", customers_table(inputs))
    if found.from_month <= horizon:
        deltas.update(_months_from(store, currency, found))
    meta = {"first_month": first, "horizon": horizon}
    latest = build.latest_date(store, inputs, found.lasts[-1])
    build.write_meta(store, meta, currency, latest_date=latest)
    return deltas


def plan(
    store: Store,
    currency: str,
    inputs: dict[str, ir.Table],
    new: dict[str, ir.Table],
    ingest_id: int,
) -> Plan | None:
    """The months an ingest of new rows only changes, or None when only a full rebuild is safe:
    a new ledger, another currency, a derived table missing, data starting earlier than the
    ledger's first month, a horizon moving back, or a new invoice line billing a subscription
    that had none (its subscription line must go)."""
    meta = build.read_meta(store)
    if meta.get("currency") != currency or int(meta.get("horizon", -1)) < 0:
        return None
    if not all(store.has(t) for t in DERIVED):
        return None
    old_first, old_horizon = int(meta["first_month"]), int(meta["horizon"])
    lines = _new_lines(inputs, new)
    starts = first_row(store, lines.aggregate(first=month_index(lines.service_start).min()))
    lasts = [first_row(store, c)["last"] for c in revenue.horizon_candidates(*_revenue(inputs))]
    horizon = max(lasts)
    if starts["first"] is not None and starts["first"] < old_first:
        return None
    if horizon < old_horizon or _newly_billed(store, inputs, new, ingest_id):
        return None
    fx = new["fx_rates"]
    rates = first_row(store, fx.aggregate(first=fx.month_index.cast("int64").min()))
    months = [m for m in (starts["first"], rates["first"]) if m is not None]
    if horizon > old_horizon:
        months.append(old_horizon + 1)
    from_month = max(min(months, default=horizon + 1), old_first)
    return Plan(from_month, old_first, horizon, lasts)


def _revenue(tables: dict[str, ir.Table]) -> tuple[ir.Table, ir.Table, ir.Table]:
    return tables["invoice_lines"], tables["subscriptions"], tables["mrr"]


def _new_lines(inputs: dict[str, ir.Table], new: dict[str, ir.Table]) -> ir.Table:
    """The revenue lines of the new rows: invoice lines and MRR rows line by line, and new
    subscriptions that no invoice line bills."""
    return ibis.union(
        revenue.from_invoice_lines(new["invoice_lines"]),
        revenue.from_subscriptions(new["subscriptions"], inputs["invoice_lines"]),
        revenue.from_mrr(new["mrr"]),
        distinct=False,
    )


def _newly_billed(
    store: Store, inputs: dict[str, ir.Table], new: dict[str, ir.Table], ingest_id: int
) -> bool:
    """Whether a new invoice line bills an earlier subscription no earlier invoice line billed."""
    lines = new["invoice_lines"]
    billed = lines.filter(lines.subscription_id.notnull()).select("subscription_id").distinct()
    subs, old = inputs["subscriptions"], inputs["invoice_lines"]
    subs = subs.filter(subs._ingest_id != ingest_id).subscription_id
    old = old.filter((old._ingest_id != ingest_id) & old.subscription_id.notnull()).subscription_id
    # isin, not a semi and an anti join in one chain: PostgreSQL's compiler cannot write that
    found = billed.filter(billed.subscription_id.isin(subs) & ~billed.subscription_id.isin(old))
    return _count(store, found) > 0


def _append_lines(store: Store, inputs: dict[str, ir.Table], new: dict[str, ir.Table]) -> Delta:
    added = store.temp("_netretain_new_lines", _new_lines(inputs, new))
    store.append("revenue_lines", added)
    return delta(store, added)


def _months_from(store: Store, currency: str, found: Plan) -> dict[str, Delta]:
    """Replace components and movements from `found.from_month` on; `mrr` follows movements."""
    month, horizon = found.from_month, found.horizon
    sources = build.open_sources(store, currency, found.first_month, horizon, with_components=False)
    comps = store.temp("_netretain_new_components", monthly.components_from(sources, month))
    deltas = {"mrr_components": _replace_from(store, "mrr_components", month, comps)}
    cents = monthly.monthly_cents(
        replace(sources, components=comps), currencies=build.pivot_currencies(store)
    )
    stored = store.table("movements")
    moves = monthly.movements_from(cents, stored, month, horizon, found.first_month)
    moves = store.temp("_netretain_new_movements", moves)
    mrr = store.table("mrr")
    gone = delta(store, mrr.filter(mrr.month_index >= month))
    deltas["movements"] = _replace_from(store, "movements", month, moves)
    store.view("mrr", store.table("movements").select("customer_id", "month_index", "mrr_cents"))
    added = delta(store, moves.select(*mrr.columns))
    deltas["mrr"] = added - gone
    return deltas


def _replace_from(store: Store, table: str, month: int, added: ir.Table) -> Delta:
    new = delta(store, added)  # first: computes (and on Spark caches) `added` from the old rows
    stored = store.table(table)
    gone = delta(store, stored.filter(stored.month_index >= month))
    store.replace_from(table, "month_index", month, added)
    return new - gone


def checksum(t: ir.Table) -> ir.Table:
    """A table's row count `n` and `checksum`: the sum over rows of the row's hash mod PRIME,
    so the same rows in any order give the same figure, and a change adds the difference."""
    row_hash = ibis.struct({c: t[c] for c in t.columns}).hash()
    return t.aggregate(n=t.count(), checksum=(row_hash % PRIME).sum().coalesce(0))


def delta(store: Store, rows: ir.Table) -> Delta:
    """Rows and checksum terms of `rows` (checksum None where the engine cannot hash a row)."""
    summed = checksum(rows)
    try:
        store.con.compile(summed)
    except (com.OperationNotDefinedError, com.UnsupportedOperationError):
        return Delta(_count(store, rows), None)
    found = store.to_arrow(summed).to_pylist()[0]
    return Delta(int(found["n"]), int(found["checksum"]))


def _count(store: Store, t: ir.Table) -> int:
    return int(store.to_arrow(t.count().name("n").as_table()).column(0)[0].as_py())
