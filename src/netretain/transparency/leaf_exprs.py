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


def _money(value: ir.Value, currency: ir.StringValue) -> ir.StringValue:
    """Decimal text at the currency's ISO 4217 minor units, from the exact stored decimal."""
    units = (value * 10**MONEY_SCALE).cast("int64")
    size = units.abs()
    whole = exact_div(size, ibis.literal(10**MONEY_SCALE)).cast("string")
    fraction = (size % 10**MONEY_SCALE).cast("string").lpad(MONEY_SCALE, "0")
    groups: dict[int, list[str]] = {}
    for code, minor in MINOR_UNITS.items():
        groups.setdefault(minor, []).append(code)

    def at(minor: int) -> ir.StringValue:
        return whole if minor == 0 else whole + "." + fraction.substr(0, minor)

    text = ibis.cases(*((currency.isin(c), at(m)) for m, c in groups.items()), else_=at(2))
    return ibis.ifelse(units < 0, "-" + text, text)


def _month(index: ir.IntegerValue) -> ir.StringValue:
    year = exact_div(index, ibis.literal(12)).cast("string").lpad(4, "0")
    return year + "-" + ((index % 12) + 1).cast("string").lpad(2, "0")


def _rate(value: ir.FloatingValue) -> ir.StringValue:
    text = value.cast(f"decimal(38, {RATE_DECIMALS})").cast("string")
    return text.re_replace("0+$", "").re_replace(r"\.$", "")


def _value(t: ir.Table, column: Column, escape: ir.BooleanValue) -> ir.StringValue:
    col = t[column.stored]
    kind = column.type
    if kind == "string":
        text = quoted(col, escape)
    elif kind == "currency":
        text = ibis.literal('"') + col.upper() + '"'
    elif kind == "int":
        text = col.cast("string")
    elif kind == "date":
        text = ibis.literal('"') + col.cast("string") + '"'
    elif kind == "month":
        text = ibis.literal('"') + _month(col) + '"'
    elif kind == "money":
        text = ibis.literal('"') + _money(col, t.currency.upper()) + '"'
    elif kind == "rate":
        text = ibis.literal('"') + _rate(col) + '"'
    else:
        raise ValueError(f"unknown column type {kind}")
    return text.fill_null(NULL)


def row_text(t: ir.Table, kind: str) -> ir.StringValue:
    """The canonical JSON of each stored row's `row` object (custom columns only when given)."""
    spec = SPECS[kind]
    extra = extra_columns(t, spec)
    texts = [c.stored for c in spec.columns if c.type == "string"] + extra
    escape = _escape_flag(t, texts)
    fixed = {c.name: _value(t, c, escape) for c in spec.columns}
    parts: list[ir.StringValue] = []
    for name in sorted_keys([*fixed, *extra]):
        head = ibis.literal("," + _json_key(name) + ":")
        if name in fixed:
            parts.append(head + fixed[name])
        else:  # a custom column appears only when the row has a value for it
            parts.append((head + quoted(t[name].cast("string"), escape)).fill_null(""))
    body = ibis.literal("").join(parts)
    return "{" + body.substr(1) + "}"


def leaf_text(t: ir.Table, kind: str, corrects: ir.StringValue | None = None) -> ir.StringValue:
    """The leaf of each stored row: `corrects` is the JSON of the leaf it corrects, or null."""
    ref = NULL if corrects is None else corrects.fill_null(NULL)
    return (
        ibis.literal('{"corrects":')
        + ref
        + ibis.literal(f',"kind":{_json_key(kind)},"row":')
        + row_text(t, kind)
        + ibis.literal(f',"v":{FORMAT_VERSION}}}')
    )


def reference_text(index: ir.IntegerValue, leaf_hash: ir.StringValue) -> ir.StringValue:
    """The `corrects` object naming a leaf by index and hex leaf hash."""
    return '{"index":' + index.cast("string") + ',"leaf_hash":"' + leaf_hash + '"}'


def key_text(t: ir.Table, kind: str) -> ir.StringValue:
    """The canonical JSON of a row's key values (`leaves.order_key`'s bytes): the append order."""
    spec = SPECS[kind]
    names = [c for c in spec.columns if c.name in spec.key]
    escape = _escape_flag(t, [c.stored for c in names if c.type == "string"])
    values = {c.name: _value(t, c, escape) for c in names}
    return "[" + ibis.literal(",").join([values[k] for k in spec.key]) + "]"


def _json_key(name: str) -> str:
    import json

    return json.dumps(name, ensure_ascii=False)
