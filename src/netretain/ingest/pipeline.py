"""Ingest files into the ledger: validate, keep good rows, keep rejects, all in one transaction.

Idempotent: a file already ingested (same content hash) is skipped; a row whose key is known with
the same content is ignored; a known key with different content is a conflict unless `replace`,
which swaps the row and records the correction. Atomic: any failure, or `strict` with a reject,
leaves the ledger as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ibis
import ibis.expr.types as ir

from netretain.core import build
from netretain.core.errors import IngestError, Reject
from netretain.core.tables import empty_table, literal_table
from netretain.engines.base import Progress, Store
from netretain.ingest import validate as v
from netretain.ingest.schema import INGEST_ORDER, SPECS, InputSpec

Step = Callable[[str], Progress | None]  # a step's name -> its progress callback
SHOWN_REJECTS = 1000
REJECT_SCHEMA = {
    "file": "string",
    "row": "int64",
    "column": "string",
    "reason": "string",
    "value": "string",
}


@dataclass
class FileResult:
    """What one file contributed."""

    kind: str
    file: str
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    replaced: int = 0
    skipped: bool = False  # the same content was ingested before


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
    for kind, spec in SPECS.items():
        name = build.input_name(kind)
        if not store.has(name):
            store.replace(name, _empty_input(spec))
    bookkeeping = {
        "rejects": {
            "ingest_id": "int64",
            "kind": "string",
            "file": "string",
            "row": "int64",
            "column": "string",
            "reason": "string",
            "value": "string",
        },
        "ingests": {
            "ingest_id": "int64",
            "at": "string",
            "kind": "string",
            "file": "string",
            "sha256": "string",
            "accepted": "int64",
            "rejected": "int64",
            "unchanged": "int64",
            "replaced": "int64",
        },
        "corrections": {
            "ingest_id": "int64",
            "kind": "string",
            "key": "string",
            "file": "string",
            "row": "int64",
            "before": "string",
            "after": "string",
        },
    }
    for name, schema in bookkeeping.items():
        if not store.has(name):
            store.replace(name, empty_table(schema))


def _empty_input(spec: InputSpec) -> ir.Table:
    types = {
        "string": "string",
        "currency": "string",
        "date": "date",
        "month": "int64",
        "money": v.MONEY,
        "rate": "float64",
        "int": "int64",
    }
    schema = {("month_index" if c.type == "month" else c.name): types[c.type] for c in spec.columns}
    schema |= {"_file": "string", "_row": "int64", "_ingest_id": "int64"}
    return ibis.memtable(ibis.schema(schema).to_pyarrow().empty_table())


def ingest(
    store: Store,
    files: Mapping[str, str | Path],
    *,
    reporting: str = "USD",
    strict: bool = False,
    replace: bool = False,
    step: Step | None = None,
    labels: Mapping[str, str] | None = None,
) -> IngestResult:
    """Ingest the named files (kind -> path) in one transaction and rebuild the ledger.

    `labels` names a kind's input in rejects and the ingest log when its path means nothing to the
    user (a data frame written to a temporary file).
    """
    unknown = sorted(set(files) - set(SPECS))
    if unknown:
        raise IngestError(f"unknown input kind(s) {unknown}; known: {sorted(SPECS)}")
    with store.transaction():
        ensure_tables(store)
        ingest_id = _next_id(store)
        result = IngestResult(ingest_id)
        for kind in INGEST_ORDER:
            if kind in files:
                path = Path(files[kind])
                progress = step(f"reading {path.name}") if step else None
                label = (labels or {}).get(kind)
                result.files.append(
                    _ingest_file(
                        store, kind, path, ingest_id, reporting, replace, progress, result, label
                    )
                )
        if strict and result.rejected:
            shown = "\n".join(f"  {r}" for r in result.rejects[:20])
            raise IngestError(
                f"--strict: {result.rejected} row(s) rejected, nothing ingested:\n{shown}",
                rejects=tuple(result.rejects),
            )
        if result.changed or not store.has("mrr"):
            if step:
                step("building the ledger")
            build.rebuild(store, reporting)
    return result


def _next_id(store: Store) -> int:
    value = store.to_arrow(store.table("ingests").ingest_id.max().name("m").as_table())
    current = value.to_pylist()[0]["m"]
    return (current or 0) + 1


def _ingest_file(
    store: Store,
    kind: str,
    path: Path,
    ingest_id: int,
    reporting: str,
    replace: bool,
    progress: Progress | None,
    result: IngestResult,
    label: str | None = None,
) -> FileResult:
    spec = SPECS[kind]
    label = label or str(path)
    outcome = FileResult(kind, label)
    sha = file_sha256(path)
    ingests = store.table("ingests")
    seen = ingests.filter((ingests.kind == kind) & (ingests.sha256 == sha)).count()
    # --replace re-reads a known file: its conflicts are what the user asked to apply
    if not replace and store.to_arrow(seen.name("n").as_table()).to_pylist()[0]["n"]:
        outcome.skipped = True
        return outcome
    if not path.exists():
        raise IngestError(f"{path}: no such file", file=label)
    stream = store.stage_file(path, f"_stage_{kind}", progress)
    checked = v.validate(spec, stream.table, file=label, reporting=reporting)
    checked = _with_rate_check(store, kind, checked, reporting)
    flagged = store.temp(f"_flagged_{kind}", checked.table)
    checked = v.Validated(flagged, checked.checks, checked.extra)
    rejects = v.reject_records(flagged.filter(checked.any_failed), checked.checks, label)
    classified = _classify(store, spec, checked, ingest_id)
    conflicts = _conflicts(classified, spec, label, replace)
    all_rejects = ibis.union(rejects, conflicts, distinct=False)
    if stream.malformed:
        all_rejects = ibis.union(all_rejects, _malformed(stream.malformed), distinct=False)
    all_rejects = store.temp(f"_rejects_{kind}", all_rejects)
    _store_rows(store, spec, classified, replace, ingest_id, label, outcome)
    _store_rejects(store, kind, all_rejects, ingest_id, outcome, result)
    if outcome.rejected:
        _keep_refused_rows(store, kind, stream.table, all_rejects, ingest_id, label)
    _record(store, ingest_id, kind, label, sha, outcome)
    return outcome


def _with_rate_check(store: Store, kind: str, checked: v.Validated, reporting: str) -> v.Validated:
    """Reject revenue rows in a currency with no FX rate at or before their first month."""
    first_month = {
        "invoice_lines": "service_start",
        "subscriptions": "start_date",
        "mrr": "month",  # validated rows keep the month index under the input's name
    }.get(kind)
    if first_month is None:
        return checked
    rates = store.table(build.input_name("fx_rates"))
    known = store.to_arrow(rates.group_by("currency").aggregate(first=rates.month_index.min()))
    first_rate = {r["currency"]: r["first"] for r in known.to_pylist()}
    t = checked.table
    month = t[first_month] if first_month == "month" else v.month_index(t[first_month])
    foreign = t.currency != reporting
    if kind == "invoice_lines":
        foreign = foreign & (t.type != "one_time")
    if first_rate:
        cases = [(t.currency == c, m) for c, m in first_rate.items()]
        earliest = ibis.cases(*cases, else_=ibis.null("int64"))
    else:
        earliest = ibis.null("int64")
    extra = (
        v.Check(
            "currency",
            "no FX rate for this currency: add it to fx_rates",
            foreign & earliest.isnull(),
        ),
        v.Check(
            "currency",
            "no FX rate at or before this row's first month: add earlier rates to fx_rates",
            foreign & earliest.notnull() & (month < earliest),
        ),
    )
    base = len(checked.checks)
    table = t.mutate(
        **{f"{v.BAD}{base + i}": c.failed.fill_null(False) for i, c in enumerate(extra)}
    )
    return v.Validated(table, checked.checks + extra, checked.extra)


def _classify(store: Store, spec: InputSpec, checked: v.Validated, ingest_id: int) -> ir.Table:
    """Good rows, each with its fate: new, repeat, conflict in file, changed or unchanged."""
    good = v.good_rows(checked, spec)
    columns = v.stored_columns(spec, checked.extra)
    key = ["month_index" if k == "month" else k for k in spec.key]
    good = good.mutate(_fp=v.fingerprint(good, columns))
    w = ibis.window(group_by=key, order_by="_row")
    good = good.mutate(
        _rank=ibis.row_number().over(w),
        _first_fp=good._fp.first().over(w),
        _first_row=good._row.first().over(w),
    )
    existing = store.table(build.input_name(spec.kind))
    missing = [c for c in columns if c not in existing.columns]
    existing = existing.mutate(**{c: ibis.null("string") for c in missing})
    known = existing.select(*key, _old_fp=v.fingerprint(existing, columns))
    joined = good.left_join(known, key)
    fate = ibis.cases(
        ((joined._rank > 0) & (joined._fp == joined._first_fp), "repeat"),
        (joined._rank > 0, "conflict_in_file"),
        (joined._old_fp.isnull(), "new"),
        (joined._old_fp == joined._fp, "unchanged"),
        else_="changed",
    )
    out = joined.select(*good.columns, "_old_fp", _fate=fate)
    return store.temp(f"_classified_{spec.kind}", out)


def _key_text(t: ir.Table, spec: InputSpec) -> ir.StringValue:
    key = ["month_index" if k == "month" else k for k in spec.key]
    return ibis.literal("/").join([t[k].cast("string") for k in key])


def _conflicts(classified: ir.Table, spec: InputSpec, file: str, replace: bool) -> ir.Table:
    key_name = "+".join(spec.key)
    in_file = classified.filter(classified._fate == "conflict_in_file")
    parts = [
        in_file.select(
            file=ibis.literal(file),
            row=in_file._row,
            column=ibis.literal(key_name),
            reason=ibis.literal(
                f"conflict: this {key_name} is given again with different content; "
                "the first row stands (row "
            )
            + in_file._first_row.cast("string")
            + ibis.literal(")"),
            value=_key_text(in_file, spec),
        )
    ]
    if not replace:
        changed = classified.filter(classified._fate == "changed")
        parts.append(
            changed.select(
                file=ibis.literal(file),
                row=changed._row,
                column=ibis.literal(key_name),
                reason=ibis.literal(
                    f"conflict: this {key_name} was ingested before with different "
                    "content; use --replace to record a correction"
                ),
                value=_key_text(changed, spec),
            )
        )
    return ibis.union(*parts, distinct=False)


def _malformed(rows: list[Reject]) -> ir.Table:
    return literal_table(
        {
            "file": [r.file for r in rows],
            "row": [r.row for r in rows],
            "column": [r.column for r in rows],
            "reason": [r.reason for r in rows],
            "value": [r.value for r in rows],
        },
        REJECT_SCHEMA,
    )


def _count(store: Store, expr: ir.Table) -> int:
    return store.to_arrow(expr.count().name("n").as_table()).to_pylist()[0]["n"]


def _store_rows(
    store: Store,
    spec: InputSpec,
    classified: ir.Table,
    replace: bool,
    ingest_id: int,
    file: str,
    outcome: FileResult,
) -> None:
    columns = [c for c in classified.columns if not c.startswith("_")]
    name = build.input_name(spec.kind)
    counts = store.to_arrow(
        classified.group_by("_fate").aggregate(n=classified.count())
    ).to_pylist()
    by_fate = {r["_fate"]: r["n"] for r in counts}
    outcome.unchanged = by_fate.get("unchanged", 0) + by_fate.get("repeat", 0)
    fates = ["new", "changed"] if replace else ["new"]
    incoming = classified.filter(classified._fate.isin(fates))
    rows = incoming.select(
        *columns,
        _file=ibis.literal(file),
        _row=incoming._row,
        _ingest_id=ibis.literal(ingest_id, "int64"),
    )
    if replace and by_fate.get("changed"):
        _replace_rows(store, spec, classified, ingest_id, file)
        outcome.replaced = by_fate["changed"]
    store.append(name, rows)
    outcome.accepted = by_fate.get("new", 0)


def _replace_rows(
    store: Store, spec: InputSpec, classified: ir.Table, ingest_id: int, file: str
) -> None:
    """Drop the old versions of changed rows and record each correction."""
    key = ["month_index" if k == "month" else k for k in spec.key]
    name = build.input_name(spec.kind)
    changed = classified.filter(classified._fate == "changed")
    existing = store.table(name)
    corrections = changed.select(
        ingest_id=ibis.literal(ingest_id, "int64"),
        kind=ibis.literal(spec.kind),
        key=_key_text(changed, spec),
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
    outcome.rejected = _count(store, rejects.select("file", "row").distinct())
    store.append(
        "rejects",
        rejects.select(
            *rejects.columns, ingest_id=ibis.literal(ingest_id, "int64"), kind=ibis.literal(kind)
        ),
    )
    shown = store.to_arrow(rejects.order_by(["row", "column"]).limit(SHOWN_REJECTS)).to_pylist()
    result.rejects.extend(Reject(**r) for r in shown)


def refused_rows_table(kind: str) -> str:
    """The table that keeps a kind's refused rows as they came."""
    return f"refused_{kind}"


def _keep_refused_rows(
    store: Store, kind: str, staged: ir.Table, rejects: ir.Table, ingest_id: int, file: str
) -> None:
    """Keep refused rows as text in their own columns, to be exported, fixed and re-ingested."""
    refused_rows = rejects.select(refused_row="row").distinct()
    refused = staged.join(refused_rows, staged._row == refused_rows.refused_row)
    columns = [c for c in staged.columns if c != "_row"]
    store.append(
        refused_rows_table(kind),
        refused.select(
            _ingest_id=ibis.literal(ingest_id, "int64"),
            _file=ibis.literal(file),
            _row=refused._row,
            **{c: refused[c].cast("string") for c in columns},
        ),
    )


def _record(
    store: Store, ingest_id: int, kind: str, file: str, sha: str, outcome: FileResult
) -> None:
    row = {
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
