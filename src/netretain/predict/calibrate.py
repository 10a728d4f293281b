"""Calibrating the simulation on its own track record: what it got wrong from earlier as-of months
whose outcome is known by now widens (never narrows) its intervals and corrects a steady drift.

Per figure two numbers, from every earlier (origin, h) whose target month is known: the drift, the
median of log(actual / median path) / h (a bias per month ahead), and the stretch k, how far the
80% interval must be widened around the median (in log terms) for 80% of those actuals to fall in
it. The simulation's spread covers customer luck and month-to-month swings; k adds what it misses
(persistent shifts such as exchange rates, or a business changing pace). NDR and GDR pairs count
only once their cohort (the month 12 before the target) is past the panel's first year, as in the
backtest: a founding-year cohort is a handful of accounts a month whose ratio swings on one of
them, so its errors would widen every later interval (MRR has no cohort and counts from the start).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netretain.predict.forecast import FIGURES, QUANTILES, Simulation

MIN_PAIRS = 12
MIN_AT_H = 6  # earlier pairs a horizon band needs for a stretch of its own
BANDS = ((1, 3), (4, 8), (9, 12))
MIN_SPREAD = 1e-4  # log half-width below which an interval is taken as degenerate
MAX_STRETCH = 3.0
COHORT_FIGURES = ("ndr", "gdr")
FOUNDING = 12  # months: a trailing-12 ratio whose cohort starts this early is not scored


@dataclass(frozen=True)
class Adjustment:
    """Drift per month ahead (log) and the stretch of the intervals, for one figure."""

    stretch_at: dict[int, float] = field(default_factory=dict)
    stretch: float = 1.0

    def apply(self, row: dict[str, float], h: int) -> dict[str, float]:
        """A summary row (value and bounds) moved by the drift and stretched around the value."""
        if row["value"] <= 0:
            return row
        centre, k = row["value"], self.stretch_at.get(h, self.stretch)
        out = {"value": centre}
        for key in QUANTILES:
            out[key] = centre * (row[key] / centre) ** k
        return out


def track_record(
    sims: dict[int, Simulation], actual: dict[str, np.ndarray], first: int, known: int
) -> dict[str, Adjustment]:
    """Adjustments from every simulation whose target months are known by month `known`
    (`actual` is indexed from month `first`)."""
    out = {}
    for name in FIGURES:
        errors, spreads, steps = [], [], []
        for origin, sim in sims.items():
            rows = sim.summary(name)
            for h in range(1, len(rows) + 1):
                target = origin + h
                if target > known or origin >= known:
                    continue
                if name in COHORT_FIGURES and target - first < FOUNDING + 12:
                    continue
                truth = actual[name][target - first]
                row = rows[h - 1]
                if not truth > 0 or not row["value"] > 0:
                    continue
                error = float(np.log(truth / row["value"]))
                upper = np.log(row["upper_80"] / row["value"])
                lower = np.log(row["value"] / row["lower_80"])
                spread = upper if error > 0 else lower
                if spread < MIN_SPREAD:  # a degenerate interval (no customers move) says nothing
                    continue
                spreads.append(spread)
                errors.append(error)
                steps.append(h)
        out[name] = _fit(np.array(errors), np.array(spreads), np.array(steps))
    return out


def _fit(errors: np.ndarray, spreads: np.ndarray, steps: np.ndarray) -> Adjustment:
    """The stretch per horizon band (the whole record's where a band has too few pairs)."""
    if len(errors) < MIN_PAIRS:
        return Adjustment()
    rest = np.abs(errors) / spreads
    overall = _bounded(np.quantile(rest, 0.8))
    stretch = {}
    for low, high in BANDS:
        own = rest[(steps >= low) & (steps <= high)]
        for h in range(low, high + 1):
            stretch[h] = _bounded(np.quantile(own, 0.8)) if len(own) >= MIN_AT_H else overall
    return Adjustment(stretch, overall)


def _bounded(stretch: float) -> float:
    """Never narrower than the simulation, never wider than MAX_STRETCH times."""
    return float(min(max(1.0, stretch), MAX_STRETCH))
