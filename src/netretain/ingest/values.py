"""Staged values as typed values: one accepted text form per type, checked before any cast, and
money parsed at its row's currency's precision (ISO 4217), never rounded.

The row checks (`validate`) read the columns and flags made here.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from netretain.core.arith import month_index
from netretain.store.inputs import (
    DEFAULT_MINOR_UNITS,
    MINOR_UNITS,
    MONEY,
    MONEY_DIGITS,
    Column,
    InputSpec,
)

RAW = "_raw_"
TEXT = "_text_"  # a money column's value as text in the accepted form, typed files included
WHITESPACE = " \t\n\r\v\f"  # what Ibis's strip() removes
ENDS_PADDED = [f"%{c}" for c in WHITESPACE]


def text(value: ir.Value) -> ir.StringValue:
    """Trimmed text with empty as null, whatever the staged type.

    Trimming is slow on every engine and almost no value needs it, so only values that are empty
    or start or end with whitespace are trimmed. The first character's code says both of the
    first in one call (0 for empty text; a code up to 32 is whitespace or another control
    character, which trimming leaves as it is).
    """
    text = value if value.type().is_string() else value.cast("string")
    padded = (text.ascii_str() <= 32) | text.like(ENDS_PADDED)
    return ibis.ifelse(padded, text.strip().nullif(""), text)


# One accepted text form per type, checked before any cast: the engines' own parsers disagree
# (PostgreSQL reads 'Jan 8 2024' as a date, DuckDB reads '1.5' as the integer 2, Spark reads
# '2024-01-01T10' as a date), so only these forms reach try_cast and every engine agrees.
TEXT_FORMS = {
    "date": r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
    "money": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$",
    "rate": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$",
    "int": r"^[+-]?[0-9]{1,18}$",
    "time": (
        r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
        r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?Z?)?$"
    ),
}


def from_text(text: ir.StringValue, form: str, to: str | dt.DataType) -> ir.Value:
    """Text in its type's accepted form cast to `to` (NULL if the value is still out of range)."""
    return ibis.ifelse(text.re_search(TEXT_FORMS[form]), text.try_cast(to), None)


def clean(raw: ir.Value) -> ir.Value:
    """Text trimmed with empty as null; a typed (Parquet) value as it is, since it has no blanks."""
    return text(raw) if raw.type().is_string() else raw


def _finite(value: ir.Value, below: float) -> ir.BooleanValue:
    """A typed value that is no NaN or infinity and smaller than `below` in magnitude."""
    if not value.type().is_floating():
        return ibis.literal(True)
    return _no_nan_or_inf(value) & (value.abs() < below)


def _no_nan_or_inf(value: ir.FloatingValue) -> ir.BooleanValue:
    """x - x is 0 for every finite double; NaN and infinities give NaN (Ibis's isinf differs)."""
    return (value - value) == 0


def parse(column: Column, value: ir.Value, currency: str) -> ir.Value:
    """A clean staged value (see `clean`) as the column's type; NULL where it does not parse.

    A typed (Parquet) value of another type than the column's is read as its text, so a BOOLEAN
    date or a NaN amount is a reject like its CSV twin, never an engine's conversion error.
    """
    kind = column.type
    dtype = value.type()
    typed = not dtype.is_string()
    text = value.cast("string") if typed else value
    if kind in ("string",):
        return text
    if kind == "currency":
        return text.upper().fill_null(currency)
    if kind == "date":
        if dtype.is_temporal():
            return value.cast("date")
        return from_text(text, "date", "date")
    if kind == "time":
        return _time(value if typed and dtype.is_temporal() else text)
    if kind == "month":
        if dtype.is_temporal():
            return month_index(value.cast("date"))
        valid = text.length() == 7
        return ibis.ifelse(valid, month_index(from_text(text + "-01", "date", "date")), None)
    if kind == "rate":
        if dtype.is_numeric():
            return ibis.ifelse(_finite(value, 1e300), value.cast("float64"), None)
        return from_text(text, "rate", "float64")
    if kind == "int":
        if dtype.is_integer():
            return value.cast("int64")
        if dtype.is_floating():
            whole = _finite(value, 1e18) & (value.floor() == value)
            return ibis.ifelse(whole, value, None).cast("int64")
        return from_text(text, "int", "int64")
    if kind == "money":  # parsed in `with_money`, which knows each row's currency
        return ibis.null(MONEY)
    raise ValueError(f"unknown column type {kind}")


def _time(value: ir.Value) -> ir.StringValue:
    """A day or a time of day as ISO text (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.f]); NULL if not one.

    Kept as text, not an engine timestamp: the engines disagree on time zones, text does not.
    """
    if value.type().is_date():
        return value.cast("string")
    if value.type().is_timestamp():
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    text = value
    day = text.substr(0, 10)
    real = from_text(day, "date", "date").notnull()  # 2024-02-30 is no day
    clock = text.substr(11).replace("Z", "")
    clock = ibis.ifelse(clock.length() == 5, clock + ":00", clock)
    canonical = ibis.ifelse(text.length() == 10, day, day + "T" + clock)
    return ibis.ifelse(text.re_search(TEXT_FORMS["time"]) & real, canonical, None)


# Integer part too long for MONEY_DIGITS; a float too large to write out stands in as this text.
TOO_LARGE = rf"^[+-]?0*[1-9][0-9]{{{MONEY_DIGITS},}}"
HUGE = "9" * 30


def _money_text(value: ir.Value) -> ir.StringValue:
    """A money value as text: CSV text as it is; a typed number written out in plain digits."""
    dtype = value.type()
    if dtype.is_string():
        return value
    if dtype.is_floating():  # via a decimal: a double's own text may be 1.2E7
        plain = ibis.ifelse(value.abs() < 1e27, value, None).cast(dt.Decimal(38, 10))
        return ibis.ifelse(_no_nan_or_inf(value), plain.cast("string").fill_null(HUGE), None)
    return value.cast("string")


def decimals_ok(text: ir.StringValue, minor: int) -> ir.BooleanValue:
    """No nonzero digit past the minor units (100.50 is fine in USD, 100.5 is not in JPY)."""
    return text.re_search(rf"^[^.]*(\.[0-9]{{0,{minor}}}0*)?$")


def _minor_groups() -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for code, minor in MINOR_UNITS.items():
        groups.setdefault(minor, []).append(code)
    return groups


MINOR = "_minor_"  # each row's currency's minor units, computed once for every money check
GROUPS = sorted({**_minor_groups(), DEFAULT_MINOR_UNITS: []}.items())


def _minor(currency: ir.StringValue) -> ir.IntegerValue:
    """Decimals the row's currency has (ISO 4217): one CASE instead of a lookup per check."""
    cases = [(currency.isin(codes), m) for m, codes in _minor_groups().items()]
    return ibis.cases(*cases, else_=DEFAULT_MINOR_UNITS)


def _in_group(currency: ir.StringValue, minor: int) -> ir.BooleanValue:
    """Whether the row's currency has `minor` decimals: for the few checks of exact numbers,
    cheaper than `_minor` (one lookup instead of three)."""
    codes = _minor_groups().get(minor)
    return currency.isin(codes) if codes else ~currency.isin(list(MINOR_UNITS))


def exact_number(value: ir.Value) -> bool:
    """A typed integer or decimal of known scale: its digits are exact, so it is checked as a
    number; text and floating values are checked as text (see `_money_text`)."""
    dtype = value.type()
    return dtype.is_integer() or (dtype.is_decimal() and dtype.scale is not None)


def _excess(value: ir.NumericValue, minor: int) -> ir.BooleanValue | None:
    """Whether an exact number has a nonzero digit past `minor` decimals (None: it cannot)."""
    dtype = value.type()
    scale = dtype.scale if dtype.is_decimal() else 0
    return value.round(minor) != value if scale > minor else None


def _too_large(value: ir.NumericValue) -> ir.BooleanValue:
    """An exact number as large as 10**MONEY_DIGITS: what `TOO_LARGE` says of its text."""
    limit = 10**MONEY_DIGITS  # no abs(): the smallest integer of a type has no absolute value
    return (value >= limit) | (value <= -limit)


def with_money(spec: InputSpec, t: ir.Table, present: set[str]) -> ir.Table:
    """Parse each money column at its row's currency's precision: no amount is ever rounded."""
    money = [c.name for c in spec.columns if c.type == "money" and c.name in present]
    if not money:
        return t
    texts = [name for name in money if not exact_number(t[f"{RAW}{name}"])]
    if texts:
        t = t.mutate(
            **{MINOR: _minor(t.currency)},
            **{f"{TEXT}{name}": _money_text(t[f"{RAW}{name}"]) for name in texts},
        )
    numbers = [name for name in money if name not in texts]
    t = t.mutate(**{k: e for name in numbers for k, e in _number_flags(name, t).items()})
    parsed = {}
    for name in money:
        if name in texts:
            text = t[f"{TEXT}{name}"]
            fits = text.re_search(TEXT_FORMS["money"]) & ~text.re_search(TOO_LARGE)
            exact = fits & _precise(text, t[MINOR])
            parsed[name] = ibis.ifelse(exact, text.try_cast(MONEY), None)
        else:
            flags = [t[k] for k in _number_flags(name, t)]
            parsed[name] = ibis.ifelse(~ibis.or_(*flags), t[f"{RAW}{name}"].cast(MONEY), None)
    return t.mutate(**parsed)


def _precise(text: ir.StringValue, minor: ir.IntegerValue) -> ir.BooleanValue:
    """Whether the amount has no more decimals than its row's currency allows (ISO 4217)."""
    cases = [(minor == m, decimals_ok(text, m)) for m, _ in GROUPS]
    return ibis.cases(*cases, else_=ibis.literal(False))


LARGE = "_large_"  # an exact number's flags, computed once for its parsing and its checks
EXCESS = "_excess_"


def _number_flags(name: str, t: ir.Table) -> dict[str, ir.BooleanValue]:
    """An exact number's failures: too large, and more decimals than each group of currencies
    with fewer decimals than its scale has (`_precise` for numbers)."""
    value = t[f"{RAW}{name}"]
    flags = {f"{LARGE}{name}": _too_large(value)}
    for m, _ in GROUPS:
        if (bad := _excess(value, m)) is not None:
            flags[f"{EXCESS}{m}_{name}"] = _in_group(t.currency, m) & bad
    return flags
