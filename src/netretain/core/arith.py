"""Integer and calendar arithmetic as Ibis expressions that mean the same on every engine.

Engines disagree on integer division (DuckDB and Spark divide in doubles, PostgreSQL truncates),
on rounding halves (half-even vs half-up) and on date arithmetic with month intervals. The ledger
only needs whole months and days, so it works on integer month indexes (year * 12 + month - 1) and
does every division here, once.
"""

from __future__ import annotations

from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

MONTHS_PER_YEAR = 12  # ARR = 12 x MRR; size bands annualise the same way
MICROS_PER_CENT = 10_000  # native amounts are kept in millionths of a currency unit
RATE = dt.Decimal(38, 10)  # FX rates as exact decimals (a float64 1.15 is 1.14999...)


def exact_div(numerator: ir.IntegerValue, denominator: ir.IntegerValue) -> ir.IntegerValue:
    """Floor of a / b for a >= 0, b > 0; exact on every engine while a < 2**53."""
    remainder = numerator % denominator
    return ((numerator - remainder) / denominator).cast("int64")


def round_div(numerator: ir.IntegerValue, denominator: ir.IntegerValue) -> ir.IntegerValue:
    """a / b rounded half away from zero, for any sign of a and b > 0."""
    magnitude = exact_div(numerator.abs() * 2 + denominator, denominator * 2)
    return ibis.ifelse(numerator < 0, -magnitude, magnitude)


def ratio(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator as a double; null when the denominator is zero, never infinite
    (an empty cohort or a month with nothing to lose has no rate, rather than a made-up one)."""
    return ibis.ifelse(
        denominator != 0, numerator.cast("float64") / denominator.cast("float64"), None
    )


def round_half_up(value: ir.FloatingValue) -> ir.IntegerValue:
    """Round a double to the nearest integer, halves up, identically on every engine."""
    return (value + 0.5).floor().cast("int64")


def double_rate(rate: ir.NumericValue) -> ir.FloatingValue:
    """The double nearest the exact decimal rate: the fast path's rate, once per FX row."""
    return rate.cast(RATE).cast("float64")


def micros_to_cents(micros: ir.IntegerValue, rate: ir.NumericValue) -> ir.IntegerValue:
    """Native millionths times an FX rate, in cents rounded half up, computed in exact decimals.

    In doubles, EUR 100.10 at 1.15 is 11511.4999... cents and rounds to $115.11; exactly it is
    $115.115, which rounds to $115.12.
    """
    per_cent = rate.cast(RATE) * ibis.literal(Decimal(1) / MICROS_PER_CENT, dt.Decimal(38, 4))
    exact = micros.cast(dt.Decimal(38, 0)) * per_cent
    return (exact + ibis.literal(Decimal("0.5"), dt.Decimal(38, 1))).floor().cast("int64")


FAST_LIMIT = 1e9  # |cents| below which the double product is trusted (away from halves)
FAST_MARGIN = 1e-6  # above the double product's worst error below FAST_LIMIT, 5.6e-7


def with_cents(t: ir.Table, micros: str, rate: str, rate_double: str, out: str) -> ir.Table:
    """Add `out` = micros_to_cents(micros, rate), in doubles wherever that is provably the same.

    With R the exact decimal rate, approx = micros * fl(R) / 10000 takes at most five roundings
    (micros, R twice, *, /), so |approx - exact| <= 5.6e-16 * |exact| < 5.6e-7 < FAST_MARGIN
    below FAST_LIMIT: farther than FAST_MARGIN from a half, both round to the same integer. The
    rest (exact halves such as 11511.5, and the rare rows that near one) takes the exact product.
    `rate_double` holds double_rate(rate), computed once per FX row rather than per row.
    """
    t = t.mutate(_approx=t[micros].cast("float64") * t[rate_double] / MICROS_PER_CENT)
    # out of range: 0.5, which is a half, so the exact product (floor never overflows either)
    t = t.mutate(_near=ibis.ifelse(t._approx.abs() < FAST_LIMIT, t._approx, 0.5))
    off_half = (t._near - t._near.floor().cast("float64") - 0.5).abs() > FAST_MARGIN
    exact = micros_to_cents(t[micros], t[rate])
    return t.mutate(**{out: ibis.ifelse(off_half, round_half_up(t._near), exact)}).drop(
        "_approx", "_near"
    )


def month_index(date: ir.DateValue) -> ir.IntegerValue:
    """The month a date falls in, as year * 12 + month - 1."""
    return (date.year().cast("int64") * 12 + date.month().cast("int64") - 1).cast("int64")


def days_in_month(index: ir.IntegerValue) -> ir.IntegerValue:
    """Days in the month with this index, from the Gregorian rules alone."""
    year = exact_div(index, ibis.literal(12, "int64"))
    month = index - year * 12 + 1
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return ibis.cases(
        (month == 2, ibis.ifelse(leap, 29, 28)),
        (month.isin([4, 6, 9, 11]), 30),
        else_=31,
    ).cast("int64")


def first_day(index: ir.IntegerValue) -> ir.DateValue:
    """The first day of the month with this index."""
    year = exact_div(index, ibis.literal(12, "int64"))
    return ibis.date(year.cast("int32"), (index - year * 12 + 1).cast("int32"), 1)


def with_period_months(t: ir.Table, start: str, end: str) -> ir.Table:
    """Add a service period's length in months as `_day_units` / `_days_per_month`.

    Whole months are counted from the start date (Jan 15 -> Apr 15 is 3); a remainder shorter than a
    month counts its days over the days of the month it starts in (Jan 15 -> Feb 1 is 17/31).
    Computed in steps over named columns, so the SQL stays small on every engine.
    """
    t = t.mutate(
        _start_day=t[start].day().cast("int64"),
        _end_day=t[end].day().cast("int64"),
        _start_index=month_index(t[start]),
        _end_index=month_index(t[end]),
    )
    t = t.mutate(_end_month_days=days_in_month(t._end_index))
    t = t.mutate(_reaches=ibis.least(t._start_day, t._end_month_days) <= t._end_day)
    t = t.mutate(
        _whole=ibis.ifelse(
            t._reaches, t._end_index - t._start_index, t._end_index - t._start_index - 1
        )
    )
    t = t.mutate(_anchor_days=days_in_month(t._start_index + t._whole))
    t = t.mutate(_anchor_day=ibis.least(t._start_day, t._anchor_days))
    t = t.mutate(
        _remainder=ibis.ifelse(
            t._reaches, t._end_day - t._anchor_day, t._anchor_days - t._anchor_day + t._end_day
        )
    )
    t = t.mutate(
        _day_units=(t._whole * t._anchor_days + t._remainder).cast("int64"),
        _days_per_month=t._anchor_days,
    )
    return t.drop(
        "_start_day",
        "_end_day",
        "_start_index",
        "_end_index",
        "_end_month_days",
        "_reaches",
        "_whole",
        "_anchor_days",
        "_anchor_day",
        "_remainder",
    )


def with_round_div(t: ir.Table, numerator: str, denominator: str, out: str) -> ir.Table:
    """Add `out` = numerator / denominator rounded half away from zero (exact integers)."""
    t = t.mutate(_num=t[numerator].cast("int64"), _den=t[denominator].cast("int64"))
    t = t.mutate(_twice=t._num.abs() * 2 + t._den, _den2=t._den * 2)
    t = t.mutate(_q=exact_div(t._twice, t._den2))
    t = t.mutate(**{out: ibis.ifelse(t._num < 0, -t._q, t._q)})
    return t.drop("_num", "_den", "_twice", "_den2", "_q")


def month_label(index: int) -> str:
    """'YYYY-MM' for a month index (Python side, for small results)."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def parse_month(label: str) -> int:
    """Month index of a 'YYYY-MM' label; raises ValueError with the expected shape."""
    try:
        year, month = label.strip().split("-")[:2]
        y, m = int(year), int(month)
    except ValueError:
        raise ValueError(f"{label!r} is not a month: use YYYY-MM") from None
    if not 1 <= m <= 12 or len(year) != 4:
        raise ValueError(f"{label!r} is not a month: use YYYY-MM")
    return y * 12 + m - 1
