"""The bytes of a revenue fact: one accepted input row, or a correction, as a Merkle log leaf.

A leaf is the canonical JSON (see `canonical`) of

    {"corrects": null | {"index": N, "leaf_hash": "<hex>"},
     "kind": "customers" | "subscriptions" | "invoice_lines" | "mrr" | "fx_rates",
     "row": {<every column of the kind's spec, null when empty>} | null,
     "v": 1}

with each column in its type's one text form: money a decimal string with exactly the currency's
ISO 4217 minor units ("1200.50", JPY "1200", BHD "1.250"), dates "YYYY-MM-DD", months "YYYY-MM",
rates rounded half up to 12 decimals without trailing zeros ("1.15"), ints JSON integers,
currencies upper-case codes. A customer's extra columns stay strings under their own names, present
only when given. An engine computing leaf hashes in SQL must produce these same bytes; `leaf_bytes`
is the reference it is tested against.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from netretain.canonical import CanonicalError, canonical_bytes, plain_decimal
from netretain.store.inputs import INGEST_ORDER, SPECS, Column, InputSpec, minor_units
from netretain.transparency.errors import TransparencyError
from netretain.transparency.merkle import HASH_SIZE, hash_leaf

FORMAT_VERSION = 1
RATE_DECIMALS = 12  # a rate is its stored double rounded (half up) to this many decimals

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


class LeafError(TransparencyError, ValueError):
    """A row that cannot become a leaf: unknown kind or column, or a value out of its type."""


@dataclass(frozen=True)
class LeafRef:
    """The leaf a correction corrects: its index in the log and its leaf hash."""

    index: int
    leaf_hash: bytes

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "leaf_hash": self.leaf_hash.hex()}


def leaf_bytes(kind: str, row: Mapping[str, Any]) -> bytes:
    """The canonical leaf of one accepted input row of `kind`."""
    return canonical_bytes(_leaf(kind, row, None))


def correction_bytes(kind: str, row: Mapping[str, Any] | None, corrects: LeafRef) -> bytes:
    """A leaf replacing the leaf `corrects` with `row` (None withdraws it); nothing is rewritten."""
    if corrects.index < 0 or len(corrects.leaf_hash) != HASH_SIZE:
        raise LeafError("a correction names a leaf index >= 0 and its 32-byte leaf hash")
    return canonical_bytes(_leaf(kind, row, corrects))


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 leaf hash of leaf bytes: SHA-256(0x00 || data)."""
    return hash_leaf(data)


def order_key(kind: str, row: Mapping[str, Any]) -> tuple[int, bytes]:
    """Sort key giving one fixed append order: kinds in ingest order, then the row key's bytes."""
    spec = _spec(kind)
    key = [_value(spec.column(c), row.get(c), row) for c in spec.key]
    return INGEST_ORDER.index(kind), canonical_bytes(key)


def _spec(kind: str) -> InputSpec:
    if kind not in SPECS:
        raise LeafError(f"unknown kind {kind!r}: one of {', '.join(SPECS)}")
    return SPECS[kind]


def _leaf(kind: str, row: Mapping[str, Any] | None, corrects: LeafRef | None) -> dict[str, Any]:
    spec = _spec(kind)
    body = None if row is None else _row(spec, row)
    ref = None if corrects is None else corrects.to_dict()
    return {"corrects": ref, "kind": kind, "row": body, "v": FORMAT_VERSION}


def _row(spec: InputSpec, row: Mapping[str, Any]) -> dict[str, Any]:
    extra = set(row) - set(spec.names)
    if extra and not spec.extra_columns:
        raise LeafError(f"{spec.kind} has no column {sorted(extra)[0]!r}")
    out = {c.name: _value(c, row.get(c.name), row) for c in spec.columns}
    for name in extra:  # a custom column is part of the leaf only where the row gives a value
        if row[name] is not None:
            out[name] = str(row[name])
    return out


def _value(column: Column, value: Any, row: Mapping[str, Any]) -> Any:
    if value is None:
        return None
    try:
        return _typed(column, value, row)
    except (InvalidOperation, CanonicalError, ValueError, TypeError) as e:
        raise LeafError(f"{column.name}={value!r} is not a valid {column.type}: {e}") from e


def _typed(column: Column, value: Any, row: Mapping[str, Any]) -> Any:
    kind = column.type
    if kind == "string":
        return str(value)
    if kind == "currency":
        return str(value).upper()
    if kind == "int":
        if isinstance(value, bool) or int(value) != value:
            raise ValueError("not a whole number")
        return int(value)
    if kind == "date":
        return _date(value)
    if kind == "month":
        return _month(value)
    if kind == "money":
        return _money(value, row.get("currency"))
    if kind == "rate":
        return _rate(value)
    raise LeafError(f"unknown column type {kind}")


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        raise ValueError("a datetime, not a date")
    if isinstance(value, dt.date):
        return value.isoformat()
    if not _DATE.match(str(value)):
        raise ValueError("not YYYY-MM-DD")
    return dt.date.fromisoformat(str(value)).isoformat()


def _month(value: Any) -> str:
    """'YYYY-MM', a date in that month, or the ledger's month index year * 12 + month - 1."""
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, int) and not isinstance(value, bool):
        year, month = divmod(value, 12)
        return f"{year:04d}-{month + 1:02d}"
    if not _MONTH.match(str(value)):
        raise ValueError("not YYYY-MM")
    return str(value)


def _money(value: Any, currency: Any) -> str:
    """Exact amount at the currency's own precision; an amount finer than that is refused."""
    if isinstance(value, float | bool):
        raise TypeError("money must be a Decimal, an int or a decimal string, never a float")
    if not currency:
        raise ValueError("money needs the row's currency (the reporting currency when empty)")
    amount = Decimal(str(value))
    places = Decimal(1).scaleb(-minor_units(str(currency)))
    exact = amount.quantize(places)
    if exact != amount:
        raise ValueError(f"finer than the {minor_units(str(currency))} decimals of {currency}")
    return plain_decimal(exact)


def _rate(value: Any) -> str:
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    number = number.quantize(Decimal(1).scaleb(-RATE_DECIMALS), ROUND_HALF_UP)
    text = plain_decimal(number)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
