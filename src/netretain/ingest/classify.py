"""Each good row's fate against the file and the ledger: new, repeat, conflict, unchanged, changed.

A row is compared by content only when its key is given twice in the file or is already in the
ledger. Those keys are found from the keys alone, before any row is checked: the usual case (a file
of new rows into an empty table) costs one aggregate over the key, and no row is turned into text.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from netretain.ingest import validate as v
from netretain.store import InputSpec

FATE_COLUMNS = ("_fp", "_old_fp", "_first_row", "_fate")


def key_text(t: ir.Table, spec: InputSpec) -> ir.StringValue:
    """A row's key as text, for rejects and corrections."""
    return ibis.literal("/").join([t[k].cast("string") for k in spec.stored_key])


@dataclass(frozen=True)
class Classified:
    """Good rows by fate: `plain` rows are new with a key seen once (lazy, most of a file);
    `compared` rows (materialised, few) have `_fate`, `_fp`, `_old_fp` and `_first_row`; None
    when no key needed a comparison."""

    plain: ir.Table
    compared: ir.Table | None

    def rows(self, fates: list[str]) -> ir.Table:
        """Every good row whose fate is one of `fates`, in the good rows' columns plus `_row`."""
        if self.compared is None:
            return self.plain if "new" in fates else self.plain.limit(0)
        columns = [c for c in self.compared.columns if c not in FATE_COLUMNS]
        chosen = self.compared.filter(self.compared._fate.isin(fates)).select(*columns)
        if "new" not in fates:
            return chosen
        return ibis.union(self.plain.select(*columns), chosen, distinct=False)


def candidates(keys: ir.Table, existing: ir.Table | None, spec: InputSpec) -> ir.Table:
    """Keys whose rows must be compared by content: given more than once in the file, or known
    to the ledger (`existing`; None when its table is empty, so no join at all).

    `keys` are every staged row's key (see validate.keys), checked or not: a key repeated only
    by a failed row is compared needlessly but with the same outcome, since only good rows are.
    """
    key = spec.stored_key
    # a count over each key's partition, not a GROUP BY: with millions of distinct keys DuckDB
    # partitions and counts about twice as fast as it builds one hash table of them all
    counted = keys.mutate(_n=keys.count().over(ibis.window(group_by=key)))
    repeated = counted.filter(counted._n > 1).select(*key).distinct()
    if existing is None:
        return repeated
    known = keys.semi_join(existing.select(*key), key)
    return ibis.union(repeated, known, distinct=True)


def with_fates(
    rest: ir.Table, existing: ir.Table, out: list[str], spec: InputSpec, extra: tuple[str, ...]
) -> ir.Table:
    """The fates of the good rows whose key is a candidate (see `candidates`), by content."""
    columns = spec.stored_columns(extra)
    missing = [c for c in columns if c not in existing.columns]
    existing = existing.mutate(**{c: ibis.null("string") for c in missing})
    return _compare(rest, existing, out, columns, spec.stored_key)


def _compare(
    rest: ir.Table, existing: ir.Table, out: list[str], columns: list[str], key: list[str]
) -> ir.Table:
    """Fates of rows whose key repeats in the file or is known: by content fingerprint."""
    rest = rest.mutate(_fp=v.fingerprint(rest, columns))
    w = ibis.window(group_by=key, order_by="_row")
    rest = rest.mutate(
        _rank=ibis.row_number().over(w),
        _first_fp=rest._fp.first().over(w),
        _first_row=rest._row.first().over(w),
    )
    before = existing.semi_join(rest.select(*key), key)
    old = before.select(*key, _old_fp=v.fingerprint(before, columns))
    joined = rest.left_join(old, key)
    fate = ibis.cases(
        ((joined._rank > 0) & (joined._fp == joined._first_fp), "repeat"),
        (joined._rank > 0, "conflict_in_file"),
        (joined._old_fp.isnull(), "new"),
        (joined._old_fp == joined._fp, "unchanged"),
        else_="changed",
    )
    return joined.select(
        *out, "_fp", "_old_fp", _first_row=joined._first_row.cast("int64"), _fate=fate
    )


def conflicts(classified: Classified, spec: InputSpec, file: str, replace: bool) -> ir.Table:
    """Reject records for keys given twice with different content, or changed without replace."""
    key_name = "+".join(spec.key)
    compared = classified.compared
    if compared is None:
        return v.empty_rejects()
    in_file = compared.filter(compared._fate == "conflict_in_file")
    again = f"conflict: this {key_name} is given again with different content; the first row "
    parts = [
        _key_rejects(
            in_file,
            spec,
            file,
            ibis.literal(f"{again}stands (row ")
            + in_file._first_row.cast("string")
            + ibis.literal(")"),
        )
    ]
    if not replace:
        changed = compared.filter(compared._fate == "changed")
        before = (
            f"conflict: this {key_name} was ingested before with different content; "
            "ingest it again with replace to record a correction"
        )
        parts.append(_key_rejects(changed, spec, file, ibis.literal(before)))
    return ibis.union(*parts, distinct=False)


def _key_rejects(rows: ir.Table, spec: InputSpec, file: str, reason: ir.StringValue) -> ir.Table:
    """(file, row, column, reason, value) for rows refused because of their key."""
    return rows.select(
        file=ibis.literal(file),
        row=rows._row,
        column=ibis.literal("+".join(spec.key)),
        reason=reason,
        value=key_text(rows, spec),
    )
