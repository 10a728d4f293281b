"""forecast, curves and alerts on the demo company through the CLI, against their schemas, and the
forecast's backtest against the issue's targets (figures recorded in docs/forecast.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import invoke, invoke_json

FIGURES = ("ndr", "gdr", "mrr")


@pytest.fixture(scope="module")
def forecast(demo_db: Path) -> dict[str, Any]:
    return invoke_json("forecast", "--db", demo_db, schema="forecast")


def test_twelve_months_with_ordered_intervals(forecast: dict[str, Any]) -> None:
    months = forecast["months"]
    assert [m["month"] for m in months][:2] == ["2026-01", "2026-02"]
    for m in months:
        assert m["lower_95"] <= m["lower_80"] <= m["ndr"] <= m["upper_80"] <= m["upper_95"]
        for name in FIGURES:
            band = m["intervals"][name]
            assert band["lower_95"] <= band["lower_80"] <= band["upper_80"] <= band["upper_95"]
    assert 0.5 < months[0]["ndr"] < 1.5 and 0.5 < months[0]["gdr"] <= 1.0


def test_same_seed_same_figures(demo_db: Path, forecast: dict[str, Any]) -> None:
    again = invoke_json("forecast", "--db", demo_db, "--no-backtest", schema="forecast")
    assert again["months"] == forecast["months"]


@pytest.mark.parametrize("figure", FIGURES)
def test_backtest_mape_beats_every_naive_baseline(forecast: dict[str, Any], figure: str) -> None:
    scored = forecast["backtest"]["figures"][figure]
    assert all(scored["mape"] < v for v in scored["baseline_mape"].values()), scored


@pytest.mark.parametrize("figure", FIGURES)
def test_80_percent_interval_covers_70_to_90_percent(forecast: dict[str, Any], figure: str) -> None:
    scored = forecast["backtest"]["figures"][figure]
    assert 0.7 <= scored["coverage_80"] <= 0.9, scored
    assert scored["coverage_80"] <= scored["coverage_95"]


def test_backtest_scores_enough_pairs(forecast: dict[str, Any]) -> None:
    backtest = forecast["backtest"]
    assert backtest["origins"] == {"first": "2024-01", "last": "2025-11"}
    assert backtest["pairs"] >= 100


def test_curves_fit_each_cohort(demo_db: Path) -> None:
    result = invoke_json("curves", "--db", demo_db, "--by", "segment", schema="curves")
    fitted = [c for c in result["cohorts"] if c["model"]]
    assert fitted and {c["group"] for c in fitted} <= {"SMB", "Mid-Market", "Enterprise"}
    for c in fitted:
        assert c["survivors"][0] == c["customers"]
        assert c["projected_survival"][0] == pytest.approx(1.0)


def test_alerts_exit_zero_and_match_the_schema(demo_db: Path) -> None:
    result = invoke_json("alerts", "--db", demo_db, "--since", "2024-01", schema="alerts")
    assert all(a["month"] >= "2024-01" for a in result["alerts"])
    table = invoke("alerts", "--db", demo_db)
    assert table.exit_code == 0
