"""The hidden health of each customer and the usage it shows (issue 12).

Health is an AR(1) per customer around the customer's own mean, stepped once a month for all
customers at once. It drives the churn, contraction and expansion hazards at renewal and the
usage of each metric; the simulation records it apart so tests can check what a model recovers.
"""

from __future__ import annotations

import numpy as np

from netretain.synthetic import params as P
from netretain.synthetic.columns import ColumnBuffer

USAGE_DTYPES: dict[str, type] = {
    "customer": np.int32,
    "month": np.int32,
    "day": np.int32,
    "metric": np.int8,
    "quantity": np.int64,
}
HEALTH_DTYPES: dict[str, type] = {"customer": np.int32, "month": np.int32, "health": np.float32}


class Health:
    """Per-customer health, stepped a month at a time, and the usage it produces."""

    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.mean = rng.normal(0.0, P.HEALTH_MEAN_SD, n)
        stationary = P.HEALTH_SHOCK_SD / np.sqrt(1 - P.HEALTH_PERSISTENCE**2)
        self.value = self.mean + rng.normal(0.0, stationary, n)
        self.variance = P.HEALTH_MEAN_SD**2 + stationary**2
        self.api_scale = rng.lognormal(0.0, 0.2, n)
        self.usage = ColumnBuffer(USAGE_DTYPES)
        self.recorded = ColumnBuffer(HEALTH_DTYPES)

    def step(self) -> None:
        """One month on: h = mean + persistence x (h - mean) + shock."""
        shock = self.rng.normal(0.0, P.HEALTH_SHOCK_SD, len(self.value))
        self.value = self.mean + P.HEALTH_PERSISTENCE * (self.value - self.mean) + shock

    def factor(self, idx: np.ndarray, weight: float) -> np.ndarray:
        """exp(weight x health) over its mean, so a hazard keeps its average over customers."""
        return np.exp(weight * self.value[idx] - weight**2 * self.variance / 2)

    def churn_factor(self, idx: np.ndarray) -> np.ndarray:
        """The churn hazard's multiplier: low health, and a step up once health falls below the
        crisis level (the account has all but stopped using the product)."""
        crisis = np.where(self.value[idx] < P.HEALTH_CRISIS, P.HEALTH_CRISIS_CHURN, 1.0)
        return self.factor(idx, -P.HEALTH_CHURN) * crisis

    def observe(self, idx: np.ndarray, m: int, seats: np.ndarray, plan: np.ndarray) -> None:
        """Record this month's health and usage (api calls, active seats) of customers `idx`."""
        n, h = len(idx), self.value[idx]
        self.recorded.add(n, customer=idx, month=m, health=h)
        noise = self.rng.normal(0.0, P.API_CALLS_NOISE_SD, n)
        calls = P.API_CALLS_PER_SEAT[plan] * seats * self.api_scale[idx]
        calls = np.rint(calls * np.exp(P.API_CALLS_HEALTH * h + noise))
        share = 1 / (1 + np.exp(-(P.SEATS_ACTIVE_BASE + P.SEATS_ACTIVE_HEALTH * h)))
        active = self.rng.binomial(seats, share)
        day = self.rng.integers(1, 29, n)
        for metric, quantity in enumerate((calls, active)):
            self.usage.add(n, customer=idx, month=m, day=day, metric=metric, quantity=quantity)
