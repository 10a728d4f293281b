"""Ingest files into the ledger: validate, keep good rows, keep rejects, all in one transaction.

Every row is accounted for: a file's rows read = accepted + replaced + unchanged + rejected.
Idempotent: a file already ingested (same content hash) is skipped; a row whose key is known with
the same content is ignored; a known key with different content is a conflict unless `replace`,
which swaps the row and records the correction. Atomic: any failure, or `strict` with a reject,
leaves the ledger as it was. Registered hooks run last, inside the same transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from netretain.core.tables import empty_table, literal_table
from netretain.engines import readers
from netretain.errors import IngestError, Reject, arg
from netretain.ingest import validate as v
from netretain.ingest.classify import Classified, candidates, key_text, with_fates
from netretain.ingest.classify import conflicts as classify_conflicts
from netretain.ledger import build, incremental
from netretain.ledger.incremental import Delta
from netretain.ledger.run import count
from netretain.store import INGEST_ORDER, SPECS, InputSpec, Progress, Store, input_table
from netretain.store.catalogue import RECORDS, REJECT, input_schema, refused_table

Step = Callable[[str], Progress | None]  # a step's name -> its progress callback
SHOWN_REJECTS = 1000


@dataclass
class FileResult:
    """What one file contributed: read = accepted + replaced + unchanged + rejected."""

    kind: str
    file: str
    read: int = 0  # rows in the file (blank lines are none; a malformed line is one)
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    replaced: int = 0
    skipped: bool = False  # the same content was ingested before
    ingested_on: str | None = None  # when it was, for a skipped file (YYYY-MM-DD)

    @property
    def note(self) -> str:
        """What became of a skipped file ("" for a file that was read)."""
        if self.skipped:
            return f"already ingested on {self.ingested_on} (same sha256); nothing to do"
        return ""


@dataclass(frozen=True)
class Ingested:
    """What an ingest accepted, as a hook sees it before the ingest commits (see ledger.hooks)."""

    store: Store
    ingest_id: int
    files: tuple[FileResult, ...]
    currency: str
    # each derived table's change when the rebuild was incremental (None: rebuilt whole)
    deltas: Mapping[str, Delta] | None = None


IngestHook = Callable[[Ingested], None]


@dataclass
class IngestResult:
    """What an ingest did, with the rejects it kept (file, row, column, reason)."""

    ingest_id: int
    files: list[FileResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(f.accepted for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def changed(self) -> bool:
        return any(f.accepted or f.replaced for f in self.files)

    def to_dict(self) -> dict:
        return {
            "ingest_id": self.ingest_id,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "unchanged": sum(f.unchanged for f in self.files),
            "replaced": sum(f.replaced for f in self.files),
            "read": sum(f.read for f in self.files),
            "files": [f.__dict__ for f in self.files],
            "rejects": [r.__dict__ for r in self.rejects],
        }


def file_sha256(path: Path) -> str:
    """Content hash of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_tables(store: Store) -> None:
    """Create the empty input and bookkeeping tables of a new ledger."""
    for kind in SPECS:
        if not store.has(input_table(kind)):
            store.replace(input_table(kind), empty_table(input_schema(kind)))
    for name, schema in RECORDS.items():
        if not store.has(name):
            store.replace(name, empty_table(schema))


def ingest(
    store: Store,
    files: Mapping[str, str | Path],
    *,
    currency: str = "USD",
    strict: bool = False,
    replace: bool = False,
    step: Step | None = None,
    labels: Mapping[str, str] | None = None,
    hooks: Sequence[IngestHook] = (),
    data_as_of: str | dt.date | None = None,
    encoding: str | None = None,
) -> IngestResult:
    """Ingest the named files (kind -> path) in one transaction and rebuild the ledger.

    `labels` names a kind's input in rejects and the ingest log when its path means nothing to the
    user (a data frame written to a temporary file). `data_as_of` (when the export was taken) is
    kept in the ledger's meta: the default report month is the last complete month before it.
    `encoding` is what CSV files are written in (e.g. latin-1); by default UTF-8, or UTF-16/32
    when the file starts with its byte order mark.
    """
    unknown = sorted(set(files) - set(SPECS))
    if unknown:
        raise IngestError(f"unknown input kind(s) {unknown}; known: {sorted(SPECS)}")
    taken = None if data_as_of is None else export_date(data_as_of)
    with store.transaction():
        ensure_tables(store)
        ingest_id = _next_id(store)
        result = IngestResult(ingest_id)
        for kind in INGEST_ORDER:
            if kind in files:
                path = Path(files[kind])
                label = (labels or {}).get(kind)
                source = _Source(kind, path, label or str(path), encoding)
                result.files.append(
                    _ingest_file(store, source, ingest_id, currency, replace, step, result)
                )
        if strict and result.rejected:
            shown = "\n".join(f"  {r}" for r in result.rejects[:20])
            raise IngestError(
                f"{arg('strict')}: {result.rejected} row(s) rejected, nothing ingested:\n{shown}",
                rejects=tuple(result.rejects),
            )
        deltas = None
        if result.changed or not store.has("mrr"):
            with _phase(store, step, "building the ledger"):
                deltas = _rebuild(store, currency, ingest_id, result)
        if taken is not None:
            build.record(store, data_as_of=taken.isoformat())
        accepted = Ingested(store, ingest_id, tuple(result.files), currency, deltas)
        for hook in hooks:
            hook(accepted)
    return result


def _rebuild(
    store: Store, currency: str, ingest_id: int, result: IngestResult
) -> dict[str, Delta] | None:
    """Only the months new rows can change, when the ingest replaced none; else everything."""
    if any(f.replaced for f in result.files):
        build.rebuild(store, currency)
        return None
    kinds = {f.kind for f in result.files if f.accepted}
    return incremental.update(store, currency, ingest_id, kinds)


def export_date(value: str | dt.date) -> dt.date:
    """`data_as_of` as a date: YYYY-MM-DD, not in the future."""
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise IngestError(f"{arg('data_as_of')} {value!r} is not a date: use YYYY-MM-DD") from None
    if day > dt.date.today():
        raise IngestError(f"{arg('data_as_of')} {day} is in the future: give the export's date")
    return day


@contextmanager
def _phase(store: Store, step: Step | None, name: str) -> Iterator[None]:
    """A named step whose bar follows the engine's progress through each statement."""
    with store.watching(step(name) if step else None):
        yield


def _next_id(store: Store) -> int:
    value = store.to_arrow(store.table("ingests").ingest_id.max().name("m").as_table())
    current = value.to_pylist()[0]["m"]
    return int(current or 0) + 1


@dataclass(frozen=True)
class _Source:
    """One input file: its kind, where it is, how rejects name it, what it is encoded in."""

    kind: str
    path: Path
    label: str
    encoding: str | None


def _ingest_file(
    store: Store,
    source: _Source,
    ingest_id: int,
    currency: str,
    replace: bool,
    step: Step | None,
    result: IngestResult,
) -> FileResult:
    kind, path, label = source.kind, source.path, source.label
    outcome = FileResult(kind, label)
    if not path.exists():
        raise IngestError(f"{path}: no such file", file=label)
    version = _version(path)
    sha = file_sha256(path)
    # replace re-reads a known file: its conflicts are what the user asked to apply
    if not replace and (first := _ingested_on(store, kind, sha)):
        outcome.skipped, outcome.ingested_on = True, first
        return outcome
    with tempfile.TemporaryDirectory(prefix="netretain-") as scratch:
        utf8 = readers.utf8_csv(path, Path(scratch), encoding=source.encoding, label=label)
        if readers.file_format(path) == "csv":
            readers.csv_header(utf8, label)  # not comma-separated, or a repeated name: refused
        _ingest_rows(store, source, utf8, ingest_id, currency, replace, step, result, outcome)
        _record(store, ingest_id, kind, label, sha, outcome)
    if _version(path) != version:  # the engine may read a file more than once (Parquet on DuckDB)
        raise IngestError(
            f"{path}: the file changed while it was being ingested; nothing was ingested: "
            "run it again",
            file=label,
        )
    for scratch_table in (
        "_stage_",
        "_flagged_",
        "_failed_",
        "_compare_",
        "_classified_",
        "_rejects_",
    ):
        store.drop(f"{scratch_table}{kind}")  # each file's scratch tables go before the next
    return outcome


def _ingested_on(store: Store, kind: str, sha: str) -> str | None:
    """The day a file with this content was first ingested as this kind, if it was."""
    ingests = store.table("ingests")
    seen = ingests.filter((ingests.kind == kind) & (ingests.sha256 == sha))
    first = store.to_arrow(seen.at.min().name("at").as_table()).to_pylist()[0]["at"]
    return None if first is None else str(first)[:10]


def _ingest_rows(
    store: Store,
    source: _Source,
    utf8: Path,
    ingest_id: int,
    currency: str,
    replace: bool,
    step: Step | None,
    result: IngestResult,
    outcome: FileResult,
) -> None:
    """Stage, classify, check and store one file's rows, and keep what was refused.

    Good rows are checked once, on their way into the ledger; the failed ones are looked for only
    when the count of rows stored says there are some.
    """
    kind, path, label = source.kind, source.path, source.label
    spec = SPECS[kind]
    stream = store.stage_file(
        utf8, f"_stage_{kind}", step(f"reading {path.name}") if step else None
    )
    malformed = [dataclasses.replace(r, file=label) for r in stream.malformed]
    checked = v.validate(spec, stream.table, file=label, currency=currency)
    checked = v.with_rate_checks(kind, checked, _first_rates(store), currency)
    checked = v.with_customer_check(kind, checked, _known_customers(store, kind))
    flagged = store.reused(f"_flagged_{kind}", checked.table)
    checked = v.Validated(flagged, checked.checks, checked.extra)
    staged_rows = count(store, stream.table)
    outcome.read = staged_rows + len(malformed)
    with _phase(store, step, f"comparing {path.name} with the ledger"):
        classified = classify(store, spec, stream.table, checked, currency)
    with _phase(store, step, f"storing {path.name}"):
        good_rows = _store_rows(store, spec, classified, replace, ingest_id, label, outcome)
    parts = []
    if staged_rows > good_rows:
        with _phase(store, step, f"checking {path.name}"):
            parts.append(_failed_rejects(store, kind, stream.table, checked, label))
    if classified.compared is not None:
        parts.append(classify_conflicts(classified, spec, label, replace))
    if malformed:
        parts.append(_malformed(malformed))
    if parts:
        all_rejects = store.temp(f"_rejects_{kind}", ibis.union(*parts, distinct=False))
        _store_rejects(store, kind, all_rejects, ingest_id, outcome, result)
        if outcome.rejected:
            _keep_refused_rows(store, kind, stream.table, all_rejects, ingest_id, label)
    if malformed:
        _keep_malformed_lines(store, kind, malformed, ingest_id)


def _failed_rejects(
    store: Store, kind: str, staged: ir.Table, checked: v.Validated, label: str
) -> ir.Table:
    """One reject per failed check of the rows that failed any (materialised: they are few)."""
    failed = store.temp(f"_failed_{kind}", checked.table.filter(checked.any_failed))
    raw = v.raw_values(staged, failed.select("_row"))
    return v.reject_records(failed.join(raw, failed._row == raw._raw_row), checked.checks, label)


def _version(path: Path) -> tuple[int, int]:
    """Size and modification time: what tells that a file was rewritten during an ingest."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _first_rates(store: Store) -> dict[str, int]:
    """Each currency's first month with an FX rate, as the ledger knows them now."""
    rates = store.table(input_table("fx_rates"))
    known = store.to_arrow(rates.group_by("currency").aggregate(first=rates.month_index.min()))
    return {r["currency"]: r["first"] for r in known.to_pylist()}


def _known_customers(store: Store, kind: str) -> ir.Table | None:
    """Every customer id the inputs name so far (this ingest's earlier files included)."""
    if kind != "usage_events":
        return None
    kinds = ("customers", "subscriptions", "invoice_lines", "mrr")
    ids = [store.table(input_table(k)).select("customer_id") for k in kinds]
    return ibis.union(*ids, distinct=False)


def classify(
    store: Store, spec: InputSpec, staged: ir.Table, checked: v.Validated, currency: str
) -> Classified:
    """Split good rows into plain new rows and rows compared by content (see ingest.classify)."""
    name = input_table(spec.kind)
    existing = store.table(name)
    key = spec.stored_key
    known = existing if count(store, existing.limit(1)) else None
    found = candidates(v.keys(spec, staged, currency), known, spec)
    keys = store.temp(f"_compare_{spec.kind}", found)
    good = v.good_rows(checked, spec)
    if not count(store, keys):
        return Classified(good, None)  # the usual case: no row to set apart
    rest = good.semi_join(keys, key)
    compared = store.temp(
        f"_classified_{spec.kind}", with_fates(rest, existing, good.columns, spec, checked.extra)
    )
    return Classified(good.anti_join(keys, key), compared)


def _malformed(rows: list[Reject]) -> ir.Table:
    return literal_table(
        {
            "file": [r.file for r in rows],
            "row": [r.row for r in rows],
            "column": [r.column for r in rows],
            "reason": [r.reason for r in rows],
            "value": [r.value for r in rows],
        },
        REJECT,
    )


def _store_rows(
    store: Store,
    spec: InputSpec,
    classified: Classified,
    replace: bool,
    ingest_id: int,
    file: str,
    outcome: FileResult,
) -> int:
    """Append the new (and with `replace` the changed) rows; return how many rows were good.

    The plain rows are counted by what the table gained, so they are checked only once.
    """
    name = input_table(spec.kind)
    compared = classified.compared
    by_fate: dict[str, int] = {}
    if compared is not None:
        counts = compared.group_by("_fate").aggregate(n=compared.count())
        by_fate = {r["_fate"]: r["n"] for r in store.to_arrow(counts).to_pylist()}
    outcome.unchanged = by_fate.get("unchanged", 0) + by_fate.get("repeat", 0)
    fates = ["new", "changed"] if replace else ["new"]
    incoming = classified.rows(fates)
    rows = incoming.select(
        *[c for c in incoming.columns if not c.startswith("_")],
        _file=ibis.literal(file),
        _row=incoming._row,
        _ingest_id=ibis.literal(ingest_id, "int64"),
    )
    if replace and by_fate.get("changed") and compared is not None:
        _replace_rows(store, spec, compared, ingest_id, file)
        outcome.replaced = by_fate["changed"]
    before = count(store, store.table(name))
    store.append(name, rows)
    plain = count(store, store.table(name)) - before - sum(by_fate.get(f, 0) for f in fates)
    outcome.accepted = plain + by_fate.get("new", 0)
    return plain + sum(by_fate.values())


def _replace_rows(
    store: Store, spec: InputSpec, compared: ir.Table, ingest_id: int, file: str
) -> None:
    """Drop the old versions of changed rows and record each correction."""
    key = spec.stored_key
    name = input_table(spec.kind)
    changed = compared.filter(compared._fate == "changed")
    existing = store.table(name)
    corrections = changed.select(
        ingest_id=ibis.literal(ingest_id, "int64"),
        kind=ibis.literal(spec.kind),
        key=key_text(changed, spec),
        file=ibis.literal(file),
        row=changed._row,
        before=changed._old_fp,
        after=changed._fp,
    )
    store.append("corrections", corrections)
    kept = existing.anti_join(changed.select(*key), key)
    store.replace(f"_kept_{spec.kind}", kept)
    store.replace(name, store.table(f"_kept_{spec.kind}"))
    store.drop(f"_kept_{spec.kind}")


def _store_rejects(
    store: Store,
    kind: str,
    rejects: ir.Table,
    ingest_id: int,
    outcome: FileResult,
    result: IngestResult,
) -> None:
    outcome.rejected = count(store, rejects.select("file", "row").distinct())
    store.append(
        "rejects",
        rejects.select(
            *rejects.columns, ingest_id=ibis.literal(ingest_id, "int64"), kind=ibis.literal(kind)
        ),
    )
    shown = store.to_arrow(
        rejects.order_by(["row", "column", "reason"]).limit(SHOWN_REJECTS)
    ).to_pylist()
    result.rejects.extend(Reject(**r) for r in shown)


def _keep_refused_rows(
    store: Store, kind: str, staged: ir.Table, rejects: ir.Table, ingest_id: int, file: str
) -> None:
    """Keep refused rows as text in their own columns, to be exported, fixed and re-ingested."""
    refused_rows = rejects.select(refused_row="row").distinct()
    refused = staged.join(refused_rows, staged._row == refused_rows.refused_row)
    columns = [c for c in staged.columns if c != "_row"]
    store.append(
        refused_table(kind),
        refused.select(
            _ingest_id=ibis.literal(ingest_id, "int64"),
            _file=ibis.literal(file),
            _row=refused._row,
            **{c: refused[c].cast("string") for c in columns},
        ),
    )


def _keep_malformed_lines(store: Store, kind: str, malformed: list[Reject], ingest_id: int) -> None:
    """Keep lines with the wrong number of fields whole, in `_line`, to be exported as they came."""
    rows: dict[str, list[Any]] = {
        "_ingest_id": [ingest_id] * len(malformed),
        "_file": [r.file for r in malformed],
        "_row": [r.row for r in malformed],
        "_line": [r.value for r in malformed],
    }
    schema = {"_ingest_id": "int64", "_file": "string", "_row": "int64", "_line": "string"}
    store.append(refused_table(kind), literal_table(rows, schema))


def _record(
    store: Store, ingest_id: int, kind: str, file: str, sha: str, outcome: FileResult
) -> None:
    row: dict[str, list[Any]] = {
        "ingest_id": [ingest_id],
        "at": [datetime.now(UTC).isoformat(timespec="seconds")],
        "kind": [kind],
        "file": [file],
        "sha256": [sha],
        "accepted": [outcome.accepted],
        "rejected": [outcome.rejected],
        "unchanged": [outcome.unchanged],
        "replaced": [outcome.replaced],
    }
    schema = {name: str(dtype) for name, dtype in store.table("ingests").schema().items()}
    store.append("ingests", literal_table(row, schema))
