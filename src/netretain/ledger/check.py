"""Is every table of a ledger whole? Row counts and content checksums recorded after each ingest
and rebuild, recomputed by `scan`; `rebuild` recomputes damaged derived tables from the inputs.

A checksum is the sum over rows of (the engine's hash of the row) mod a prime: the same rows in any
order give the same figure, and any changed, lost or added row changes it (issue 10).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from netretain.core.tables import literal_table
from netretain.errors import LedgerError, arg
from netretain.ledger import build, incremental
from netretain.ledger.hooks import Ingested
from netretain.store import SPECS, Store
from netretain.store.catalogue import CHECKSUMS, LEDGER_TABLES, REBUILT, input_table

CHECKSUM_TABLE = "checksums"
PRIME = incremental.PRIME  # keeps each row's term small, so the sum never overflows int64
DAMAGED = ("damaged", "missing", "unreadable")


@dataclass(frozen=True)
class TableCheck:
    """One table: what was recorded, what is there now, and the verdict."""

    table: str
    status: str  # ok, damaged, missing, unreadable, or unrecorded (no checksum kept yet)
    rows: int | None
    recorded_rows: int | None
    derived: bool
    detail: str = ""


@dataclass(frozen=True)
class CheckResult:
    """Every table's verdict."""

    tables: tuple[TableCheck, ...]

    @property
    def damaged(self) -> list[TableCheck]:
        return [t for t in self.tables if t.status in DAMAGED]

    @property
    def ok(self) -> bool:
        return not self.damaged

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "tables": [asdict(t) for t in self.tables]}


def record(store: Store, known: Mapping[str, tuple[int, int | None]] | None = None) -> None:
    """Keep every table's row count and checksum as they are now (in the writer's transaction);
    `known` gives some tables' figures, worked out without rehashing them.

    A table's `at` changes only when its figures do, and a ledger left as it was is not written.
    """
    now = datetime.now(UTC).isoformat(timespec="seconds")
    names = [n for n in _present(store) if n != CHECKSUM_TABLE]
    prints = {n: (known or {}).get(n) or fingerprint(store, n) for n in names}
    kept = _recorded_at(store)
    if {n: k[:2] for n, k in kept.items()} == prints:
        return
    rows: dict[str, list[Any]] = {
        "table_name": names,
        "rows": [prints[n][0] for n in names],
        "checksum": [prints[n][1] for n in names],
        "at": [kept[n][2] if kept.get(n, ())[:2] == prints[n] else now for n in names],
    }
    store.replace(CHECKSUM_TABLE, literal_table(rows, CHECKSUMS))


def refresh(store: Store, *names: str) -> None:
    """Keep new checksums for the tables a small write changed (a grant, a redemption, a saved
    model), in the writer's transaction; the others keep theirs, so no other table is rehashed."""
    kept = _recorded_at(store)
    if not kept:
        return  # a ledger that has never recorded any: `record` after its next ingest does
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for name in names:
        rows, checksum = fingerprint(store, name)
        if kept.get(name, ())[:2] != (rows, checksum):
            kept[name] = (rows, checksum, now)
    columns: dict[str, list[Any]] = {
        "table_name": list(kept),
        "rows": [k[0] for k in kept.values()],
        "checksum": [k[1] for k in kept.values()],
        "at": [k[2] for k in kept.values()],
    }
    store.replace(CHECKSUM_TABLE, literal_table(columns, CHECKSUMS))


def record_after_ingest(ingested: Ingested) -> None:
    """The ingest hook every Ledger runs last: checksums of the ledger the ingest leaves.

    After an incremental rebuild, a table the ingest changed in place keeps its recorded figures
    plus the change (the derived tables' deltas, the rows this ingest appended to the input tables
    and the revenue log's leaves), so big tables are not rehashed. A table damaged before the
    ingest therefore stays named damaged (rehashing it would record the damage as the truth);
    `rebuild` mends a derived one.
    """
    store, kept = ingested.store, _recorded(ingested.store)
    if ingested.deltas is None or not kept:
        record(store)
        return
    changes = {**_appended(store, ingested), **ingested.deltas}
    record(store, {n: _plus(kept[n], d) for n, d in changes.items() if n in kept})


def _appended(store: Store, ingested: Ingested) -> dict[str, incremental.Delta]:
    """What the ingest appended to tables it only appends to: the input tables (rows of its
    `_ingest_id`) and the revenue log (leaves of its `ingest_id`, their customers' index rows)."""
    kinds = {f.kind for f in ingested.files if f.accepted}
    out = {input_table(k): incremental.Delta(0, 0) for k in SPECS if k not in kinds}
    for kind in kinds:
        t = store.table(input_table(kind))
        out[input_table(kind)] = incremental.delta(
            store, t.filter(t._ingest_id == ingested.ingest_id)
        )
    if not store.has("log_leaves"):
        return out
    leaves = store.table("log_leaves")
    leaves = leaves.filter(leaves.ingest_id == ingested.ingest_id)
    out["log_leaves"] = incremental.delta(store, leaves)
    first = store.to_arrow(leaves.idx.min().name("first").as_table()).column(0)[0].as_py()
    if store.has("log_customers"):
        index = store.table("log_customers")
        added = index.filter(index.idx >= first) if first is not None else index.limit(0)
        out["log_customers"] = incremental.delta(store, added)
    return out


def _plus(kept: tuple[int, int | None], change: incremental.Delta) -> tuple[int, int | None]:
    if kept[1] is None or change.checksum is None:
        return kept[0] + change.rows, None
    return kept[0] + change.rows, kept[1] + change.checksum


def fingerprint(store: Store, name: str) -> tuple[int, int | None]:
    """A table's row count and checksum (None where the engine cannot hash a row)."""
    whole = incremental.delta(store, store.table(name))
    return whole.rows, whole.checksum


def scan(store: Store) -> CheckResult:
    """Recompute every table's count and checksum and compare them with the recorded ones."""
    recorded = _recorded(store)
    present = _present(store)
    names = [*present, *(n for n in recorded if n not in present)]
    return CheckResult(tuple(_verdict(store, n, recorded.get(n), n in present) for n in names))


def rebuild(store: Store, currency: str) -> CheckResult:
    """Rebuild the derived tables from the input tables, in one transaction, and record checksums.

    Refused when an input or bookkeeping table is damaged: the ledger cannot rebuild those.
    """
    found = scan(store)
    lost = [t.table for t in found.damaged if not t.derived]
    if lost:
        raise LedgerError(
            f"{', '.join(lost)} damaged: a rebuild cannot restore them; ingest the input files "
            f"into a new ledger ({arg('ingest')})"
        )
    with store.transaction():
        for t in found.damaged:
            store.drop(t.table)  # a damaged table is replaced without reading it
        build.rebuild(store, currency)
        record(store)
    return scan(store)


def _verdict(
    store: Store, name: str, recorded: tuple[int, int | None] | None, present: bool
) -> TableCheck:
    derived = name in REBUILT
    before = None if recorded is None else recorded[0]
    if not present:
        return TableCheck(name, "missing", None, before, derived, "recorded but not in the ledger")
    try:
        rows, checksum = fingerprint(store, name)
    except Exception as exc:  # the engine could not read it: that is the finding
        return TableCheck(name, "unreadable", None, before, derived, _first_line(exc))
    if recorded is None:
        return TableCheck(name, "unrecorded", rows, None, derived, "no checksum recorded yet")
    if rows != recorded[0]:
        return TableCheck(name, "damaged", rows, before, derived, "row count differs")
    if None not in (checksum, recorded[1]) and checksum != recorded[1]:
        return TableCheck(name, "damaged", rows, before, derived, "content differs")
    return TableCheck(name, "ok", rows, before, derived)


def _recorded(store: Store) -> dict[str, tuple[int, int | None]]:
    return {n: (k[0], k[1]) for n, k in _recorded_at(store).items()}


def _recorded_at(store: Store) -> dict[str, tuple[int, int | None, str]]:
    if not store.has(CHECKSUM_TABLE):
        return {}
    rows = store.to_arrow(store.table(CHECKSUM_TABLE)).to_pylist()
    return {r["table_name"]: (r["rows"], r["checksum"], r["at"]) for r in rows}


def _present(store: Store) -> list[str]:
    """The ledger's tables that exist: the catalogue's, then any a hook added (DuckDB lists)."""
    known = [n for n in LEDGER_TABLES if store.has(n)]
    extra: list[str] = []
    if store.name == "duckdb":
        extra = sorted(
            n
            for n in store.con.list_tables()
            if not n.startswith(("_", "ibis_"))
            and n not in known
            and n != CHECKSUM_TABLE
            and store.has(n)  # listed still while a transaction drops it
        )
    return [*known, *extra]


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
