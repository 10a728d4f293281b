"""The demo company's hidden health: seeded, recorded apart from the inputs, and driving both
churn and the usage the generator writes (what a model can recover from usage)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from netretain.synthetic import SyntheticCompany, generate_company


@pytest.fixture(scope="module")
def company() -> SyntheticCompany:
    return generate_company(customers=1500, months=24, seed=11)


def test_health_is_seeded_and_kept_apart(company: SyntheticCompany, tmp_path: Path) -> None:
    again = generate_company(customers=1500, months=24, seed=11)
    assert company.health.equals(again.health)
    assert "health" not in company.tables()
    path = company.write_health(tmp_path / "health.parquet")
    assert pq.read_table(path).equals(company.health)
    paths = company.write(tmp_path / "inputs", format="csv")
    assert not any("health" in p.name for p in paths.values())


def test_one_health_per_paying_month_with_usage_of_each_metric(company: SyntheticCompany) -> None:
    health = company.health.to_pandas()
    usage = company.usage_events.to_pandas()
    assert not health.duplicated(["customer_id", "month"]).any()
    assert set(usage["metric"]) == {"api_calls", "seats_active"}
    per_metric = usage.groupby("metric").size()
    assert per_metric["api_calls"] == per_metric["seats_active"] == len(health)


def frames(company: SyntheticCompany) -> pd.DataFrame:
    health = company.health.to_pandas()
    usage = company.usage_events.to_pandas()
    usage["month"] = usage["date"].str[:7]
    usage["quantity"] = usage["quantity"].astype(float)
    wide = usage.pivot_table(index=["customer_id", "month"], columns="metric", values="quantity")
    return health.merge(wide.reset_index(), on=["customer_id", "month"])


def test_usage_rises_with_health(company: SyntheticCompany) -> None:
    both = frames(company)
    calls = np.log1p(both["api_calls"])
    within = both.assign(calls=calls).groupby("customer_id")
    # within a customer, months of better health show more api calls (seats and plan aside)
    centred = within["calls"].transform(lambda x: x - x.mean())
    health = within["health"].transform(lambda x: x - x.mean())
    assert np.corrcoef(centred, health)[0, 1] > 0.5


def test_customers_who_churn_were_in_worse_health(company: SyntheticCompany) -> None:
    health = company.health.to_pandas()
    last = health.sort_values("month").groupby("customer_id").tail(1)
    final = health["month"].max()
    gone = last[last["month"] < final]  # stopped paying before the last month
    stayed = last[last["month"] == final]
    assert len(gone) > 50
    assert gone["health"].mean() < stayed["health"].mean() - 0.5
