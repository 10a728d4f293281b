"""Each good row's fate against the file and the ledger: new, repeat, conflict, unchanged, changed.

A row is compared by content only when its key is given twice in the file or is already in the
ledger. Those rows are few, so the usual case (a file of new rows) costs one aggregate and two
hash joins, and no row is turned into text.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from netretain.core.build import input_name
from netretain.engines.base import Store
from netretain.ingest import validate as v
from netretain.ingest.schema import InputSpec

FATE_COLUMNS = ("_fp", "_old_fp", "_first_row", "_fate")


def key_columns(spec: InputSpec) -> list[str]:
    """The stored columns of a kind's key (months as month_index)."""
    return ["month_index" if k == "month" else k for k in spec.key]


def key_text(t: ir.Table, spec: InputSpec) -> ir.StringValue:
    """A row's key as text, for rejects and corrections."""
    return ibis.literal("/").join([t[k].cast("string") for k in key_columns(spec)])


@dataclass(frozen=True)
class Classified:
    """Good rows by fate: `plain` rows are new with a key seen once (lazy, most of a file);
    `compared` rows (materialised, few) have `_fate`, `_fp`, `_old_fp` and `_first_row`."""

    plain: ir.Table
    compared: ir.Table

    def rows(self, fates: list[str]) -> ir.Table:
        """Every good row whose fate is one of `fates`, in the good rows' columns plus `_row`."""
        columns = [c for c in self.compared.columns if c not in FATE_COLUMNS]
        chosen = self.compared.filter(self.compared._fate.isin(fates)).select(*columns)
        if "new" not in fates:
            return chosen
        return ibis.union(self.plain.select(*columns), chosen, distinct=False)


def classify(store: Store, spec: InputSpec, good: ir.Table, extra: tuple[str, ...]) -> Classified:
    """Split good rows into plain new rows and rows compared by content (see the module doc)."""
    columns = v.stored_columns(spec, extra)
    key = key_columns(spec)
    existing = store.table(input_name(spec.kind))
    missing = [c for c in columns if c not in existing.columns]
    existing = existing.mutate(**{c: ibis.null("string") for c in missing})
    counts = good.group_by(key).aggregate(_n=good.count())
    marked = _mark(good, counts.filter(counts._n > 1).select(*key), key, "_repeated")
    marked = _mark(marked, existing.select(*key), key, "_known")
    rest = store.temp(f"_compare_{spec.kind}", marked.filter(marked._repeated | marked._known))
    compared = store.temp(
        f"_classified_{spec.kind}", _compare(rest, existing, good.columns, columns, key)
    )
    if not store.to_arrow(rest.count().name("n").as_table()).column(0)[0].as_py():
        return Classified(good, compared)  # the usual case: no row to set apart
    return Classified(good.anti_join(rest, "_row"), compared)


def _mark(t: ir.Table, keys: ir.Table, key: list[str], flag: str) -> ir.Table:
    """`t` with a boolean `flag`: whether the row's key is in `keys` (distinct keys)."""
    joined = t.left_join(keys.mutate(**{flag: ibis.literal(True)}), key)
    return joined.select(*t.columns, **{flag: joined[flag].fill_null(False)})


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
    before = existing.semi_join(rest.filter(rest._known).select(*key), key)
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
    """Reject records for keys given twice with different content, or changed without --replace."""
    key_name = "+".join(spec.key)
    compared = classified.compared
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
            "use --replace to record a correction"
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
