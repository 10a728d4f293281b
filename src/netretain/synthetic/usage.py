"""Metered usage for "usage" and "hybrid" customers: drifting baselines with monthly noise."""

from __future__ import annotations

import numpy as np

from netretain.synthetic import params as P
from netretain.synthetic.customers import CustomerFrame


class UsageModel:
    """Metered consumption per customer: a baseline that drifts, with monthly noise."""

    def __init__(
        self, frame: CustomerFrame, seat_cents: np.ndarray, rng: np.random.Generator
    ) -> None:
        n, seg = frame.count, frame.segment
        usage_only = frame.pricing == P.USAGE_MODEL
        self.enabled = frame.pricing != P.SEAT_MODEL
        factor = P.CURRENCY_PRICE_FACTOR[frame.currency]
        self.unit_cents = np.rint(P.USAGE_UNIT_USD_CENTS * factor).astype(np.int64)
        usage_usd_cents = np.where(
            usage_only, P.USAGE_MEDIAN_USD[seg] * 100, P.HYBRID_USAGE_SHARE * seat_cents / factor
        )
        spread = np.where(usage_only, 0.6, 0.3)
        self.base = usage_usd_cents / P.USAGE_UNIT_USD_CENTS * rng.lognormal(0.0, spread, n)
        self.drift = P.USAGE_DRIFT[seg] + rng.normal(0.0, P.USAGE_DRIFT_SD, n)
        self.age = np.zeros(n, dtype=np.int32)
        self.rng = rng

    def draw(self, idx: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
        """Units consumed and their charge in cents for customers `idx` in month `m`."""
        season = 1 + 0.05 * np.sin(2 * np.pi * m / 12)
        noise = self.rng.lognormal(0.0, P.USAGE_NOISE_SD, len(idx))
        level = self.base[idx] * np.exp(self.drift[idx] * self.age[idx]) * season * noise
        units = np.maximum(1, np.rint(level)).astype(np.int64)
        self.age[idx] += 1
        return units, units * self.unit_cents[idx]
