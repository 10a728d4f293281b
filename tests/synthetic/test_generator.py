"""Tests for the deterministic synthetic company generator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from netretain.synthetic import SyntheticCompany, generate_company

CUSTOMERS = 1500
MONTHS = 24
START = "2023-01"
BAD_ROWS = 9
AMOUNT = pa.decimal128(18, 2)

EXPECTED_SCHEMAS = {
    "customers": [
        ("customer_id", pa.string()),
        ("name", pa.string()),
        ("signup_date", pa.date32()),
        ("parent_id", pa.string()),
        ("segment", pa.string()),
        ("region", pa.string()),
        ("plan", pa.string()),
        ("gtm_motion", pa.string()),
        ("pricing_model", pa.string()),
    ],
    "subscriptions": [
        ("subscription_id", pa.string()),
        ("customer_id", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("amount", AMOUNT),
        ("interval_months", pa.int32()),
        ("currency", pa.string()),
        ("quantity", pa.int32()),
        ("plan", pa.string()),
    ],
    "invoice_lines": [
        ("line_id", pa.string()),
        ("customer_id", pa.string()),
        ("invoice_date", pa.date32()),
        ("type", pa.string()),
        ("service_start", pa.date32()),
        ("service_end", pa.date32()),
        ("amount", AMOUNT),
        ("currency", pa.string()),
        ("quantity", pa.int32()),
        ("plan", pa.string()),
        ("subscription_id", pa.string()),
    ],
    "fx_rates": [("month", pa.string()), ("currency", pa.string()), ("rate", pa.decimal128(18, 8))],
    "plans": [
        ("plan", pa.string()),
        ("metric", pa.string()),
        ("included_quantity", pa.decimal128(18, 8)),
    ],
    "usage_events": [
        ("customer_id", pa.string()),
        ("date", pa.string()),
        ("metric", pa.string()),
        ("quantity", pa.decimal128(18, 8)),
    ],
}


@pytest.fixture(scope="module")
def company() -> SyntheticCompany:
    return generate_company(
        customers=CUSTOMERS, months=MONTHS, seed=1, start=START, bad_rows=BAD_ROWS
    )


@pytest.fixture(scope="module")
def lines(company: SyntheticCompany) -> pd.DataFrame:
    return company.invoice_lines.to_pandas()


@pytest.fixture(scope="module")
def recurring(lines: pd.DataFrame) -> pd.DataFrame:
    frame = lines[lines["type"] != "one_time"].copy()
    frame["start"] = pd.to_datetime(frame["service_start"])
    frame["end"] = pd.to_datetime(frame["service_end"])
    return frame.sort_values(["customer_id", "start"], kind="stable")


def _months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _split_periods(recurring: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Full billing-period lines, and prorated upgrade lines ending with an earlier-started one."""
    subs = recurring[recurring["type"] == "subscription"]
    earliest = subs.groupby(["subscription_id", "end"])["start"].transform("min")
    return subs[subs["start"] == earliest], subs[subs["start"] > earliest]


def _period_months(frame: pd.DataFrame) -> pd.Series:
    return (frame["end"].dt.year - frame["start"].dt.year) * 12 + (
        frame["end"].dt.month - frame["start"].dt.month
    )


@pytest.mark.parametrize("name", list(EXPECTED_SCHEMAS))
def test_schema_matches_documented_input_format(company: SyntheticCompany, name: str) -> None:
    schema = company.tables()[name].schema
    assert [(field.name, field.type) for field in schema] == EXPECTED_SCHEMAS[name]


def test_tables_are_keyed_by_file_stem(company: SyntheticCompany) -> None:
    assert list(company.tables()) == [
        "customers",
        "subscriptions",
        "invoice_lines",
        "fx_rates",
        "plans",
        "usage_events",
    ]
    assert company.customers.num_rows == CUSTOMERS


def test_same_seed_gives_equal_tables_and_other_seed_differs() -> None:
    first = generate_company(customers=200, months=12, seed=5, bad_rows=7)
    second = generate_company(customers=200, months=12, seed=5, bad_rows=7)
    other = generate_company(customers=200, months=12, seed=6, bad_rows=7)
    for name, table in first.tables().items():
        assert table.equals(second.tables()[name]), name
    assert first.bad_invoice_lines == second.bad_invoice_lines
    assert not first.invoice_lines.equals(other.invoice_lines)
    assert not first.customers.equals(other.customers)


def test_bad_rows_do_not_change_clean_tables() -> None:
    clean = generate_company(customers=200, months=12, seed=5)
    assert clean.bad_invoice_lines == []
    dirty = generate_company(customers=200, months=12, seed=5, bad_rows=3)
    assert clean.invoice_lines.equals(dirty.invoice_lines)


def test_identifiers_are_unique(company: SyntheticCompany, lines: pd.DataFrame) -> None:
    customers = company.customers.column("customer_id").to_pylist()
    assert len(set(customers)) == CUSTOMERS
    assert customers[0] == "C0000001"
    assert lines["line_id"].is_unique
    assert company.subscriptions.column("subscription_id").to_pandas().is_unique


def test_every_line_belongs_to_a_known_customer(
    company: SyntheticCompany, lines: pd.DataFrame
) -> None:
    known = set(company.customers.column("customer_id").to_pylist())
    assert set(lines["customer_id"]) <= known
    assert set(company.subscriptions.column("customer_id").to_pylist()) <= known


def test_recurring_service_periods_are_positive(recurring: pd.DataFrame) -> None:
    assert recurring["start"].notna().all()
    assert (recurring["end"] > recurring["start"]).all()


def test_one_time_lines_have_no_period_plan_or_subscription(lines: pd.DataFrame) -> None:
    one_time = lines[lines["type"] == "one_time"]
    assert len(one_time) > 0
    assert one_time[["service_start", "service_end", "plan", "subscription_id"]].isna().all().all()


def test_line_types_and_amounts(lines: pd.DataFrame) -> None:
    assert set(lines["type"]) == {"subscription", "one_time", "usage"}
    assert (lines["amount"] > 0).all()
    usage = lines[lines["type"] == "usage"]
    assert usage.groupby("customer_id")["amount"].nunique().max() > 3


def test_recurring_intervals_monthly_quarterly_annual(
    company: SyntheticCompany, recurring: pd.DataFrame
) -> None:
    periods, _ = _split_periods(recurring)
    assert (periods["start"].dt.day == periods["end"].dt.day).all()
    assert set(_period_months(periods)) == {1, 3, 12}
    interval_months = set(company.subscriptions.column("interval_months").to_pylist())
    assert interval_months == {1, 3, 12}


def test_recurring_amount_is_whole_cents_times_interval(recurring: pd.DataFrame) -> None:
    periods, _ = _split_periods(recurring)
    cents = periods["amount"].map(lambda value: int(value * 100))
    assert (cents % _period_months(periods) == 0).all()


def test_three_currencies(company: SyntheticCompany, lines: pd.DataFrame) -> None:
    assert set(lines["currency"]) == {"USD", "EUR", "GBP"}
    assert set(company.subscriptions.column("currency").to_pylist()) == {"USD", "EUR", "GBP"}


def test_currency_follows_region(company: SyntheticCompany, lines: pd.DataFrame) -> None:
    region = company.customers.to_pandas().set_index("customer_id")["region"]
    pairs = set(zip(lines["customer_id"].map(region), lines["currency"], strict=True))
    assert pairs == {("NA", "USD"), ("APAC", "USD"), ("EMEA", "EUR"), ("EMEA", "GBP")}


def test_fx_covers_every_month_for_eur_and_gbp(
    company: SyntheticCompany, lines: pd.DataFrame
) -> None:
    fx = company.fx_rates.to_pandas()
    assert set(fx["currency"]) == {"EUR", "GBP"}
    assert not fx.duplicated(["month", "currency"]).any()
    invoice_months = {d.strftime("%Y-%m") for d in lines["invoice_date"]}
    window = {str(m) for m in pd.period_range(START, periods=MONTHS, freq="M")}
    for currency, expected in (("EUR", 1.08), ("GBP", 1.27)):
        rows = fx[fx["currency"] == currency]
        assert window | invoice_months <= set(rows["month"])
        rates = rows["rate"].astype(float)
        assert rates.between(expected * 0.8, expected * 1.2).all()
        assert rates.nunique() > MONTHS // 2


def test_subscriptions_only_customers_have_no_invoice_lines(
    company: SyntheticCompany, lines: pd.DataFrame
) -> None:
    subs = company.subscriptions.to_pandas()
    only = set(subs["customer_id"])
    assert 0.08 * CUSTOMERS < len(only) < 0.25 * CUSTOMERS
    assert only.isdisjoint(set(lines["customer_id"]))
    assert set(subs["subscription_id"]).isdisjoint(set(lines["subscription_id"].dropna()))


def test_subscription_rows_cover_open_ended_ended_and_price_changes(
    company: SyntheticCompany,
) -> None:
    subs = company.subscriptions.to_pandas().sort_values(["customer_id", "start_date"])
    assert subs["end_date"].isna().any()
    ended = subs.dropna(subset=["end_date"])
    assert (ended["end_date"] > ended["start_date"]).all()
    following = subs.groupby("customer_id").shift(-1)
    change = (subs["end_date"] == following["start_date"]) & (subs["amount"] != following["amount"])
    assert change.sum() > 10
    assert (subs.loc[change, "subscription_id"] != following.loc[change, "subscription_id"]).all()


def test_churned_customer_reactivates_after_a_gap(recurring: pd.DataFrame) -> None:
    covered_until = recurring.groupby("customer_id")["end"].cummax()
    previous_end = covered_until.groupby(recurring["customer_id"]).shift()
    gap_days = (recurring["start"] - previous_end).dt.days
    assert (gap_days >= 28).sum() >= 2


def test_mid_period_upgrade_is_prorated_by_days(recurring: pd.DataFrame) -> None:
    period, prorated = _split_periods(recurring)
    assert len(prorated) > 3
    joined = prorated.merge(period, on=["subscription_id", "end"], suffixes=("", "_period"))
    assert len(joined) == len(prorated)
    full_days = (joined["end"] - joined["start_period"]).dt.days
    left_days = (joined["end"] - joined["start"]).dt.days
    per_seat = joined["amount_period"].astype(float) / joined["quantity_period"]
    expected = joined["quantity"] * per_seat * left_days / full_days
    assert (joined["amount"].astype(float) - expected).abs().max() < 0.25
    assert (joined["start"] > joined["start_period"]).all()


def test_prices_rise_with_segment(company: SyntheticCompany, recurring: pd.DataFrame) -> None:
    segment = company.customers.to_pandas().set_index("customer_id")["segment"]
    subs = recurring[recurring["type"] == "subscription"].drop_duplicates("customer_id")
    months = subs.apply(lambda row: max(1, _months_between(row["start"], row["end"])), axis=1)
    monthly = (subs["amount"].astype(float) / months).groupby(subs["customer_id"].map(segment))
    median = monthly.median()
    assert 50 <= median["SMB"] <= 500
    assert 500 <= median["Mid-Market"] <= 5000
    assert 5000 <= median["Enterprise"] <= 50000


def test_customer_mix_and_growth(company: SyntheticCompany) -> None:
    customers = company.customers.to_pandas()
    share = customers["segment"].value_counts(normalize=True)
    assert share["SMB"] > share["Mid-Market"] > share["Enterprise"] > 0.05
    assert set(customers["gtm_motion"]) == {"self-serve", "sales-led"}
    assert set(customers["pricing_model"]) == {"seat", "usage", "hybrid"}
    signup = pd.to_datetime(customers["signup_date"])
    assert signup.dt.day.between(1, 28).all()
    halfway = pd.Timestamp(START) + pd.DateOffset(months=MONTHS // 2)
    assert (signup >= halfway).sum() > 1.2 * (signup < halfway).sum()


def test_subsidiaries_point_to_larger_earlier_customers(company: SyntheticCompany) -> None:
    customers = company.customers.to_pandas().set_index("customer_id")
    children = customers.dropna(subset=["parent_id"])
    assert 0.01 * CUSTOMERS < len(children) < 0.06 * CUSTOMERS
    parents = customers.loc[children["parent_id"]]
    assert (parents["segment"] == "Enterprise").all()
    assert parents["parent_id"].isna().all()
    assert (parents["signup_date"].to_numpy() <= children["signup_date"].to_numpy()).all()


def test_bad_rows_cover_each_defect(company: SyntheticCompany, lines: pd.DataFrame) -> None:
    bad = company.bad_invoice_lines
    assert len(bad) == BAD_ROWS
    assert all(set(row) == {name for name, _ in EXPECTED_SCHEMAS["invoice_lines"]} for row in bad)
    assert any(row["amount"] == "12,5x" for row in bad)
    assert any(row["invoice_date"] == "2024-13-45" for row in bad)
    assert any(row["type"] == "refund" for row in bad)
    assert any(row["customer_id"] == "" for row in bad)
    assert any(row["currency"] == "XYZ" for row in bad)
    assert any(row["service_end"] < row["service_start"] for row in bad)
    amounts = lines.set_index("line_id")["amount"]
    repeated = [row for row in bad if row["line_id"] in amounts.index]
    assert len(repeated) == 1
    assert Decimal(repeated[0]["amount"]) != amounts[repeated[0]["line_id"]]


def test_write_csv_round_trip(company: SyntheticCompany, tmp_path: Path) -> None:
    paths = company.write(tmp_path, format="csv")
    assert {name: path.name for name, path in paths.items()} == {
        name: f"{name}.csv" for name in company.tables()
    }
    for name in ("customers", "subscriptions", "fx_rates"):
        table = company.tables()[name]
        options = pacsv.ConvertOptions(
            column_types=table.schema, strings_can_be_null=True, quoted_strings_can_be_null=False
        )
        assert pacsv.read_csv(paths[name], convert_options=options).equals(table), name
    as_text = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in company.invoice_lines.schema.names}
    )
    raw = pacsv.read_csv(paths["invoice_lines"], convert_options=as_text)
    clean_rows = company.invoice_lines.num_rows
    assert raw.num_rows == clean_rows + BAD_ROWS
    assert raw.slice(clean_rows).to_pylist() == company.bad_invoice_lines
    head = raw.slice(0, 3).to_pylist()
    assert head[0]["invoice_date"] == company.invoice_lines["invoice_date"][0].as_py().isoformat()
    assert head[0]["amount"] == str(company.invoice_lines["amount"][0].as_py())
    one_time = raw.filter(pc.equal(raw["type"], "one_time")).slice(0, 1).to_pylist()[0]
    assert one_time["service_start"] == "" and one_time["subscription_id"] == ""


def test_write_parquet_round_trip_ignores_bad_rows(
    company: SyntheticCompany, tmp_path: Path
) -> None:
    paths = company.write(tmp_path / "out", format="parquet")
    for name, table in company.tables().items():
        assert paths[name].suffix == ".parquet"
        assert pq.read_table(paths[name]).equals(table), name


def test_write_rejects_unknown_format(company: SyntheticCompany, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format"):
        company.write(tmp_path, format="json")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"customers": 0}, {"months": 0}, {"start": "2023-1"}, {"start": "2023-13"}, {"bad_rows": -1}],
)
def test_invalid_arguments_raise(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        generate_company(**kwargs)  # type: ignore[arg-type]
