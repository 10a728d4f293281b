"""The leaf bytes of `leaves` as Ibis expressions over stored input rows, so an engine builds every
leaf's text set-based (an engine's `leaf_sha256` then hashes it). `leaves.leaf_bytes` is the
reference; tests/transparency/test_log.py holds the two equal on every kind and engine.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from netretain.core.arith import exact_div
from netretain.store.inputs import MINOR_UNITS, MONEY_SCALE, SPECS, Column, InputSpec
from netretain.transparency.leaves import FORMAT_VERSION, RATE_DECIMALS

# json.dumps(ensure_ascii=False): these characters are escaped, everything else is kept as it is.
_SHORT = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
ESCAPES = (
    *_SHORT.items(),
    *((chr(c), f"\\u{c:04x}") for c in range(1, 0x20) if chr(c) not in _SHORT),
)
NEEDS_ESCAPE = r'[\x01-\x1f"\\]'
NULL = ibis.literal("null")


def sorted_keys(names: Sequence[str]) -> list[str]:
    """Object keys in canonical order (UTF-16 code units, as `canonical` sorts them)."""
    return sorted(names, key=lambda k: k.encode("utf-16-be"))


def quoted(text: ir.StringValue, escape: ir.BooleanValue | bool = True) -> ir.StringValue:
    """A JSON string; the escapes apply only where `escape` holds (rows that need them)."""
    escaped = text
    for raw, code in ESCAPES:
        escaped = escaped.replace(raw, code)
    body = escaped if escape is True else ibis.ifelse(escape, escaped, text)
    return ibis.literal('"') + body + ibis.literal('"')


def extra_columns(t: ir.Table, spec: InputSpec) -> list[str]:
    """A stored table's custom columns: neither the spec's nor bookkeeping."""
    known = {c.stored for c in spec.columns}
    return [c for c in t.columns if c not in known and not c.startswith("_")]


def _escape_flag(t: ir.Table, names: Sequence[str]) -> ir.BooleanValue:
    """Whether any text column of the row holds a character JSON escapes (rare: one regex)."""
    if not names:
        return ibis.literal(False)
    joined = ibis.literal("").join([t[n].fill_null("") for n in names])
    return joined.re_search(NEEDS_ESCAPE)


def _money_steps(t: ir.Table, spec: InputSpec) -> ir.Table:
    """Each money column's whole and fractional digits, in named steps (small SQL)."""
    money = [c.stored for c in spec.columns if c.type == "money"]
    if not money:
        return t
    scale = 10**MONEY_SCALE
    t = t.mutate(**{f"_u_{m}": (t[m] * scale).cast("int64") for m in money})
    return t.mutate(
        **{f"_w_{m}": exact_div(t[f"_u_{m}"].abs(), ibis.literal(scale)) for m in money},
        **{f"_f_{m}": (t[f"_u_{m}"].abs() % scale).cast("string").lpad(MONEY_SCALE, "0")
           for m in money},
    )  # fmt: skip


def _money(t: ir.Table, name: str) -> ir.StringValue:
    """Decimal text at the currency's ISO 4217 minor units, from the exact stored decimal."""
    whole, fraction = t[f"_w_{name}"].cast("string"), t[f"_f_{name}"]
    groups: dict[int, list[str]] = {}
    for code, minor in MINOR_UNITS.items():
        groups.setdefault(minor, []).append(code)
    cases = [(t._currency.isin(codes), ibis.literal(minor)) for minor, codes in groups.items()]
    minor = ibis.cases(*cases, else_=2)
    digits = ibis.ifelse(minor == 0, whole, whole + "." + fraction.substr(0, minor))
    return ibis.ifelse(t[f"_u_{name}"] < 0, "-" + digits, digits)


def _month(index: ir.IntegerValue) -> ir.StringValue:
    year = exact_div(index, ibis.literal(12)).cast("string").lpad(4, "0")
    return year + "-" + ((index % 12) + 1).cast("string").lpad(2, "0")


def _rate(value: ir.FloatingValue) -> ir.StringValue:
    """Via the double's shortest text (an engine's cast of a double to a decimal is not exact)."""
    text = value.cast("string").cast(f"decimal(38, {RATE_DECIMALS})").cast("string")
    return text.re_replace("0+$", "").re_replace(r"\.$", "")


def _value(t: ir.Table, column: Column) -> ir.StringValue:
    col = t[column.stored]
    kind = column.type
    if kind == "string":
        text = quoted(col, t._esc)
    elif kind == "currency":
        text = ibis.literal('"') + col.upper() + '"'
    elif kind == "int":
        text = col.cast("string")
    elif kind == "date":
        text = ibis.literal('"') + col.cast("string") + '"'
    elif kind == "month":
        text = ibis.literal('"') + _month(col) + '"'
    elif kind == "money":
        text = ibis.literal('"') + _money(t, column.stored) + '"'
    elif kind == "rate":
        text = ibis.literal('"') + _rate(col) + '"'
    elif kind == "time":  # ISO text, normalised by ingest: nothing to escape
        text = ibis.literal('"') + col + '"'
    else:
        raise ValueError(f"unknown column type {kind}")
    return text.fill_null(NULL)


def with_key(t: ir.Table, kind: str) -> ir.Table:
    """Rows with `_key`, the canonical JSON of their key (the log's append order), apart from the
    leaf text: an engine then orders the narrow rows, not their leaf texts (a third of the CPU
    and most of the memory of the log's step at a million customers)."""
    spec = SPECS[kind]
    columns = [spec.column(k) for k in spec.key]
    p = t.mutate(_esc=_escape_flag(t, [c.stored for c in columns if c.type == "string"]))
    if "currency" in t.columns:
        p = p.mutate(_currency=p.currency.upper())
    p = _money_steps(p, spec)
    key = "[" + ibis.literal(",").join([_value(p, c) for c in columns]) + "]"
    return p.mutate(_key=key).select(*t.columns, "_key")


def with_leaf(t: ir.Table, kind: str, corrects: str | None = None) -> ir.Table:
    """Stored rows with `_key` (the canonical JSON of the key: the append order) and `_leaf` (the
    leaf's text; `corrects` names a column holding the JSON of the leaf a row corrects)."""
    spec = SPECS[kind]
    extra = extra_columns(t, spec)
    texts = [c.stored for c in spec.columns if c.type == "string"] + extra
    t = t.mutate(_esc=_escape_flag(t, texts))
    if "currency" in t.columns:
        t = t.mutate(_currency=t.currency.upper())
    t = _money_steps(t, spec)
    names = {c.name: f"_j{i}" for i, c in enumerate(spec.columns)}
    t = t.mutate(
        **{names[c.name]: _value(t, c) for c in spec.columns},
        **{f"_x{i}": quoted(t[name].cast("string"), t._esc) for i, name in enumerate(extra)},
    )
    ref = NULL if corrects is None else t[corrects].fill_null(NULL)
    pieces: list[ir.StringValue] = [
        ibis.literal('{"corrects":'),
        ref,
        ibis.literal(f',"kind":{_json_key(kind)},"row":{{'),
        *_fields(t, sorted_keys([*names, *extra]), names, extra),
        ibis.literal(f'}},"v":{FORMAT_VERSION}}}'),
    ]
    leaf = ibis.literal("").join(pieces)  # one concatenation: each `+` copies the text so far
    if "_key" in t.columns:  # ordered by it already (with_key)
        return t.mutate(_leaf=leaf)
    key = "[" + ibis.literal(",").join([t[names[k]] for k in spec.key]) + "]"
    return t.mutate(_key=key, _leaf=leaf)


def _fields(
    t: ir.Table, ordered: Sequence[str], names: dict[str, str], extra: Sequence[str]
) -> list[ir.StringValue]:
    """The row object's members as pieces to concatenate: a custom column only when the row has
    a value (when such a column comes first, its comma and the others' are cut as one text)."""
    parts: list[ir.StringValue] = []
    for n, name in enumerate(ordered):
        head = ibis.literal(("," if n or name not in names else "") + _json_key(name) + ":")
        if name in names:
            parts += [head, t[names[name]]]
        else:
            parts.append((head + t[f"_x{extra.index(name)}"]).fill_null(""))
    if ordered[0] in names:
        return parts
    return [ibis.literal("").join(parts).substr(1)]


def reference_text(index: ir.IntegerValue, leaf_hash: ir.StringValue) -> ir.StringValue:
    """The `corrects` object naming a leaf by index and hex leaf hash."""
    return '{"index":' + index.cast("string") + ',"leaf_hash":"' + leaf_hash + '"}'


def _json_key(name: str) -> str:
    import json

    return json.dumps(name, ensure_ascii=False)
