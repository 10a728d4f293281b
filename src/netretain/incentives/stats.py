"""Treated versus held-out accounts: differences with 95% intervals (issue 17).

Proportions (churned, contracted, expanded): the difference with Newcombe's hybrid score
interval (Newcombe 1998, method 10, from the two Wilson score intervals). NDR (the ratio of
summed ending to starting MRR): the difference with a percentile bootstrap interval, accounts
resampled within each group. Too few accounts or events: said, not guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z = 1.959963984540054  # the 97.5% normal quantile: two-sided 95%
MIN_ACCOUNTS = 30  # per group, below which no difference is claimed
MIN_EVENTS = 10  # events in both groups together, for a proportion
RESAMPLES = 2000


@dataclass(frozen=True)
class Difference:
    """treated - holdout, its 95% interval, and what that says."""

    treated: float | None
    holdout: float | None
    difference: float | None
    low: float | None
    high: float | None
    verdict: str

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def wilson(events: int, n: int) -> tuple[float, float]:
    """Wilson's score interval for a proportion."""
    p = events / n
    centre = p + Z * Z / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    scale = 1 + Z * Z / n
    return (centre - spread) / scale, (centre + spread) / scale


def newcombe(a: int, n: int, b: int, m: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p2 (a of n against b of m)."""
    p1, p2 = a / n, b / m
    l1, u1 = wilson(a, n)
    l2, u2 = wilson(b, m)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt(
        (u1 - p1) ** 2 + (p2 - l2) ** 2
    )


def verdict(low: float, high: float) -> str:
    if low > 0:
        return "treated higher"
    if high < 0:
        return "treated lower"
    return "no clear difference"


def too_small(n: int, m: int) -> str | None:
    """Why two groups are too small to tell anything, if they are."""
    if min(n, m) < MIN_ACCOUNTS:
        return f"too small to tell: {n} treated and {m} held out (need {MIN_ACCOUNTS} each)"
    return None


def proportion(a: int, n: int, b: int, m: int) -> Difference:
    """The difference of two proportions (a of n treated, b of m held out)."""
    p1, p2 = (a / n if n else None), (b / m if m else None)
    small = too_small(n, m)
    if small is None and a + b < MIN_EVENTS:
        small = f"too small to tell: {a + b} events in both groups (need {MIN_EVENTS})"
    if small is not None or p1 is None or p2 is None:
        diff = None if p1 is None or p2 is None else p1 - p2
        return Difference(p1, p2, diff, None, None, small or "too small to tell")
    low, high = newcombe(a, n, b, m)
    return Difference(p1, p2, p1 - p2, low, high, verdict(low, high))


def ndr(
    treated: tuple[np.ndarray, np.ndarray], holdout: tuple[np.ndarray, np.ndarray], seed: int
) -> Difference:
    """NDR (sum ending / sum starting MRR) of each group, their difference and its percentile
    bootstrap interval. Each group is (starting, ending) cents per account."""
    (s1, e1), (s2, e2) = treated, holdout
    r1 = float(e1.sum() / s1.sum()) if s1.sum() else None
    r2 = float(e2.sum() / s2.sum()) if s2.sum() else None
    small = too_small(len(s1), len(s2))
    if small is not None or r1 is None or r2 is None:
        diff = None if r1 is None or r2 is None else r1 - r2
        return Difference(r1, r2, diff, None, None, small or "too small to tell")
    rng = np.random.default_rng(seed)
    diffs = _resampled(rng, s1, e1) - _resampled(rng, s2, e2)
    low, high = (float(q) for q in np.quantile(diffs, [0.025, 0.975]))
    return Difference(r1, r2, r1 - r2, low, high, verdict(low, high))


def _resampled(rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """NDR of RESAMPLES resamples of the accounts (with replacement)."""
    picks = rng.integers(0, len(start), size=(RESAMPLES, len(start)))
    return end[picks].sum(axis=1) / np.maximum(start[picks].sum(axis=1), 1)
