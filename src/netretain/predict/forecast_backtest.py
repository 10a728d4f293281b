"""How good the forecast was: rerun it from past as-of months on what was known then, and score
it against what happened, beside three naive baselines (docs/forecast.md, "Backtest").

Pairs (origin, target) with target - origin in 1..horizon, target within the data, and target at
least 24 months into the panel (so a seasonal naive, the value 12 months before, exists for NDR).
MAPE is the mean of |forecast - actual| / |actual| over pairs (the median path as the forecast);
coverage is the share of pairs whose actual lies inside the interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netretain.predict.calibrate import Adjustment, track_record
from netretain.predict.forecast import FIGURES, HORIZON, Simulation, simulate
from netretain.predict.panel import Panel, retention

BASELINES = ("last_value", "trailing_mean", "seasonal_naive")
BACKTEST_PATHS = 200
FIRST_ORIGIN = 12  # months into the panel: a year of history before the first forecast


def history(panel: Panel) -> dict[str, np.ndarray]:
    """Each figure for every month of the panel (NaN where NDR/GDR have no cohort)."""
    months = range(panel.first, panel.last + 1)
    pairs = [retention(panel, m) for m in months]
    return {
        "ndr": np.array([p[0] for p in pairs]),
        "gdr": np.array([p[1] for p in pairs]),
        "mrr": panel.mrr.sum(axis=0),
    }


def baselines(series: np.ndarray, origin: int, target: int) -> dict[str, float]:
    """Naive forecasts of series[target] made at series[origin] (indexes into the series)."""
    known = series[: origin + 1]
    recent = known[-12:]
    recent = recent[~np.isnan(recent)]
    return {
        "last_value": float(known[-1]),
        "trailing_mean": float(recent.mean()) if len(recent) else float("nan"),
        "seasonal_naive": float(series[target - 12]) if target >= 12 else float("nan"),
    }


def simulations(
    panel: Panel, origins: list[int], *, horizon: int, paths: int, seed: int
) -> dict[int, Simulation]:
    """The simulation from each origin month (index), on what was known then."""
    return {
        o: simulate(panel, o, horizon=horizon, paths=paths, seed=seed + o - panel.first)
        for o in origins
    }


def backtest(
    panel: Panel,
    *,
    horizon: int = HORIZON,
    paths: int = BACKTEST_PATHS,
    seed: int = 0,
    sims: dict[int, Simulation] | None = None,
) -> dict[str, Any]:
    """MAPE of the (calibrated) forecast and of each baseline, and 80%/95% interval coverage, per
    figure; each origin calibrated only on outcomes known at that origin."""
    actual = history(panel)
    span = panel.last - panel.first
    origins = [panel.first + o for o in range(FIRST_ORIGIN, span)]
    if sims is None:
        sims = simulations(panel, origins, horizon=horizon, paths=paths, seed=seed)
    scores: dict[str, dict[str, list[float]]] = {
        f: {k: [] for k in ("model", *BASELINES, "in_80", "in_95")} for f in FIGURES
    }
    for origin in origins:
        earlier = {o: s for o, s in sims.items() if o < origin}
        adjust = track_record(earlier, actual, panel.first, origin)
        _score(sims[origin], adjust, actual, origin - panel.first, span, horizon, scores)
    return {
        "origins": {"first": origins[0], "last": origins[-1]} if origins else None,
        "pairs": len(scores["mrr"]["model"]),
        "figures": {f: _summary(scores[f]) for f in FIGURES},
    }


def _score(
    sim: Simulation,
    adjust: dict[str, Adjustment],
    actual: dict[str, np.ndarray],
    o: int,
    span: int,
    horizon: int,
    scores: dict[str, dict[str, list[float]]],
) -> None:
    for f in FIGURES:
        rows = sim.summary(f)
        for h in range(1, horizon + 1):
            t = o + h
            if t > span or t < 24:
                continue
            truth = float(actual[f][t])
            naive = baselines(actual[f], o, t)
            if np.isnan(truth) or any(np.isnan(v) for v in naive.values()):
                continue
            row = adjust[f].apply(rows[h - 1], h)
            scores[f]["model"].append(_ape(row["value"], truth))
            for name, value in naive.items():
                scores[f][name].append(_ape(value, truth))
            scores[f]["in_80"].append(float(row["lower_80"] <= truth <= row["upper_80"]))
            scores[f]["in_95"].append(float(row["lower_95"] <= truth <= row["upper_95"]))


def _ape(forecast: float, truth: float) -> float:
    return abs(forecast - truth) / abs(truth)


def _summary(scores: dict[str, list[float]]) -> dict[str, Any]:
    def mean(values: list[float]) -> float | None:
        return float(np.mean(values)) if values else None

    return {
        "mape": mean(scores["model"]),
        "baseline_mape": {name: mean(scores[name]) for name in BASELINES},
        "coverage_80": mean(scores["in_80"]),
        "coverage_95": mean(scores["in_95"]),
    }
