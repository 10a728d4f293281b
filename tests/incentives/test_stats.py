"""The campaign statistics: Newcombe's interval against his published example, the bootstrap's
coverage on simulated arms, and 'too small to tell' when it is."""

from __future__ import annotations

import numpy as np
import pytest

from netretain.incentives import stats


def test_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II example (a): 56/70 vs 48/80,
    # method 10 gives 0.0524 to 0.3339
    low, high = stats.newcombe(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_wilson_matches_a_hand_computed_interval() -> None:
    # 81 of 263: Wilson 95% = 0.2553 to 0.3662 (Newcombe 1998a, table I)
    low, high = stats.wilson(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def test_a_small_sample_is_too_small_to_tell() -> None:
    d = stats.proportion(3, 20, 1, 20)
    assert d.low is None and d.verdict.startswith("too small to tell: 20 treated and 20 held out")
    few = stats.proportion(2, 100, 3, 100)
    assert few.verdict == "too small to tell: 5 events in both groups (need 10)"


def accounts(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Heavy-tailed starting MRR; churned, contracted, flat or expanded by the end."""
    start = np.rint(rng.lognormal(8, 1, size=n)).astype("int64")
    change = rng.choice([0.0, 0.8, 1.0, 1.3], size=n, p=[0.05, 0.1, 0.6, 0.25])
    return start, np.rint(start * change).astype("int64")


def test_the_ndr_interval_covers_a_known_effect_about_95_percent() -> None:
    rng = np.random.default_rng(0)
    start, end = accounts(rng, 1_000_000)
    truth = 0.05 * end.sum() / start.sum()  # treated +5% at the end: the population difference
    runs, covered = 100, 0
    for run in range(runs):
        (s1, e1), (s2, e2) = accounts(rng, 300), accounts(rng, 300)
        d = stats.ndr((s1, np.rint(e1 * 1.05).astype("int64")), (s2, e2), seed=run)
        covered += d.low <= truth <= d.high
    assert 0.88 <= covered / runs <= 1.0


@pytest.mark.parametrize("seed", [1, 2])
def test_proportion_intervals_cover_a_known_difference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(200):
        a, b = rng.binomial(400, 0.10), rng.binomial(400, 0.15)
        d = stats.proportion(int(a), 400, int(b), 400)
        hits += d.low <= -0.05 <= d.high
    assert 0.90 <= hits / 200 <= 0.99
