"""Hand-written pandas baseline: what a careful analyst writes today, vectorised end to end.

Same rules as netretain (see `baseline.sql` for the SQL twin): recurring invoice lines spread over
their service period's months, unbilled subscription rows, FX at the last rate at or before each
month converted exactly per currency, dense MRR, movements against the previous month and the
trailing-12 cohort per as-of month, overall and by segment.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa

from benchmarks.data import Dataset

EPOCH_MONTH = 1970 * 12  # month index of 1970-01
RATE_SCALE = 10**8  # fx rates carry 8 decimals
LINE_COLUMNS = ["customer_id", "type", "currency", "service_start", "service_end", "amount"]


def month_of(days: np.ndarray) -> np.ndarray:
    """Month index (year * 12 + month - 1) of datetime64[D] values."""
    return days.astype("datetime64[M]").astype(np.int64) + EPOCH_MONTH


def day_of(days: np.ndarray) -> np.ndarray:
    """Day of the month of datetime64[D] values."""
    return (days - days.astype("datetime64[M]")).astype(np.int64) + 1


def month_days(index: np.ndarray) -> np.ndarray:
    """Days in the month with this month index."""
    first = (index - EPOCH_MONTH).astype("datetime64[M]")
    return ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(np.int64)


def round_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b rounded half away from zero, in integers (b > 0)."""
    return np.sign(a) * ((2 * np.abs(a) + b) // (2 * b))


def read(path: object, columns: list[str]) -> pd.DataFrame:
    """Read Parquet with Arrow-backed columns (dates and decimals stay cheap to convert)."""
    return pd.read_parquet(path, columns=columns, dtype_backend="pyarrow")


def dates(column: pd.Series) -> np.ndarray:
    """An Arrow date column as datetime64[D] (NaT for null)."""
    stamps = column.astype(pd.ArrowDtype(pa.timestamp("ms")))
    return stamps.to_numpy(dtype="datetime64[ms]", na_value=np.datetime64("NaT")).astype(
        "datetime64[D]"
    )


def cents(column: pd.Series) -> np.ndarray:
    """Exact integer cents of a DECIMAL(18,2) amount column."""
    return np.rint(column.astype("float64[pyarrow]").to_numpy(dtype=np.float64) * 100).astype(
        np.int64
    )


def currencies(column: pd.Series, reporting: str) -> pd.Series:
    """Trimmed upper-case ISO codes, the reporting currency when empty."""
    text = column.str.strip().str.upper()
    return text.mask(text.isna() | (text == ""), reporting)


def invoice_lines(dataset: Dataset, reporting: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Recurring invoice lines with their monthly rate; also every billed subscription id."""
    raw = read(dataset.paths["invoice_lines"], [*LINE_COLUMNS, "subscription_id"])
    billed = raw["subscription_id"].dropna().unique()
    raw = raw[raw["type"].isin(["subscription", "usage"])]
    start, end = dates(raw["service_start"]), dates(raw["service_end"])
    first, last = month_of(start), month_of(end)
    start_day, end_day = day_of(start), day_of(end)
    reaches = np.minimum(start_day, month_days(last)) <= end_day
    whole = last - first - (~reaches)
    anchor_days = month_days(first + whole)
    anchor_day = np.minimum(start_day, anchor_days)
    remainder = np.where(reaches, end_day - anchor_day, anchor_days - anchor_day + end_day)
    units = whole * anchor_days + remainder
    micros = round_div(cents(raw["amount"]) * 10_000 * anchor_days, units)
    lines = pd.DataFrame(
        {
            "customer_id": raw["customer_id"].to_numpy(),
            "currency": currencies(raw["currency"], reporting).to_numpy(),
            "first": first,
            "last": last - 1,
            "micros": micros,
        }
    )
    return lines, billed


def subscription_lines(
    dataset: Dataset, billed: np.ndarray, reporting: str
) -> tuple[pd.DataFrame, int]:
    """Subscription rows no invoice line bills, at amount / interval per month (open end = -1);
    also the latest month any subscription starts in."""
    columns = ["subscription_id", "customer_id", "currency", "start_date", "end_date", "amount"]
    subs = read(dataset.paths["subscriptions"], [*columns, "interval_months"])
    latest = int(month_of(dates(subs["start_date"])).max(initial=-1))
    subs = subs[~subs["subscription_id"].isin(billed)]
    start, end = dates(subs["start_date"]), dates(subs["end_date"])
    interval = subs["interval_months"].to_numpy(dtype=np.int64)
    lines = pd.DataFrame(
        {
            "customer_id": subs["customer_id"].to_numpy(),
            "currency": currencies(subs["currency"], reporting).to_numpy(),
            "first": month_of(start),
            "last": np.where(np.isnat(end), -1, month_of(end) - 1),
            "micros": round_div(cents(subs["amount"]) * 10_000, interval),
        }
    )
    return lines, latest


def expand(lines: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """One row per line and month in force (up to the horizon), native micros summed per key."""
    last = np.where(lines["last"].to_numpy() < 0, horizon, np.minimum(lines["last"], horizon))
    first = lines["first"].to_numpy()
    lengths = np.clip(last - first + 1, 0, None)
    row = np.repeat(np.arange(len(lines)), lengths)
    offset = np.arange(len(row)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    months = pd.DataFrame(
        {
            "customer": lines["customer"].to_numpy()[row],
            "currency": lines["currency"].to_numpy()[row],
            "month": first[row] + offset,
            "micros": lines["micros"].to_numpy()[row],
        }
    )
    return months.groupby(["customer", "currency", "month"], as_index=False, sort=False)[
        "micros"
    ].sum()


def fx_table(
    dataset: Dataset, currency_names: pd.Index, first: int, horizon: int, reporting: str
) -> np.ndarray:
    """Exact rate (units of 1e-8 USD) per currency code and month from `first`; 0 = no rate yet."""
    fx = pd.read_parquet(dataset.paths["fx_rates"])
    fx["month"] = fx["month"].str[:4].astype(int) * 12 + fx["month"].str[5:7].astype(int) - 1
    fx["rate"] = [int(Decimal(r) * RATE_SCALE) for r in fx["rate"]]
    grid = fx.pivot_table(index="month", columns="currency", values="rate", aggfunc="last")
    months = range(min(first, int(grid.index.min())), horizon + 1)
    grid = grid.reindex(months).ffill().reindex(range(first, horizon + 1))
    table = np.zeros((len(currency_names), horizon - first + 1), dtype=np.int64)
    for code, name in enumerate(currency_names):
        if name == reporting:
            table[code] = RATE_SCALE
        elif name in grid.columns:
            table[code] = grid[name].fillna(0).to_numpy(dtype=np.int64)
    return table


def to_cents(micros: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """floor(micros * rate / 1e12 + 1/2) exactly, in int64 pieces (rate in 1e-8 units)."""
    high, low = np.divmod(micros, 10**6)
    x_high, x_low = np.divmod(high * rate, 10**6)
    return x_high + (x_low * 10**6 + low * rate + 5 * 10**11) // 10**12


def monthly_mrr(native: pd.DataFrame, rates: np.ndarray, first: int, horizon: int) -> pd.DataFrame:
    """Dense MRR in cents per customer and month, sorted by customer and month."""
    month = native["month"].to_numpy()
    rate = rates[native["currency"].to_numpy(), month - first]
    known = rate > 0
    converted = pd.DataFrame(
        {
            "customer": native["customer"].to_numpy()[known],
            "month": month[known],
            "cents": to_cents(native["micros"].to_numpy()[known], rate[known]),
        }
    )
    total = converted.groupby(["customer", "month"], as_index=False)["cents"].sum()
    paying = total[total["cents"] > 0]
    bounds = paying.groupby("customer")["month"].agg(["min", "max"])
    lengths = np.minimum(bounds["max"].to_numpy() + 1, horizon) - bounds["min"].to_numpy() + 1
    customer = np.repeat(bounds.index.to_numpy(), lengths)
    offset = np.arange(len(customer)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    grid = pd.DataFrame(
        {"customer": customer, "month": np.repeat(bounds["min"].to_numpy(), lengths) + offset}
    )
    dense = grid.merge(paying, on=["customer", "month"], how="left")
    dense["cents"] = dense["cents"].fillna(0).astype(np.int64)
    return dense
