"""Row checks as Ibis expressions: a staged file becomes typed good rows and (row, column, reason).

Every check is a boolean column computed in one pass; only the rows that fail any check are split
into reject records. Values are parsed by `values` (CSV text; typed Parquet columns are cast).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from netretain.core.tables import empty_table
from netretain.errors import IngestError
from netretain.ingest import values
from netretain.store.catalogue import REJECT
from netretain.store.inputs import INVOICE_TYPES, MONEY_DIGITS, Column, InputSpec

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
        clean = t[f"{values.RAW}{name}"]
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
    clean = t[f"{values.RAW}{name}"]
    if values.exact_number(clean):
        return _number_checks(name, t)
    text = t[f"{values.TEXT}{name}"]
    form = text.re_search(values.TEXT_FORMS["money"]).fill_null(False)
    large = form & text.re_search(values.TOO_LARGE)
    checks = [
        Check(name, NOT_A_NUMBER, _given(clean) & ~form),
        Check(name, TOO_LARGE_REASON, large),
    ]
    fits = form & ~large
    for minor, _ in values.GROUPS:
        excess = fits & (t[values.MINOR] == minor) & ~values.decimals_ok(text, minor)
        checks.append(Check(name, _excess_reason(minor), excess))
    return checks


def _number_checks(name: str, t: ir.Table) -> list[Check]:
    """`_money_checks` of an exact number: it is always a number, and only the decimals past
    its scale can be too many (the flags of `values._number_flags`)."""
    large = t[f"{values.LARGE}{name}"]
    checks = [Check(name, TOO_LARGE_REASON, large)]
    for m, _ in values.GROUPS:
        if f"{values.EXCESS}{m}_{name}" in t.columns:
            checks.append(Check(name, _excess_reason(m), ~large & t[f"{values.EXCESS}{m}_{name}"]))
    return checks


def _excess_reason(minor: int) -> str:
    return f"more decimals than the currency has ({minor}, ISO 4217); amounts are not rounded"


def _blank(t: ir.Table, name: str) -> ir.BooleanValue:
    """No value at all in the column (text that does not parse is reported as such, not missing)."""
    raw = f"{values.RAW}{name}"
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

    Each column is trimmed once (`values.clean`); the parsed values and the checks read that.
    The raw text is not kept: `raw_values` fetches it for the few rows that fail.
    """
    extra = check_columns(spec, list(staged.columns), file)
    present = {c.name for c in spec.columns if c.name in staged.columns}
    clean = staged.select(
        _row=staged._row.cast("int64"),
        **{f"{values.RAW}{name}": values.clean(staged[name]) for name in sorted(present)},
        **{name: values.text(staged[name]) for name in extra},
    )
    parsed = {
        c.name: values.parse(c, clean[f"{values.RAW}{c.name}"], currency)
        if c.name in present
        else _absent(c, currency)
        for c in spec.columns
    }
    base = values.with_money(spec, clean.mutate(**parsed), present)
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
        **{f"{values.RAW}{c}": wanted[c].cast("string") for c in columns},
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
        value = values.clean(staged[name]) if name in staged.columns else None
        parsed[column.stored] = (
            _absent(column, currency) if value is None else values.parse(column, value, currency)
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
            failed[f"{values.RAW}{check.column}"]
            if f"{values.RAW}{check.column}" in bad.columns
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
