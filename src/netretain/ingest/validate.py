"""Row checks as Ibis expressions: a staged file becomes typed good rows and (row, column, reason).

Every check is a boolean column computed in one pass; only the rows that fail any check are split
into reject records. Types: CSV text is parsed here; typed Parquet columns are cast.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from netretain.core.arith import month_index
from netretain.core.tables import empty_table
from netretain.errors import IngestError
from netretain.store.catalogue import REJECT
from netretain.store.inputs import (
    DEFAULT_MINOR_UNITS,
    INVOICE_TYPES,
    MINOR_UNITS,
    MONEY,
    MONEY_DIGITS,
    Column,
    InputSpec,
)

RAW = "_raw_"
TEXT = "_text_"  # a money column's value as text in the accepted form, typed files included
BAD = "_bad_"
NULL_MARK = "\u2205"


@dataclass(frozen=True)
class Check:
    """A named failure condition on one column."""

    column: str
    reason: str
    failed: ir.BooleanValue


@dataclass(frozen=True)
class Validated:
    """The staged rows with parsed columns and one flag per check."""

    table: ir.Table
    checks: tuple[Check, ...]
    extra: tuple[str, ...]

    @property
    def any_failed(self) -> ir.BooleanValue:
        flags = [self.table[f"{BAD}{i}"] for i in range(len(self.checks))]
        return ibis.or_(*flags) if flags else ibis.literal(False)


def check_columns(spec: InputSpec, columns: list[str], file: str) -> tuple[str, ...]:
    """Refuse a file missing a required column; return its extra (custom) columns."""
    missing = [c.name for c in spec.columns if c.in_file and c.name not in columns]
    if missing:
        raise IngestError(
            f"{file}: missing column(s) {', '.join(missing)} for {spec.kind}; "
            f"expected {', '.join(spec.names)}",
            file=file,
        )
    extra = tuple(c for c in columns if c not in spec.names and not c.startswith("_"))
    if extra and not spec.extra_columns:
        raise IngestError(f"{file}: {_unknown(spec, extra)}", file=file)
    return extra


def _unknown(spec: InputSpec, extra: tuple[str, ...]) -> str:
    """Name each unknown column and the known column it is closest to (a typo such as curency)."""
    parts = []
    for name in extra:
        close = difflib.get_close_matches(name, spec.names, n=1, cutoff=0.6)
        parts.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
    return (
        f"unknown column(s) {', '.join(parts)} for {spec.kind}; its columns are "
        f"{', '.join(spec.names)} (only customers take other columns, as attributes)"
    )


WHITESPACE = " \t\n\r\v\f"  # what Ibis's strip() removes
ENDS_PADDED = [f"%{c}" for c in WHITESPACE]


def _text(value: ir.Value) -> ir.StringValue:
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


def _from_text(text: ir.StringValue, form: str, to: str | dt.DataType) -> ir.Value:
    """Text in its type's accepted form cast to `to` (NULL if the value is still out of range)."""
    return ibis.ifelse(text.re_search(TEXT_FORMS[form]), text.try_cast(to), None)


def _clean(raw: ir.Value) -> ir.Value:
    """Text trimmed with empty as null; a typed (Parquet) value as it is, since it has no blanks."""
    return _text(raw) if raw.type().is_string() else raw


def _finite(value: ir.Value, below: float) -> ir.BooleanValue:
    """A typed value that is no NaN or infinity and smaller than `below` in magnitude."""
    if not value.type().is_floating():
        return ibis.literal(True)
    return _no_nan_or_inf(value) & (value.abs() < below)


def _no_nan_or_inf(value: ir.FloatingValue) -> ir.BooleanValue:
    """x - x is 0 for every finite double; NaN and infinities give NaN (Ibis's isinf differs)."""
    return (value - value) == 0


def _parse(column: Column, value: ir.Value, currency: str) -> ir.Value:
    """A clean staged value (see `_clean`) as the column's type; NULL where it does not parse.

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
        return _from_text(text, "date", "date")
    if kind == "time":
        return _time(value if typed and dtype.is_temporal() else text)
    if kind == "month":
        if dtype.is_temporal():
            return month_index(value.cast("date"))
        valid = text.length() == 7
        return ibis.ifelse(valid, month_index(_from_text(text + "-01", "date", "date")), None)
    if kind == "rate":
        if dtype.is_numeric():
            return ibis.ifelse(_finite(value, 1e300), value.cast("float64"), None)
        return _from_text(text, "rate", "float64")
    if kind == "int":
        if dtype.is_integer():
            return value.cast("int64")
        if dtype.is_floating():
            whole = _finite(value, 1e18) & (value.floor() == value)
            return ibis.ifelse(whole, value, None).cast("int64")
        return _from_text(text, "int", "int64")
    if kind == "money":  # parsed in `_with_money`, which knows each row's currency
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
    real = _from_text(day, "date", "date").notnull()  # 2024-02-30 is no day
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


def _decimals_ok(text: ir.StringValue, minor: int) -> ir.BooleanValue:
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


def _exact_number(value: ir.Value) -> bool:
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
    return value.abs() >= 10**MONEY_DIGITS


def _with_money(spec: InputSpec, t: ir.Table, present: set[str]) -> ir.Table:
    """Parse each money column at its row's currency's precision: no amount is ever rounded."""
    money = [c.name for c in spec.columns if c.type == "money" and c.name in present]
    if not money:
        return t
    texts = [name for name in money if not _exact_number(t[f"{RAW}{name}"])]
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
    cases = [(minor == m, _decimals_ok(text, m)) for m, _ in GROUPS]
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


REASONS = {
    "date": "not a date: use YYYY-MM-DD",
    "month": "not a month: use YYYY-MM",
    "rate": "not a number",
    "int": "not a whole number",
    "time": "not a day or time: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)",
}


def _given(value: ir.Value) -> ir.BooleanValue:
    """A value is there: a NaN counts as given (Ibis on Spark reads NaN as null)."""
    if value.type().is_floating():
        return value.notnull() | value.isnan().fill_null(False)
    return value.notnull()


def _row_checks(spec: InputSpec, t: ir.Table, present: set[str]) -> list[Check]:
    checks: list[Check] = []
    for column in spec.columns:
        name = column.name
        if name not in present:
            continue
        clean = t[f"{RAW}{name}"]
        if column.required:
            reason = "missing customer" if name == "customer_id" else "missing value"
            checks.append(Check(name, reason, ~_given(clean)))
        if column.type in REASONS:
            checks.append(Check(name, REASONS[column.type], _given(clean) & t[name].isnull()))
        if column.type == "money":
            checks.extend(_money_checks(name, t))
        if column.type == "currency":
            bad = ~t[name].re_search("^[A-Z]{3}$")
            checks.append(Check(name, "not a currency code (three letters, e.g. EUR)", bad))
    return checks + _kind_checks(spec.kind, t)


NOT_A_NUMBER = "not a number (use digits and a dot, e.g. 1200.50)"
TOO_LARGE_REASON = f"too large: amounts must be below {10**MONEY_DIGITS:,} per row"


def _money_checks(name: str, t: ir.Table) -> list[Check]:
    """Not a number, too large, or more decimals than the currency has: three distinct reasons."""
    clean = t[f"{RAW}{name}"]
    if _exact_number(clean):
        return _number_checks(name, t)
    text = t[f"{TEXT}{name}"]
    form = text.re_search(TEXT_FORMS["money"]).fill_null(False)
    large = form & text.re_search(TOO_LARGE)
    checks = [
        Check(name, NOT_A_NUMBER, _given(clean) & ~form),
        Check(name, TOO_LARGE_REASON, large),
    ]
    fits = form & ~large
    for minor, _ in GROUPS:
        excess = fits & (t[MINOR] == minor) & ~_decimals_ok(text, minor)
        checks.append(Check(name, _excess_reason(minor), excess))
    return checks


def _number_checks(name: str, t: ir.Table) -> list[Check]:
    """`_money_checks` of an exact number: it is always a number, and only the decimals past
    its scale can be too many (the flags of `_number_flags`)."""
    large = t[f"{LARGE}{name}"]
    checks = [Check(name, TOO_LARGE_REASON, large)]
    for m, _ in GROUPS:
        if f"{EXCESS}{m}_{name}" in t.columns:
            checks.append(Check(name, _excess_reason(m), ~large & t[f"{EXCESS}{m}_{name}"]))
    return checks


def _excess_reason(minor: int) -> str:
    return f"more decimals than the currency has ({minor}, ISO 4217); amounts are not rounded"


def _blank(t: ir.Table, name: str) -> ir.BooleanValue:
    """No value at all in the column (text that does not parse is reported as such, not missing)."""
    raw = f"{RAW}{name}"
    return t[raw].isnull() if raw in t.columns else ibis.literal(True)


def _kind_checks(kind: str, t: ir.Table) -> list[Check]:
    if kind == "invoice_lines":
        recurring = t.type.isin(["subscription", "usage"])
        return [
            Check(
                "type",
                f"unknown type: use {', '.join(INVOICE_TYPES)}",
                t.type.notnull() & ~t.type.isin(list(INVOICE_TYPES)),
            ),
            Check(
                "service_start",
                "required for subscription and usage lines",
                recurring & _blank(t, "service_start"),
            ),
            Check(
                "service_end",
                "required for subscription and usage lines",
                recurring & _blank(t, "service_end"),
            ),
            Check(
                "service_end",
                "end before start: service_end must be after service_start",
                t.service_end <= t.service_start,
            ),
        ]
    if kind == "subscriptions":
        return [
            Check(
                "end_date",
                "end before start: end_date must be after start_date",
                t.end_date <= t.start_date,
            ),
            Check("interval_months", "must be 1 or more", t.interval_months < 1),
            Check("amount", "must not be negative", t.amount < 0),
        ]
    if kind == "mrr":
        return [Check("mrr", "must not be negative", t.mrr < 0)]
    if kind == "fx_rates":
        return [Check("rate", "must be greater than 0", t.rate <= 0)]
    if kind == "usage_events":
        return [Check("quantity", "must not be negative", t.quantity < 0)]
    if kind == "plans":
        return [Check("included_quantity", "must not be negative", t.included_quantity < 0)]
    return []


def validate(spec: InputSpec, staged: ir.Table, *, file: str, currency: str) -> Validated:
    """Parse the staged columns and flag every failed check, in one projection.

    Each column is trimmed once (`_clean`); the parsed values and the checks read that. The raw
    text is not kept: `raw_values` fetches it for the few rows that fail.
    """
    extra = check_columns(spec, list(staged.columns), file)
    present = {c.name for c in spec.columns if c.name in staged.columns}
    clean = staged.select(
        _row=staged._row.cast("int64"),
        **{f"{RAW}{name}": _clean(staged[name]) for name in sorted(present)},
        **{name: _text(staged[name]) for name in extra},
    )
    parsed = {
        c.name: _parse(c, clean[f"{RAW}{c.name}"], currency)
        if c.name in present
        else _absent(c, currency)
        for c in spec.columns
    }
    base = _with_money(spec, clean.mutate(**parsed), present)
    checks = tuple(_row_checks(spec, base, present))
    flags = {f"{BAD}{i}": check.failed.fill_null(False) for i, check in enumerate(checks)}
    flagged = base.select("_row", *spec.names, *extra, **flags)
    return Validated(flagged, checks, extra)


def raw_values(staged: ir.Table, rows: ir.Table) -> ir.Table:
    """The staged text of some rows (`_row` in `rows`), one `_raw_<column>` each, for rejects."""
    columns = [c for c in staged.columns if c != "_row"]
    wanted = staged.semi_join(rows, staged._row == rows._row)
    return wanted.select(
        _raw_row=wanted._row.cast("int64"),
        **{f"{RAW}{c}": wanted[c].cast("string") for c in columns},
    )


def _absent(column: Column, currency: str) -> ir.Value:
    """A column the file does not have: the currency currency, or null."""
    if column.type == "currency":
        return ibis.literal(currency)
    return ibis.null(column.stored_type)


def good_rows(v: Validated, spec: InputSpec) -> ir.Table:
    """Rows that passed every check, typed, in the ledger's column names."""
    return _stored(v.table.filter(~v.any_failed), spec, v.extra)


def keys(spec: InputSpec, staged: ir.Table, currency: str) -> ir.Table:
    """Every staged row's key, parsed as `good_rows` has it (NULL where it does not parse), and
    nothing else: what finding repeated keys needs, without checking any row."""
    parsed = {}
    for name in spec.key:
        column = spec.column(name)
        value = _clean(staged[name]) if name in staged.columns else None
        parsed[column.stored] = (
            _absent(column, currency) if value is None else _parse(column, value, currency)
        )
    return staged.select(**parsed)


def _stored(t: ir.Table, spec: InputSpec, extra: tuple[str, ...]) -> ir.Table:
    columns = {c.stored: t[c.name] for c in spec.columns}
    return t.select(_row=t._row, **columns, **{n: t[n] for n in extra})


def reject_records(bad: ir.Table, checks: tuple[Check, ...], file: str) -> ir.Table:
    """One (file, row, column, reason, value) per failed check of the rows that failed.

    `bad` is the failed rows of `Validated.table` joined to their `raw_values`.
    """
    parts = []
    for i, check in enumerate(checks):
        failed = bad.filter(bad[f"{BAD}{i}"])
        value = (
            failed[f"{RAW}{check.column}"]
            if f"{RAW}{check.column}" in bad.columns
            else ibis.null("string")
        )
        parts.append(
            failed.select(
                file=ibis.literal(file),
                row=failed._row,
                column=ibis.literal(check.column),
                reason=ibis.literal(check.reason),
                value=value.cast("string"),
            )
        )
    if not parts:
        return empty_rejects()
    return ibis.union(*parts, distinct=False)


def empty_rejects() -> ir.Table:
    """A reject table with no rows, for unions."""
    return empty_table(REJECT)


def fingerprint(t: ir.Table, columns: list[str]) -> ir.StringValue:
    """One text per row that equals another row's exactly when their contents are equal."""
    parts = [t[c].cast("string").fill_null(NULL_MARK) for c in columns]
    return ibis.literal("\x1f").join(parts)


def with_rate_checks(
    kind: str, checked: Validated, first_rate: dict[str, int], currency: str
) -> Validated:
    """Reject revenue rows in a currency with no FX rate at or before their first month.

    `first_rate`: each currency's first month with a rate, after this ingest's fx_rates.
    """
    first_month = {
        "invoice_lines": "service_start",
        "subscriptions": "start_date",
        "mrr": "month",  # validated rows keep the month index under the input's name
    }.get(kind)
    if first_month is None:
        return checked
    t = checked.table
    foreign = t.currency != currency
    if kind == "invoice_lines":
        foreign = foreign & (t.type != "one_time")
    rated = {c: m for c, m in first_rate.items() if c != currency}
    known = t.currency.isin(list(rated)) if rated else ibis.literal(False)
    start = t[first_month]
    # months compared as days (the first day of the month): no month is computed per row
    bounds = {c: m if first_month == "month" else _first_day(m) for c, m in rated.items()}
    earliest = ibis.cases(*[(t.currency == c, b) for c, b in bounds.items()]) if rated else None
    extra = (
        Check("currency", "no FX rate for this currency: add it to fx_rates", foreign & ~known),
        Check(
            "currency",
            "no FX rate at or before this row's first month: add earlier rates to fx_rates",
            foreign & (start < earliest) if earliest is not None else ibis.literal(False),
        ),
    )
    base = len(checked.checks)
    table = t.mutate(**{f"{BAD}{base + i}": c.failed.fill_null(False) for i, c in enumerate(extra)})
    return Validated(table, checked.checks + extra, checked.extra)


def _first_day(month: int) -> ir.DateValue:
    """The first day of a month index (year * 12 + month - 1), as a date literal."""
    return ibis.date(month // 12, month % 12 + 1, 1)


UNKNOWN_CUSTOMER = "unknown customer: add it to customers (or bill it) before its usage"


def with_customer_check(kind: str, checked: Validated, known: ir.Table | None) -> Validated:
    """Reject usage of a customer the ledger does not know (`known`: distinct customer_id).

    Usage alone makes no customer: a typo in an id would otherwise become an account that never
    paid, and its usage would count for nobody.
    """
    if kind != "usage_events" or known is None:
        return checked
    t = checked.table
    ids = known.select(_known_id="customer_id").distinct().mutate(_is_known=ibis.literal(True))
    joined = t.left_join(ids, t.customer_id == ids._known_id)
    t = joined.select(*t.columns, _is_known=joined._is_known.fill_null(False))
    check = Check("customer_id", UNKNOWN_CUSTOMER, t.customer_id.notnull() & ~t._is_known)
    table = t.mutate(**{f"{BAD}{len(checked.checks)}": check.failed.fill_null(False)})
    return Validated(table.drop("_is_known"), (*checked.checks, check), checked.extra)
