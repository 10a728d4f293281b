"""The pandas baseline's report: monthly movements and the trailing-12 trend, from dense MRR."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from benchmarks.contenders import pandas_baseline as pb
from benchmarks.data import Dataset
from benchmarks.figures import Figures, figures

WINDOW = 12
MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")


def movements(mrr: pd.DataFrame, first: int, horizon: int) -> pd.DataFrame:
    """MRR, paying customers and each movement per month, every month of the ledger."""
    cur = mrr["cents"]
    prev = mrr.groupby("customer")["cents"].shift()
    had = prev.notna()
    prev = prev.fillna(0).astype(np.int64)
    zero = np.int64(0)
    moves = pd.DataFrame(
        {
            "month_index": mrr["month"],
            "mrr_cents": cur,
            "customers": (cur > 0).astype(np.int64),
            "new": np.where(~had, cur, zero),
            "expansion": np.where(had & (prev > 0) & (cur > prev), cur - prev, zero),
            "contraction": np.where((prev > 0) & (cur > 0) & (cur < prev), prev - cur, zero),
            "churn": np.where((prev > 0) & (cur == 0), prev, zero),
            "reactivation": np.where(had & (prev == 0) & (cur > 0), cur, zero),
        }
    )
    summary = moves.groupby("month_index").sum()
    summary = summary.reindex(range(first, horizon + 1), fill_value=0)
    return summary.rename_axis("month_index").reset_index()


def pairs(mrr: pd.DataFrame, segment: np.ndarray, horizon: int) -> pd.DataFrame:
    """Each cohort customer's MRR at T - 12 and at T (0 when gone), with its segment."""
    start = mrr[(mrr["cents"] > 0) & (mrr["month"] + WINDOW <= horizon)]
    end = mrr.rename(columns={"month": "as_of_index", "cents": "end_cents"})
    out = pd.DataFrame(
        {
            "customer": start["customer"].to_numpy(),
            "as_of_index": start["month"].to_numpy() + WINDOW,
            "start_cents": start["cents"].to_numpy(),
        }
    ).merge(end, on=["customer", "as_of_index"], how="left")
    out["end_cents"] = out["end_cents"].fillna(0).astype(np.int64)
    out["segment"] = segment[out["customer"].to_numpy()]
    return out


def trend(cohort: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The cohort bridge and NDR, GDR, logo retention per key."""
    s, e = cohort["start_cents"], cohort["end_cents"]
    zero = np.int64(0)
    parts = cohort[keys].assign(
        starting_cents=s,
        ending_cents=e,
        expansion_cents=np.where(e > s, e - s, zero),
        contraction_cents=np.where((e > 0) & (e < s), s - e, zero),
        churn_cents=np.where(e == 0, s, zero),
        retained_cents=np.minimum(s, e),
        customers_start=np.int64(1),
        customers_retained=(e > 0).astype(np.int64),
    )
    t = parts.groupby(keys, dropna=False).sum().reset_index()
    start = t["starting_cents"].astype(np.float64)
    t["ndr"] = t["ending_cents"].astype(np.float64) / start
    t["gdr"] = t["retained_cents"].astype(np.float64) / start
    t["logo_retention"] = t["customers_retained"] / t["customers_start"]
    return t


def segments(dataset: Dataset, customer_names: pd.Index) -> np.ndarray:
    """Each customer code's segment (None when the customer is not in the customers file)."""
    customers = pb.read(dataset.paths["customers"], ["customer_id", "segment"])
    customers = customers.drop_duplicates("customer_id")
    segment = customers["segment"].str.strip()
    segment = segment.mask(segment == "").set_axis(customers["customer_id"])
    return (
        segment.reindex(customer_names).astype(object).where(lambda s: s.notna(), None).to_numpy()
    )


def run(dataset: Dataset, reporting: str = "USD") -> Figures:
    """The full report from the Parquet files, in pandas."""
    lines, billed = pb.invoice_lines(dataset, reporting)
    horizon = int(lines["first"].max()) if len(lines) else -1
    unbilled, latest = pb.subscription_lines(dataset, billed, reporting)
    lines = pd.concat([lines, unbilled], ignore_index=True)
    horizon = max(horizon, latest)
    lines["customer"], customer_names = pd.factorize(lines["customer_id"])
    lines["currency"], currency_names = pd.factorize(lines["currency"])
    first = int(lines["first"].min())
    native = pb.expand(lines.drop(columns="customer_id"), horizon)
    rates = pb.fx_table(dataset, currency_names, first, horizon, reporting)
    mrr = pb.monthly_mrr(native, rates, first, horizon)
    del lines, native
    cohort = pairs(mrr, segments(dataset, customer_names), horizon)
    return figures(
        pa.Table.from_pandas(movements(mrr, first, horizon), preserve_index=False),
        pa.Table.from_pandas(trend(cohort, ["as_of_index"]), preserve_index=False),
        pa.Table.from_pandas(trend(cohort, ["as_of_index", "segment"]), preserve_index=False),
    )
