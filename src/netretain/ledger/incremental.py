"""Rebuild after an ingest that only adds rows: recompute the months its rows can change, not all.

The earliest such month (`from_month`) is the first month a new revenue line is in force, a new FX
rate's month (rates carry forward), and the old horizon + 1 when the horizon moves (open lines
run to it; the churn month is capped at it). Revenue lines are appended; movements are replaced
from that month on (from those months' components alone); the small tables are recomputed.
Whatever this cannot prove equal to a full rebuild cheaply falls back to `build.rebuild` (see
`plan`). Every change is returned as a `Delta` per table, so the checksums follow without
rehashing whole tables (ledger/check.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

import ibis
import ibis.common.exceptions as com
import ibis.expr.types as ir

from netretain.core import monthly, revenue
from netretain.core.arith import month_index
from netretain.core.derived import REVENUE_INPUTS, customers_table, fx_monthly
from netretain.ingest.usage import usage_monthly
from netretain.ledger import build
from netretain.ledger.run import count, first_row
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
    old_horizon: int
    lasts: list[int]


def update(
    store: Store, currency: str, ingest_id: int, kinds: Collection[str]
) -> dict[str, Delta] | None:
    """Bring the derived tables up to date after ingest `ingest_id`, which added rows of `kinds`
    and replaced none.

    Returns the Delta of each table changed in place (tables not named were rewritten whole or
    left as they were), or None when it fell back to a full rebuild.
    """
    inputs = {k: store.table(input_table(k)) for k in SPECS}
    new = {k: t.filter(t._ingest_id == ingest_id) for k, t in inputs.items() if k in kinds}
    meta = build.read_meta(store)
    found, lines = None, None
    if _built(store, meta, currency):  # else nothing to add to: no new lines are worked out
        lines = _new_lines(store, inputs, new)
        found = plan(store, meta, ingest_id, inputs, new, lines)
    if found is None:
        build.rebuild(store, currency)
        return None
    deltas: dict[str, Delta] = {}
    if "customers" in new:  # a given customer may replace one only seen in revenue files
        store.replace("customers", customers_table(inputs))
    else:
        deltas["customers"] = _customers(store, inputs, new)
    if lines is not None:
        store.append("revenue_lines", lines)
        deltas["revenue_lines"] = delta(store, lines)
    if "usage_events" in new:
        store.replace("usage_monthly", usage_monthly(inputs["usage_events"]))
    first, horizon = found.first_month, found.horizon
    if "fx_rates" in new or horizon > found.old_horizon:
        store.replace("fx_monthly", fx_monthly(inputs["fx_rates"], currency, first, horizon))
    if found.from_month <= horizon:
        deltas.update(_months_from(store, currency, found))
    latest = build.latest_date(store, inputs, found.lasts[-1])
    build.write_meta(
        store, {"first_month": first, "horizon": horizon}, currency, latest_date=latest
    )
    return deltas


def _built(store: Store, meta: dict[str, str], currency: str) -> bool:
    """Whether the ledger has derived tables to bring up to date: not a new ledger, not one
    without recurring revenue, the same currency, no derived table missing."""
    if meta.get("currency") != currency or int(meta.get("horizon", -1)) < 0:
        return False
    return all(store.has(t) for t in DERIVED)


def plan(
    store: Store,
    meta: dict[str, str],
    ingest_id: int,
    inputs: dict[str, ir.Table],
    new: dict[str, ir.Table],
    lines: ir.Table | None,
) -> Plan | None:
    """The months an ingest of `new` rows (whose revenue lines are `lines`) into a built ledger
    (`meta`) changes, or None when only a full rebuild is safe: data starting earlier than the
    ledger's first month, a horizon moving back, or a new invoice line billing a subscription
    that had none (its subscription line must go)."""
    old_first, old_horizon = int(meta["first_month"]), int(meta["horizon"])
    start: int | None = None
    if lines is not None:
        row = first_row(store, lines.aggregate(first=month_index(lines.service_start).min()))
        start = row["first"]
    lasts = [first_row(store, c)["last"] for c in revenue.horizon_candidates(*_revenue(inputs))]
    horizon = max(lasts)
    if start is not None and start < old_first:
        return None
    if horizon < old_horizon or _newly_billed(store, inputs, new, ingest_id):
        return None
    months: list[int] = [] if start is None else [start]
    if "fx_rates" in new:
        fx = new["fx_rates"]
        months.append(first_row(store, fx.aggregate(m=fx.month_index.cast("int64").min()))["m"])
    if horizon > old_horizon:
        months.append(old_horizon + 1)
    from_month = max(min(months, default=horizon + 1), old_first)
    return Plan(from_month, old_first, horizon, old_horizon, lasts)


def _revenue(tables: dict[str, ir.Table]) -> tuple[ir.Table, ir.Table, ir.Table]:
    return tables["invoice_lines"], tables["subscriptions"], tables["mrr"]


def _new_lines(
    store: Store, inputs: dict[str, ir.Table], new: dict[str, ir.Table]
) -> ir.Table | None:
    """The revenue lines of the new rows, materialised (None if none): invoice lines and MRR
    rows line by line, and new subscriptions that no invoice line bills."""
    parts = []
    if "invoice_lines" in new:
        parts.append(revenue.from_invoice_lines(new["invoice_lines"]))
    if "subscriptions" in new:
        parts.append(revenue.from_subscriptions(new["subscriptions"], inputs["invoice_lines"]))
    if "mrr" in new:
        parts.append(revenue.from_mrr(new["mrr"]))
    if not parts:
        return None
    return store.temp("_netretain_new_lines", ibis.union(*parts, distinct=False))


def _customers(store: Store, inputs: dict[str, ir.Table], new: dict[str, ir.Table]) -> Delta:
    """Append the customers new revenue rows name and no customer row gives (attributes empty),
    as `customers_table` adds them."""
    seen = [new[k].select("customer_id") for k in REVENUE_INPUTS if k in new]
    if not seen:
        return Delta(0, 0)
    known = store.table("customers")
    implied = ibis.union(*seen, distinct=False).anti_join(known, "customer_id").distinct()
    filler = {c: ibis.null(t) for c, t in known.schema().items() if c != "customer_id"}
    added = store.temp("_netretain_new_customers", implied.mutate(**filler).select(*known.columns))
    store.append("customers", added)
    return delta(store, added)


def _newly_billed(
    store: Store, inputs: dict[str, ir.Table], new: dict[str, ir.Table], ingest_id: int
) -> bool:
    """Whether a new invoice line bills an earlier subscription no earlier invoice line billed."""
    if "invoice_lines" not in new:
        return False
    lines = new["invoice_lines"]
    billed = lines.filter(lines.subscription_id.notnull()).select("subscription_id").distinct()
    subs, old = inputs["subscriptions"], inputs["invoice_lines"]
    subs = subs.filter(subs._ingest_id != ingest_id).subscription_id
    old = old.filter((old._ingest_id != ingest_id) & old.subscription_id.notnull())
    # the few billed ids on the left: the engine hashes them and probes the earlier lines
    found = billed.filter(billed.subscription_id.isin(subs)).anti_join(old, "subscription_id")
    return count(store, found) > 0


def _months_from(store: Store, currency: str, found: Plan) -> dict[str, Delta]:
    """Replace movements from `found.from_month` on; `mrr` follows movements."""
    month, horizon = found.from_month, found.horizon
    build.drop_retired(store)
    sources = build.open_sources(store, currency, found.first_month, horizon, with_movements=False)
    # computed once: the movements read the new months' components twice
    comps = store.temp("_netretain_new_components", monthly.components_from(sources, month))
    cents = monthly.monthly_cents(
        replace(sources, components=comps), currencies=build.pivot_currencies(store)
    )
    stored = store.table("movements")
    moves = monthly.movements_from(cents, stored, month, horizon, found.first_month)
    moves = store.temp("_netretain_new_movements", moves)
    mrr = store.table("mrr")
    gone = delta(store, mrr.filter(mrr.month_index >= month))
    moved = _replace_from(store, "movements", month, moves)
    store.view("mrr", store.table("movements").select("customer_id", "month_index", "mrr_cents"))
    added = delta(store, moves.select(*mrr.columns))
    return {"movements": moved, "mrr": added - gone}


def _replace_from(store: Store, table: str, month: int, added: ir.Table) -> Delta:
    """`Store.replace_from` on `month_index`, with the change it makes to the table."""
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
        return Delta(count(store, rows), None)
    found = store.to_arrow(summed).to_pylist()[0]
    return Delta(int(found["n"]), int(found["checksum"]))
