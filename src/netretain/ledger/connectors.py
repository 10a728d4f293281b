"""Connectors as a service: Stripe and PostgreSQL into the normal ingest; Stripe reconciled.

A connector writes what it read as files of the usual input kinds and hands them to the same
ingest as `netretain ingest` (validation, rejects named `stripe:<kind>` or `postgres:<kind>`,
one transaction, idempotence). The figures go back out through ledger.exports.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq

from netretain.connectors import reconcile as rc
from netretain.connectors import stripe_csv
from netretain.connectors import stripe_map as sm
from netretain.connectors.errors import ConnectorError
from netretain.connectors.stripe_api import Page, StripeSource
from netretain.core.arith import month_label
from netretain.core.tables import literal_table
from netretain.definitions import default
from netretain.errors import Reject, arg
from netretain.ledger.ingest import Ingested, IngestResult, Step, ingest
from netretain.ledger.ledger import Ledger
from netretain.store import SPECS, Store, input_table

CURSORS = "connector_cursors"
CURSOR_SCHEMA = {"source": "string", "object": "string", "cursor": "int64", "at": "string"}


@dataclass
class SyncResult:
    """What a sync read from its source and what the ingest made of it."""

    source: str
    read: dict[str, int]
    ingest: IngestResult | None
    cursors: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    rejects: list[Reject] = field(default_factory=list)  # source rows refused before the ingest

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "fetched": self.read,
            "cursors": self.cursors,
            "rejects": [r.__dict__ for r in self.rejects],
            "ingest": self.ingest.to_dict() if self.ingest else None,
        }


class _DryRun(Exception):
    """Raised by the last hook of a dry run: the ingest rolls back, its counts are kept."""

    def __init__(self, ingested: Ingested):
        self.ingest_id = ingested.ingest_id
        self.files = ingested.files


def cursors(store: Store | None, source: str) -> dict[str, int]:
    """Each object type's cursor (newest `created` synced) for a source, as the ledger keeps it."""
    if store is None or not store.has(CURSORS):
        return {}
    t = store.table(CURSORS)
    rows = store.to_arrow(t.filter(t.source == source)).to_pylist()
    return {r["object"]: int(r["cursor"]) for r in rows}


def sync_stripe(
    ledger: Ledger,
    source: StripeSource,
    *,
    rules: sm.StripeRules | None = None,
    since: str | None = None,
    dry_run: bool = False,
    on_page: Page | None = None,
    today: dt.date | None = None,
    step: Step | None = None,
) -> SyncResult:
    """Read products, customers, subscriptions and new invoices and credit notes from Stripe,
    and ingest them atomically.

    Customers and subscriptions are read whole every time (their state changes; an unchanged one
    is an exact repeat, a changed one replaces its row and is recorded as a correction); invoices
    and credit notes only past their cursors and `since` (YYYY-MM-DD). A subscription whose terms
    changed since the last sync gets a new version from `today` (default: today, UTC). Nothing is
    written until everything was read; the cursors move in the ingest's own transaction.
    """
    rules = rules or sm.StripeRules()
    floor = _since(since)
    known = cursors(ledger._store, "stripe")
    products = {p["id"]: p.get("name") or p["id"] for p in source.objects("products", on_page)}
    customers = list(source.objects("customers", on_page))
    subscriptions = list(source.objects("subscriptions", on_page))
    invoices = _since_cursor(source.objects("invoices", on_page), known.get("invoices"), floor)
    notes = _since_cursor(source.objects("credit_notes", on_page), known.get("credit_notes"), floor)
    clocked = _clocked(source, on_page)
    customers += clocked.customers
    subscriptions += clocked.subscriptions
    invoices += [i for i in clocked.invoices if int(i["created"]) >= floor]
    today = today or dt.datetime.now(dt.UTC).date()
    scheduled = _scheduled(source, subscriptions, clocked.times, _end_of(today), rules, products)
    days = {
        s["id"]: _date(clocked.times[s["test_clock"]])
        for s in subscriptions
        if s.get("test_clock") in clocked.times
    }
    rows = _rows(ledger, "stripe", customers, subscriptions, invoices, rules, products, today,
                 scheduled, days)  # fmt: skip
    rows["invoice_lines"] += [r for n in notes for r in sm.credit_note_rows(n)]
    moved = dict(known)
    ticking = [i for i in invoices if not i.get("test_clock")]  # a clock's time is its own
    for name, objects in (("invoices", ticking), ("credit_notes", notes)):
        if objects:
            moved[name] = max(int(o["created"]) for o in objects)
    read = {"products": len(products), "customers": len(customers)}
    read.update(subscriptions=len(subscriptions), invoices=len(invoices), credit_notes=len(notes))
    if clocked.times:
        read["test_clocks"] = len(clocked.times)
    if scheduled:
        read["subscription_schedules"] = len(scheduled)
    tables = {kind: sm.table(kind, r) for kind, r in rows.items() if r}
    result = _ingest_tables(ledger, "stripe", tables, moved, dry_run, step)
    return SyncResult("stripe", read, result, moved, dry_run)


def _rows(
    ledger: Ledger,
    source: str,
    customers: list[dict[str, Any]],
    subscriptions: list[dict[str, Any]],
    invoices: list[dict[str, Any]],
    rules: sm.StripeRules,
    products: Mapping[str, str] | None,
    today: dt.date | None,
    scheduled: Mapping[str, list[dict[str, str | None]]] | None = None,
    days: Mapping[str, dt.date] | None = None,
) -> dict[str, list[dict[str, str | None]]]:
    """Stripe objects as input rows by the one set of rules (stripe_map), whichever path read
    them. A subscription's versions continue the ones this source stored before, split at
    `today` (or at its test clock's day, `days`); a scheduled one's come from its billed phases
    (`scheduled`: id -> rows)."""
    today = today or dt.datetime.now(dt.UTC).date()
    stored = _stored_subscriptions(ledger._store, f"{source}:subscriptions")
    by_day: dict[dt.date, list[dict[str, str | None]]] = {}
    for sub in subscriptions:
        row = None if sub["id"] in (scheduled or {}) else sm.subscription_row(sub, rules, products)
        if row is not None:
            by_day.setdefault((days or {}).get(sub["id"], today), []).append(row)
    versions = [r for rows in (scheduled or {}).values() for r in rows]
    for day, rows in by_day.items():
        versions += sm.versions(rows, stored, day)
    return {
        "customers": [sm.customer_row(c) for c in _unique(customers)],
        "subscriptions": versions,
        "invoice_lines": [r for i in _unique(invoices) for r in sm.invoice_line_rows(i)],
    }


def _unique(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objects by id, each once (a test clock's may also come in the account's own lists)."""
    return list({o["id"]: o for o in objects}.values())


@dataclass
class _Clocked:
    """Test-clock objects: Stripe's lists leave them out unless asked by clock or customer."""

    times: dict[str, int] = field(default_factory=dict)  # clock id -> its frozen time
    customers: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)


def _clocked(source: StripeSource, on_page: Page | None, invoices: bool = True) -> _Clocked:
    """Each test clock's customers, subscriptions and (with `invoices`) invoices; test mode only."""
    out = _Clocked()
    if not source.test_mode:
        return out
    for clock in source.objects("test_helpers.test_clocks", on_page):
        out.times[clock["id"]] = int(clock["frozen_time"])
        only = {"test_clock": clock["id"]}
        customers = list(source.objects("customers", params=only))
        out.customers += customers
        out.subscriptions += source.objects("subscriptions", params=only)
        for customer in customers if invoices else []:
            out.invoices += source.objects("invoices", params={"customer": customer["id"]})
    return out


def _scheduled(
    source: StripeSource,
    subscriptions: list[dict[str, Any]],
    times: Mapping[str, int],
    now: int,
    rules: sm.StripeRules,
    products: Mapping[str, str],
) -> dict[str, list[dict[str, str | None]]]:
    """The versions of each subscription whose schedule has billed more than one phase by now
    (its test clock's time, if it has one); a phase still ahead counts for nothing."""
    out = {}
    for sub in subscriptions:
        schedule = sub.get("schedule")
        if not schedule:
            continue
        if not isinstance(schedule, Mapping):
            schedule = source.retrieve("subscription_schedules", str(schedule))
        phases = sm.billed_phases(schedule, times.get(sub.get("test_clock") or "", now))
        if len(phases) < 2:
            continue  # one phase so far: the subscription's own terms are the whole story
        prices, coupons = _phase_objects(source, phases[:-1])
        out[sub["id"]] = sm.schedule_rows(sub, phases, prices, coupons, rules, products)
    return out


def _phase_objects(
    source: StripeSource, phases: list[Mapping[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The prices and coupons past phases name by id, fetched once each."""
    price_ids = {
        str(i.get("price") or i.get("plan"))
        for p in phases
        for i in p.get("items") or []
        if not isinstance(i.get("price") or i.get("plan"), Mapping)
    }
    named = [d.get("coupon") for p in phases for d in p.get("discounts") or []]
    named += [p.get("coupon") for p in phases]
    coupon_ids = {str(c) for c in named if c and not isinstance(c, Mapping)}
    prices = {i: source.retrieve("prices", i) for i in sorted(price_ids)}
    return prices, {i: source.retrieve("coupons", i) for i in sorted(coupon_ids)}


def _end_of(day: dt.date) -> int:
    """The last second of a UTC day, as Unix seconds."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return int(start.timestamp()) + 86399


def _date(timestamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date()


def ingest_stripe_csv(
    ledger: Ledger,
    directory: str | Path,
    *,
    rules: sm.StripeRules | None = None,
    dry_run: bool = False,
    today: dt.date | None = None,
    step: Step | None = None,
) -> SyncResult:
    """Ingest the Stripe Dashboard's CSV exports in `directory` by the API sync's own rules, so
    the same account gives the same figures either way. A bad row is refused (file, row, column,
    reason) and the rest go on; the ingest is the normal one (rejects of mapped rows name
    `stripe-csv:<kind>`, one transaction, idempotent)."""
    export = stripe_csv.read_export(directory, ledger.currency)
    rules = rules or sm.StripeRules()
    subs, invoices = export.subscriptions, export.invoices
    rows = _rows(ledger, "stripe-csv", export.customers, subs, invoices, rules, None, today)
    tables = {kind: sm.table(kind, r) for kind, r in rows.items() if r}
    result = _ingest_tables(ledger, "stripe-csv", tables, {}, dry_run, step)
    return SyncResult("stripe-csv", export.read, result, {}, dry_run, export.rejects)


def _since_cursor(
    objects: Iterator[dict[str, Any]], cursor: int | None, floor: int
) -> list[dict[str, Any]]:
    """The objects created after the cursor and not before `since`."""
    after = -1 if cursor is None else cursor
    return [o for o in objects if int(o["created"]) > after and int(o["created"]) >= floor]


def _stored_subscriptions(store: Store | None, file: str) -> list[dict[str, Any]]:
    """The subscription rows a source's syncs stored (one per subscription version)."""
    name = input_table("subscriptions")
    if store is None or not store.has(name):
        return []
    t = store.table(name)
    return store.to_arrow(t.filter(t._file == file).select(*sm.STORED)).to_pylist()


def _since(since: str | None) -> int:
    if since is None:
        return 0
    try:
        day = dt.date.fromisoformat(since)
    except ValueError:
        raise ConnectorError(f"{arg('since')} {since!r} is not a date: use YYYY-MM-DD") from None
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _ingest_tables(
    ledger: Ledger,
    source: str,
    tables: Mapping[str, pa.Table],
    moved: dict[str, int],
    dry_run: bool,
    step: Step | None = None,
) -> IngestResult | None:
    """Write each kind's table as Parquet and ingest them in one transaction with the cursors."""
    if not tables:
        return None
    with tempfile.TemporaryDirectory(prefix="netretain-sync-") as tmp:
        paths = {}
        for kind, table in tables.items():
            paths[kind] = Path(tmp) / f"{kind}.parquet"
            pq.write_table(table, paths[kind])
        return _ingest_files(ledger, source, paths, moved, dry_run, step=step)


def _ingest_files(
    ledger: Ledger,
    source: str,
    paths: Mapping[str, Path],
    moved: dict[str, int],
    dry_run: bool,
    replace: bool = True,
    step: Step | None = None,
) -> IngestResult:
    labels = {kind: f"{source}:{kind}" for kind in paths}
    hooks = [_cursor_hook(source, moved), *ledger.on_ingest]
    if dry_run:
        hooks.append(_stop)
    store = ledger._created()
    try:
        result = ingest(
            store,
            paths,
            currency=ledger.currency,
            replace=replace,
            labels=labels,
            hooks=hooks,
            step=step,
        )
    except _DryRun as done:
        result = IngestResult(done.ingest_id, list(done.files))
    ledger.store = store  # forget what was read of the ledger before
    return result


def _stop(ingested: Ingested) -> None:
    raise _DryRun(ingested)


def _cursor_hook(source: str, moved: dict[str, int]) -> Callable[[Ingested], None]:
    def keep(ingested: Ingested) -> None:
        store = ingested.store
        old = store.to_arrow(store.table(CURSORS)).to_pylist() if store.has(CURSORS) else []
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        rows = [r for r in old if r["source"] != source]
        rows += [{"source": source, "object": o, "cursor": c, "at": now} for o, c in moved.items()]
        columns = {name: [r[name] for r in rows] for name in CURSOR_SCHEMA}
        store.replace(CURSORS, literal_table(columns, CURSOR_SCHEMA))

    return keep


def reconcile_stripe(
    ledger: Ledger,
    source: StripeSource,
    *,
    rules: sm.StripeRules | None = None,
    start: str | None = None,
    end: str | None = None,
    month: str | None = None,
) -> rc.Reconciliation:
    """Per month, netretain's MRR against the naive sum of Stripe's subscription objects, each
    difference put down to a rule; with `month`, the customers whose figures differ in it."""
    rules = rules or sm.StripeRules()
    subscriptions = [*source.objects("subscriptions"), *_clocked(source, None, False).subscriptions]
    layers = rc.subscription_layers(subscriptions, rules)
    sources = ledger.sources
    store = ledger.store
    subs, lines = (
        store.table(input_table("subscriptions")),
        store.table(input_table("invoice_lines")),
    )
    held = rc.Ledgered(
        versions=subs.filter(subs._file == "stripe:subscriptions"),
        usage=lines.filter((lines._file == "stripe:invoice_lines") & (lines.type == "usage")),
        mrr=store.table("mrr"),
        fx=sources.fx,
        customers=sources.customers,
        first_month=sources.first_month,
        horizon=sources.horizon,
        currency=ledger.currency,
    )
    first = sources.first_month if start is None else ledger.month(start)
    last = ledger.month(end)
    if month:
        first, last = min(first, ledger.month(month)), max(last, ledger.month(month))
    per_customer = store.temp(
        "_reconcile", rc.by_customer(rc.layer_cents(layers, held), first, last)
    )
    months = [
        rc.reconciled(month_label(r["month_index"]), r)
        for r in store.to_arrow(rc.by_month(per_customer)).to_pylist()
    ]
    customers = []
    if month:
        chosen = per_customer.filter(per_customer.month_index == ledger.month(month))
        differs = ibis.or_(*(chosen[a] != chosen[b] for a, b in pairwise(rc.LAYERS)))
        for r in store.to_arrow(chosen.filter(differs).order_by("customer_id")).to_pylist():
            customers.append(rc.reconciled(month, r, r["customer_id"]))
    store.drop("_reconcile")
    stamp = default().stamp()
    return rc.Reconciliation(
        definition=stamp,
        currency=ledger.currency,
        first=month_label(first),
        last=month_label(last),
        months=months,
        customers=customers,
    )


# PostgreSQL in ------------------------------------------------------------------------------
def ingest_postgres(
    ledger: Ledger,
    url: str,
    sources: Mapping[str, str],
    *,
    replace: bool = False,
    dry_run: bool = False,
    step: Step | None = None,
) -> SyncResult:
    """Ingest input kinds from a PostgreSQL system of record: each kind's table name or SELECT
    query is copied out as CSV by the server, streamed to a file in chunks (never held whole in
    memory), and ingested like any CSV file. The source connection is read-only."""
    unknown = sorted(set(sources) - set(SPECS))
    if unknown:
        raise ConnectorError(f"unknown input kind(s) {unknown}; known: {sorted(SPECS)}")
    with tempfile.TemporaryDirectory(prefix="netretain-pg-") as tmp:
        paths = {kind: Path(tmp) / f"{kind}.csv" for kind in sources}
        read = {kind: _copy_out(url, sql, paths[kind]) for kind, sql in sources.items()}
        result = _ingest_files(ledger, "postgres", paths, {}, dry_run, replace, step)
    return SyncResult("postgres", read, result, {}, dry_run)


def select_of(source: str) -> str:
    """A table name (`schema.table`) as `SELECT * FROM` it; a query as it is."""
    text = source.strip().rstrip(";")
    if " " in text or "\n" in text:
        return text
    from netretain.engines.postgres import quote

    return "SELECT * FROM " + ".".join(quote(part) for part in text.split("."))


def _copy_out(url: str, source: str, path: Path) -> int:
    """COPY (query) TO STDOUT as CSV with a header into `path`; returns the rows copied."""
    import psycopg

    from netretain.engines.postgres import connect

    con = connect(url)
    try:
        con.execute("SET default_transaction_read_only = on")
        con.execute("SET DateStyle = 'ISO, YMD'")
        statement = f"COPY ({select_of(source)}) TO STDOUT WITH (FORMAT csv, HEADER)"
        with con.cursor() as cursor, path.open("wb") as out:
            with cursor.copy(statement) as copy:
                for chunk in copy:
                    out.write(chunk)
            return max(cursor.rowcount, 0)
    except psycopg.Error as exc:
        detail = " ".join(str(exc).split())
        raise ConnectorError(f"PostgreSQL could not read {source!r}: {detail}") from None
    finally:
        con.close()
