"""Canonical JSON: one serialisation per value, so that a hash or a signature is reproducible.
Definition hashes and the revenue log both use it.

Object keys sorted (by UTF-16 code units, as RFC 8785 does), no whitespace, UTF-8 with only
quotes, backslashes and control characters escaped, explicit nulls. Decimals become strings in
plain notation and dates YYYY-MM-DD strings; floats (only report ratios use them) are Python's
shortest round-trip repr.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from netretain.errors import NetretainError


class CanonicalError(NetretainError, ValueError):
    """A value with no canonical JSON form (NaN, a datetime, bytes, a non-string key...)."""


def canonical_json(value: Any) -> str:
    """The canonical JSON text of `value`."""
    return "".join(_encode(value))


def canonical_bytes(value: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of `value`: what is hashed and signed."""
    return canonical_json(value).encode("utf-8")


def sha256_hex(value: Any) -> str:
    """The sha256 of a value's canonical JSON, as hex."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def _encode(value: Any) -> list[str]:
    if value is None or isinstance(value, bool):
        return [json.dumps(value)]
    if isinstance(value, int):
        return [str(value)]
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalError(f"{value!r} has no JSON form")
        return [repr(value)]
    if isinstance(value, Decimal):
        return [_string(plain_decimal(value))]
    if isinstance(value, str):
        return [_string(value)]
    if isinstance(value, dt.datetime):
        raise CanonicalError("a datetime has no canonical form here: pass a date or a string")
    if isinstance(value, dt.date):
        return [_string(value.isoformat())]
    if isinstance(value, Mapping):
        return _object(value)
    if isinstance(value, list | tuple):
        return ["[", *_join([_encode(v) for v in value]), "]"]
    raise CanonicalError(f"{type(value).__name__} has no canonical JSON form")


def _object(value: Mapping[Any, Any]) -> list[str]:
    if not all(isinstance(k, str) for k in value):
        raise CanonicalError("object keys must be strings")
    keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
    return ["{", *_join([[_string(k), ":", *_encode(value[k])] for k in keys]), "}"]


def _join(parts: list[list[str]]) -> list[str]:
    out: list[str] = []
    for i, part in enumerate(parts):
        if i:
            out.append(",")
        out.extend(part)
    return out


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def plain_decimal(value: Decimal) -> str:
    """A finite Decimal in plain notation, never an exponent: Decimal('1E+2') -> '100'."""
    if not value.is_finite():
        raise CanonicalError(f"{value} has no JSON form")
    return format(value, "f")
