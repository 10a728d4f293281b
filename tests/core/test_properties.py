"""Properties of any ledger (issue 3), on small random ledgers built through the CSV ingest.

Each example is a few customers with invoice lines (subscription, usage, one-time; USD, EUR, GBP),
subscription rows and MRR rows. An independent Python model of the MRR rules gives the expected
monthly MRR; the movements, monthly bridges and retention reports must tie out exactly.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netretain import Ledger
from netretain.core import retention
from netretain.core.arith import month_label
from netretain.definitions import Definition, resolve
from tests.conftest import Inputs, definition, ledger_from

SETTINGS = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FIRST_DAY = dt.date(2023, 1, 1)
RATES = ("0.85", "1.10", "1.15", "1.2345", "1.30")
CURRENCIES = ("USD", "EUR", "GBP")
Row = tuple[Any, ...]


def index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 month = Feb 29)."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def round_half_away(value: Fraction) -> int:
    magnitude = int(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


def line_micros(cents: int, start: dt.date, end: dt.date) -> int:
    """A line's monthly rate in native millionths: whole months from the start, then the remainder
    in days over the days of the month it starts in."""
    whole = 0
    while add_months(start, whole + 1) <= end:
        whole += 1
    anchor = add_months(start, whole)
    days = calendar.monthrange(anchor.year, anchor.month)[1]
    months = whole + Fraction((end - anchor).days, days)
    return round_half_away(Fraction(cents * 10_000) / months)


@dataclass
class Company:
    """Random input rows, as CSV row tuples per kind."""

    invoice_lines: list[Row]
    subscriptions: list[Row]
    mrr: list[Row]
    fx_rates: list[Row]

    def files(self) -> dict[str, list[Row]]:
        kinds = {
            "fx_rates": self.fx_rates,
            "invoice_lines": self.invoice_lines,
            "subscriptions": self.subscriptions,
            "mrr": self.mrr,
        }
        return {kind: rows for kind, rows in kinds.items() if rows}


@st.composite
def companies(draw: st.DrawFn) -> Company:
    customers = [f"C{n}" for n in range(draw(st.integers(1, 4)))]
    cents = st.integers(1, 300_000)
    day = st.integers(0, 540).map(lambda n: FIRST_DAY + dt.timedelta(days=n))
    currency = st.sampled_from(CURRENCIES)
    lines: list[Row] = []
    for n in range(draw(st.integers(1, 8))):
        customer = draw(st.sampled_from(customers))
        kinds = ["subscription", "subscription", "usage", "one_time"]
        kind = draw(st.sampled_from(kinds[: 1 if n == 0 else 4]))  # some recurring revenue
        start = draw(day)
        if draw(st.booleans()):
            end = add_months(start, draw(st.sampled_from([1, 1, 2, 3, 12])))
        else:
            end = start + dt.timedelta(days=draw(st.integers(1, 120)))
        amount = Decimal(draw(cents)) / 100
        period = (start, end) if kind != "one_time" else (None, None)
        lines.append((f"L{n}", customer, start, kind, *period, amount, draw(currency)))
    subscriptions: list[Row] = []
    for n in range(draw(st.integers(0, 2))):
        start = draw(day)
        end = draw(st.none() | st.integers(1, 400).map(lambda d, s=start: s + dt.timedelta(d)))
        interval = draw(st.sampled_from([1, 3, 12]))
        amount = Decimal(draw(cents)) / 100
        customer = draw(st.sampled_from(customers))
        subscriptions.append((f"S{n}", customer, start, end, amount, interval, draw(currency)))
    keys = draw(
        st.sets(st.tuples(st.sampled_from(customers), st.integers(0, 17), currency), max_size=4)
    )
    mrr = [
        (c, month_label(index(FIRST_DAY) + m), Decimal(draw(cents)) / 100, cur)
        for c, m, cur in sorted(keys)
    ]
    rates: list[Row] = [("2022-12", cur, draw(st.sampled_from(RATES))) for cur in ("EUR", "GBP")]
    foreign = st.sampled_from(["EUR", "GBP"])
    later = draw(st.sets(st.tuples(st.integers(0, 17), foreign), max_size=4))
    rates += [
        (month_label(index(FIRST_DAY) + m), cur, draw(st.sampled_from(RATES)))
        for m, cur in sorted(later)
    ]
    return Company(lines, subscriptions, mrr, rates)


def expected_mrr(company: Company) -> dict[str, dict[int, int]]:
    """The MRR rules in plain Python: customer -> month index -> cents, dense like the ledger."""
    # (customer, currency, first month, last month or None, monthly micros)
    spans: list[tuple[str, str, int, int | None, int]] = []
    starts: list[int] = []
    for _, customer, _, kind, start, end, amount, currency in company.invoice_lines:
        if kind != "one_time":
            micros = line_micros(int(amount * 100), start, end)
            spans.append((customer, currency, index(start), index(end) - 1, micros))
            starts.append(index(start))
    for _, customer, start, end, amount, interval, currency in company.subscriptions:
        micros = round_half_away(Fraction(int(amount * 100) * 10_000, interval))
        last = None if end is None else index(end) - 1
        spans.append((customer, currency, index(start), last, micros))
        starts.append(index(start))
    for customer, month, amount, currency in company.mrr:
        month_index = int(month[:4]) * 12 + int(month[5:]) - 1
        spans.append((customer, currency, month_index, month_index, int(amount * 100) * 10_000))
        starts.append(month_index)
    first, horizon = min(s[2] for s in spans), max(starts)
    rates: dict[str, dict[int, Fraction]] = defaultdict(dict)
    for month, currency, rate in company.fx_rates:
        rates[currency][int(month[:4]) * 12 + int(month[5:]) - 1] = Fraction(Decimal(rate))

    def rate(currency: str, month: int) -> Fraction:
        if currency == "USD":
            return Fraction(1)
        return rates[currency][max(m for m in rates[currency] if m <= month)]

    native: dict[tuple[str, int, str], int] = defaultdict(int)
    for customer, currency, start, last, micros in spans:
        for month in range(max(start, first), min(horizon if last is None else last, horizon) + 1):
            native[customer, month, currency] += micros
    totals: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (customer, month, currency), micros in native.items():
        cents = micros * rate(currency, month) / 10_000
        totals[customer][month] += int(cents + Fraction(1, 2))  # half up, per currency
    dense: dict[str, dict[int, int]] = {}
    for customer, months in totals.items():
        paying = [m for m, cents in months.items() if cents > 0]
        if paying:
            end = min(max(paying) + 1, horizon)
            dense[customer] = {m: max(months.get(m, 0), 0) for m in range(min(paying), end + 1)}
    return dense


def build(company: Company) -> Ledger:
    with TemporaryDirectory() as directory:
        return ledger_from(Inputs(Path(directory)), **company.files())


def knobs() -> st.SearchStrategy[Definition]:
    return st.builds(
        definition,
        window_months=st.sampled_from([1, 2, 3, 6, 12]),
        revenue=st.sampled_from([["subscription", "usage"], ["subscription"], ["usage"]]),
        reactivation_window_months=st.sampled_from([None, 1, 2]),
        gap_tolerance_days=st.sampled_from([0, 10]),
        min_starting_mrr=st.sampled_from([0, 50]),
        gdr_cap=st.sampled_from(["customer", "aggregate"]),
        fx=st.sampled_from(["actual", "constant"]),
    )


def customer_mrr(ledger: Ledger, d: Definition | None = None) -> dict[str, dict[int, int]]:
    out: dict[str, dict[int, int]] = defaultdict(dict)
    for r in ledger.execute(ledger.mrr(d)).to_pylist():
        out[r["customer_id"]][r["month_index"]] = r["mrr_cents"]
    return dict(out)


def retention_rows(ledger: Ledger, d: Definition) -> list[dict[str, Any]]:
    table = retention.retention_table(ledger.sources, d)
    return sorted(ledger.execute(table).to_pylist(), key=lambda r: r["as_of_index"])


def check_bridges(rows: Sequence[dict[str, Any]]) -> None:
    for r in rows:
        bridge = r["starting_cents"] - r["churn_cents"] - r["contraction_cents"]
        assert bridge + r["expansion_cents"] == r["ending_cents"], r


@SETTINGS
@given(company=companies(), knobs=knobs())
def test_mrr_sums_and_monthly_bridges_tie_out(company: Company, knobs: Definition) -> None:
    ledger = build(company)
    # MRR per customer and month follows the rules (an independent model of them).
    expected = expected_mrr(company)
    assert customer_mrr(ledger) == expected
    for d in (None, knobs):
        # Sums of customer MRR equal the monthly total; paying customers are counted.
        by_month: dict[str, list[int]] = defaultdict(list)
        for months in customer_mrr(ledger, d).values():
            for month, cents in months.items():
                by_month[month_label(month)].append(cents)
        summary = ledger.movements(definition=d)
        for month in summary:
            cents = by_month.get(month.month, [])
            assert month.mrr == Decimal(sum(cents)) / 100, month
            assert month.customers == sum(1 for c in cents if c > 0), month
        # The monthly bridge closes for every customer-month ...
        previous: dict[str, int] = {}
        for r in ledger.customer_history(definition=d).to_pylist():
            assert r["previous_cents"] == previous.get(r["customer_id"], 0), r
            gained = r["new"] + r["expansion"] + r["reactivation"]
            assert r["previous_cents"] + gained - r["contraction"] - r["churn"] == r["mrr_cents"]
            previous[r["customer_id"]] = r["mrr_cents"]
        # ... and for every month of the whole business.
        month_total = Decimal(0)
        for month in summary:
            assert month_total + month.net_new == month.mrr, month
            month_total = month.mrr


@SETTINGS
@given(company=companies(), knobs=knobs())
def test_ndr_by_cohort_equals_ndr_by_movements_and_every_bridge_closes(
    company: Company, knobs: Definition
) -> None:
    ledger = build(company)
    # Movements sum each month at that month's rate, so they pair with actual FX only.
    actual = definition(**{**knobs.content(), "name": "x", "fx": "actual"})
    cohort = retention_rows(ledger, actual)
    moves = retention_rows(ledger, definition(**{**actual.content(), "method": "movements"}))
    assert [r["as_of_index"] for r in moves] == [r["as_of_index"] for r in cohort]
    for c, m in zip(cohort, moves, strict=True):
        assert (m["starting_cents"], m["ending_cents"]) == (c["starting_cents"], c["ending_cents"])
        assert m["customers_start"] == c["customers_start"]
        assert m["ndr"] == c["ndr"]
    check_bridges(cohort)
    check_bridges(moves)
    for d in (knobs, resolve("ndr@1"), resolve("compounded-monthly@1")):
        check_bridges(retention_rows(ledger, d))
    report = ledger.report(definition=knobs)
    r = report.retention
    assert r.starting_mrr - r.churn_mrr - r.contraction_mrr + r.expansion_mrr == r.ending_mrr
