"""Retention curves: the shifted-beta-geometric (sBG) model of Fader & Hardie (2007), "How to
Project Customer Retention", fitted by maximum likelihood to a cohort's survivors by period.

Each customer churns at each renewal with a probability theta of its own; theta ~ Beta(alpha,
beta) across customers. So P(T = 1) = alpha / (alpha + beta), P(T = t) = (beta + t - 2) /
(alpha + beta + t - 1) * P(T = t - 1), and the retention rate from period t - 1 to t is
r_t = (beta + t - 1) / (alpha + beta + t - 1): rising with t as the churn-prone leave first.

>>> m = ShiftedBetaGeometric().fit([1000, 631, 468, 382, 326, 289, 262, 241])
>>> round(m.alpha_, 3), round(m.beta_, 3)
(0.704, 1.182)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln

from netretain.errors import NetretainError, arg


class NotFittedError(NetretainError):
    """A model asked for predictions before `fit`."""


class ShiftedBetaGeometric:
    """sBG retention model: `fit(survivors)` where survivors[0] is the cohort's size and
    survivors[t] how many are still customers after t renewal periods (never increasing)."""

    def __init__(self) -> None:
        self.alpha_: float | None = None
        self.beta_: float | None = None
        self.log_likelihood_: float | None = None
        self.periods_: int = 0

    def fit(self, survivors: Sequence[int | float]) -> ShiftedBetaGeometric:
        """Maximum likelihood over (log alpha, log beta); returns self."""
        counts = np.asarray(survivors, dtype=float)
        _check(counts)
        lost = counts[:-1] - counts[1:]
        periods = np.arange(1, len(counts))

        def negative(params: np.ndarray) -> float:
            a, b = np.exp(params)
            return -_log_likelihood(a, b, lost, periods, counts[-1])

        start = np.log([1.0, 1.0])
        best = minimize(negative, start, method="Nelder-Mead", options=_OPTIONS)
        best = minimize(negative, best.x, method="L-BFGS-B")
        self.alpha_, self.beta_ = (float(v) for v in np.exp(best.x))
        self.log_likelihood_ = float(-best.fun)
        self.periods_ = len(counts) - 1
        return self

    def _params(self) -> tuple[float, float]:
        if self.alpha_ is None or self.beta_ is None:
            raise NotFittedError("fit the model to survivors before asking it for predictions")
        return self.alpha_, self.beta_

    def predict_survival(self, periods: int | Sequence[int]) -> np.ndarray:
        """S(t) = B(alpha, beta + t) / B(alpha, beta): the share still a customer after t."""
        a, b = self._params()
        t = np.atleast_1d(np.asarray(periods, dtype=float))
        return np.exp(betaln(a, b + t) - betaln(a, b))

    def predict_retention_rate(self, periods: int | Sequence[int]) -> np.ndarray:
        """r_t = (beta + t - 1) / (alpha + beta + t - 1): the share of period t - 1's survivors
        still there at t (t >= 1)."""
        a, b = self._params()
        t = np.atleast_1d(np.asarray(periods, dtype=float))
        return (b + t - 1) / (a + b + t - 1)


_OPTIONS = {"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000}


def _log_likelihood(
    a: float, b: float, lost: np.ndarray, periods: np.ndarray, remaining: float
) -> float:
    """Sum of lost_t * log P(T = t) over the observed periods + remaining * log S(n)."""
    base = betaln(a, b)
    churned = betaln(a + 1, b + periods - 1) - base
    survived = betaln(a, b + periods[-1]) - base if len(periods) else 0.0
    return float(np.dot(lost, churned) + remaining * survived)


def _check(counts: np.ndarray) -> None:
    if counts.ndim != 1 or len(counts) < 2:
        raise NetretainError(f"{arg('survivors')} needs the cohort size and at least one period")
    if counts[0] <= 0 or np.any(counts < 0) or np.any(np.diff(counts) > 0):
        raise NetretainError(
            f"{arg('survivors')} must start positive and never increase (got {counts.tolist()})"
        )
