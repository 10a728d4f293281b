"""The simulation on small panels whose future is known by hand, and its use of the past only."""

from __future__ import annotations

import numpy as np
import pytest

from netretain.errors import LedgerError
from netretain.predict import forecast
from netretain.predict.forecast import simulate
from netretain.predict.forecast_backtest import baselines
from netretain.predict.panel import Panel, cohort_ratios


def steady(customers: int = 200, months: int = 30) -> Panel:
    """Every customer pays the same every month from the start: nobody moves, nobody joins."""
    mrr = np.tile(np.linspace(100.0, 5000.0, customers)[:, None], (1, months))
    groups = np.array(["A", "B"] * (customers // 2))
    return Panel(np.array([f"c{i}" for i in range(customers)]), groups, 24000, mrr)


def test_a_business_where_nothing_moves_forecasts_no_change() -> None:
    panel = steady()
    sim = simulate(panel, panel.last, paths=50)
    assert np.allclose(sim.ndr, 1.0) and np.allclose(sim.gdr, 1.0)
    assert np.allclose(sim.mrr, panel.mrr[:, -1].sum())


def test_the_forecast_sees_only_the_past() -> None:
    rng = np.random.default_rng(3)
    panel = steady()
    noisy = panel.mrr * rng.uniform(0.8, 1.2, panel.mrr.shape)
    noisy[:20, 15:] = 0.0  # churn
    panel = Panel(panel.customers, panel.groups, panel.first, noisy)
    origin = panel.first + 20
    full = simulate(panel, origin, paths=40, seed=1)
    cut = simulate(panel.until(origin), origin, paths=40, seed=1)
    for name in ("ndr", "gdr", "mrr"):
        np.testing.assert_array_equal(full.figure(name), cut.figure(name))


def test_summary_bounds_are_ordered() -> None:
    rng = np.random.default_rng(4)
    panel = steady()
    noisy = panel.mrr * rng.uniform(0.7, 1.3, panel.mrr.shape)
    sim = simulate(Panel(panel.customers, panel.groups, panel.first, noisy), panel.last, paths=100)
    for row in sim.summary("ndr"):
        assert (
            row["lower_95"] <= row["lower_80"] <= row["value"] <= row["upper_80"] <= row["upper_95"]
        )


def test_cohort_ratios_by_hand() -> None:
    start = np.array([100.0, 50.0, 0.0, 50.0])
    end = np.array([150.0, 0.0, 80.0, 40.0])
    ndr, gdr = cohort_ratios(start, end)
    assert ndr == pytest.approx(190 / 200) and gdr == pytest.approx(140 / 200)


def test_naive_baselines_by_hand() -> None:
    series = np.arange(30, dtype=float)
    out = baselines(series, origin=20, target=25)
    assert out == {"last_value": 20.0, "trailing_mean": 14.5, "seasonal_naive": 13.0}


def test_too_short_a_history_is_refused_by_name() -> None:
    panel = steady(months=10)
    with pytest.raises(LedgerError, match=r"12 months of history.*as_of"):
        simulate(panel, panel.last)


def test_past_the_cap_a_sample_stands_for_every_customer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forecast, "MAX_SIMULATED", 50)
    panel = steady(customers=200)
    flat = Panel(panel.customers, panel.groups, panel.first, np.full_like(panel.mrr, 300.0))
    sim = simulate(flat, flat.last, paths=20)
    assert np.allclose(sim.ndr, 1.0)
    assert np.allclose(sim.mrr, 200 * 300.0)
