"""FX conversion to cents: the double fast path of `with_cents` is the exact decimal answer.

`micros_to_cents` is the definition (exact decimals, rate rounded to 10 places, half up);
`with_cents` takes doubles where they provably agree and falls back to it elsewhere.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

import ibis
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netretain.core.arith import FAST_LIMIT, double_rate, micros_to_cents, with_cents
from netretain.engines.duckdb import DuckDBStore

RATES = ("1.15", "1.10", "1.30", "0.85", "1.2345", "1.25144922", "0.0067", "150.5", "1")
INT62 = 2**62


def convert(rows: list[tuple[int | None, float | None]]) -> list[tuple[int | None, int | None]]:
    """(fast, exact) cents of each (micros, rate) row, computed by DuckDB."""
    t = ibis.memtable(
        pa.table(
            {
                "i": pa.array(range(len(rows)), pa.int64()),
                "micros": pa.array([r[0] for r in rows], pa.int64()),
                "rate": pa.array([r[1] for r in rows], pa.float64()),
            }
        )
    )
    t = t.mutate(rate_double=double_rate(t.rate))
    t = with_cents(t, "micros", "rate", "rate_double", "fast")
    t = t.mutate(exact=micros_to_cents(t.micros, t.rate)).order_by("i")
    return [(r["fast"], r["exact"]) for r in DuckDBStore().to_arrow(t).to_pylist()]


def decimal_cents(micros: int, rate: str) -> int:
    """The hand computation: micros * rate / 10000 in exact decimals, rounded half up."""
    exact = Decimal(micros) * Decimal(rate) / 10_000 + Decimal("0.5")
    return int(exact.to_integral_value(rounding=ROUND_FLOOR))


def test_exact_half_cents_round_up() -> None:
    # EUR 100.10 at 1.15 is 11511.5 cents exactly (11511.4999... in doubles): 11512.
    # EUR 0.05 at 1.10 is 5.5 cents: 6; GBP 0.05 at 1.30 is 6.5 cents: 7.
    rows = [(100_100_000, 1.15), (50_000, 1.10), (50_000, 1.30)]
    assert convert(rows) == [(11512, 11512), (6, 6), (7, 7)]


def test_negative_halves_round_up_towards_zero() -> None:
    # -11511.5 cents rounds half up to -11511; -5.5 to -5; -11511.6 to -11512.
    rows = [(-100_100_000, 1.15), (-50_000, 1.10), (-100_100_870, 1.15)]
    assert [decimal_cents(-100_100_870, "1.15")] == [-11512]
    assert convert(rows) == [(-11511, -11511), (-5, -5), (-11512, -11512)]


def test_a_hair_either_side_of_a_half() -> None:
    # At 1.2345678901, 6604501607716 micros is 815370561.5 + 1.16e-12 cents (up) and
    # 260228406697 micros is 32126963.5 - 3e-14 (down); in doubles they come out the other way
    # round (815370561.4999999 and 32126963.5), so only the exact product gets them right.
    rows = [(6_604_501_607_716, 1.2345678901), (260_228_406_697, 1.2345678901)]
    assert [decimal_cents(m, "1.2345678901") for m, _ in rows] == [815370562, 32126963]
    assert convert(rows) == [(815370562, 815370562), (32126963, 32126963)]
    assert convert([(1, 1.15), (0, 1.15)]) == [(0, 0), (0, 0)]


def test_huge_amounts_take_the_exact_product() -> None:
    micros = [9 * 10**17, -(9 * 10**17), INT62, int(FAST_LIMIT) * 10_000]
    expected = [decimal_cents(m, "1.15") for m in micros]
    assert convert([(m, 1.15) for m in micros]) == list(zip(expected, expected, strict=True))


def test_the_rate_is_rounded_to_ten_places_on_both_paths() -> None:
    # 1/3 as a double is 0.33333333333333331...; the ledger's rate is 0.3333333333. 3e12 + 15000
    # micros at exactly 1/3 is 100000000.5 cents (up); at 0.3333333333 it is 100000000.49 (down).
    micros = 3 * 10**12 + 15_000
    assert decimal_cents(micros, "0.3333333333") == 100_000_000
    assert convert([(micros, 1 / 3)]) == [(100_000_000, 100_000_000)]


def test_nulls_stay_null() -> None:
    assert convert([(None, 1.15), (100, None)]) == [(None, None), (None, None)]


def near_half(rate: str, cents: int, nudge: int) -> int:
    """The micros nearest to (cents + 0.5) cents at this rate, nudged by a few micros."""
    return round(Fraction(2 * cents + 1, 2) * 10_000 / Fraction(rate)) + nudge


micros_at = st.one_of(
    st.integers(-(10**14), 10**14),
    st.integers(-INT62, INT62),
    st.integers(-(10**7), 10**7),
)
decimal_rows = st.lists(
    st.sampled_from(RATES).flatmap(
        lambda rate: st.one_of(
            micros_at,
            st.builds(near_half, st.just(rate), st.integers(-(10**9), 10**9), st.integers(-2, 2)),
        ).map(lambda micros: (micros, rate))
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decimal_rows)
def test_fast_equals_exact_and_the_hand_computation(rows: list[tuple[int, str]]) -> None:
    result = convert([(m, float(rate)) for m, rate in rows])
    expected = [decimal_cents(m, rate) for m, rate in rows]
    assert result == list(zip(expected, expected, strict=True))


any_rate = st.floats(min_value=1e-4, max_value=1e4, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(micros_at, any_rate), min_size=1, max_size=40))
def test_fast_equals_exact_for_any_double_rate(rows: list[tuple[int, float]]) -> None:
    assert all(fast == exact for fast, exact in convert(rows))
