"""NDR, GDR and MRR ahead: a customer-level Monte Carlo over the panel (docs/forecast.md).

For each month ahead (h = 1..12) every existing customer's MRR at origin + h is its MRR now times
a ratio drawn from what customers like it did over h months in the past: "like it" is its group
(attribute x tenure band x whether a contract anniversary falls in those h months x whether its
MRR now sits below, at or above its own mean over the 3 months before: health persists, and
usage noise reverts), and each
simulated path draws from one past start month (picked per path), so swings in churn and
expansion between months widen the fan, not only customer-level luck. Drawing h-month ratios
directly (not compounding one-month ones) keeps usage noise mean-reverting as it is. Expansion
ratios are carried forward by the trend of the aggregate h-month ratio over the start months (the
pools are at least h months old). A lapsed customer's ratio is to its last paid MRR (a return),
mostly 0. New customers arrive at a Poisson rate from the recent trend of new-customer counts
(level redrawn per path); one that joined a months before the target contributes a recent
joiner's first MRR times an older joiner's growth by age a (0 if it left). Intervals are
quantiles over paths (then stretched by the track record, `calibrate`); NDR and GDR use the cohort
method on the simulated MRR, GDR anchored on its known value at the origin (`_backcast`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netretain.core.arith import month_label
from netretain.errors import LedgerError, arg
from netretain.predict.panel import Panel, cohort_ratios

HORIZON = 12
PATHS = 500
MAX_SIMULATED = 20_000  # customers moved per path; more are sampled
LOOKBACK = 12
MIN_POOL = 20  # transitions below which a (group, month) pool falls back to the group's months
TENURE_BANDS = (0, 3, 12)  # months since first paid: <3, 3-11, 12+
TREND = 3  # months of a customer's own MRR its current month is compared with
LEVEL_BAND = 0.05  # within this share of that mean a customer is "at level"
FLAGS = 6  # groups per attribute and tenure band: anniversary (2) x position (3)
QUANTILES = {"lower_95": 0.025, "lower_80": 0.10, "upper_80": 0.90, "upper_95": 0.975}
FIGURES = ("ndr", "gdr", "mrr")


@dataclass(frozen=True)
class Simulation:
    """Paths x months of each figure, for months origin+1..origin+horizon."""

    origin: int
    ndr: np.ndarray
    gdr: np.ndarray
    mrr: np.ndarray

    def figure(self, name: str) -> np.ndarray:
        return np.asarray(getattr(self, name))

    def summary(self, name: str) -> list[dict[str, float]]:
        """Per month: the median and the 80% and 95% interval bounds of one figure."""
        values = self.figure(name)
        out = []
        for step in range(values.shape[1]):
            col = values[:, step]
            row = {"value": float(np.median(col))}
            row.update({k: float(np.quantile(col, q)) for k, q in QUANTILES.items()})
            out.append(row)
        return out


class History:
    """What the simulation reads off the known panel: per customer its attribute code, first paid
    column and last paid MRR at every column."""

    def __init__(self, panel: Panel):
        self.panel = panel
        self.mrr = panel.mrr
        _, self.attr = np.unique(panel.groups, return_inverse=True)
        self.attrs = int(self.attr.max()) + 1 if len(self.attr) else 1
        paid = self.mrr > 0
        self.first_col = np.where(paid.any(axis=1), paid.argmax(axis=1), self.mrr.shape[1])
        self.last_paid = _last_paid(self.mrr)

    @property
    def groups(self) -> int:
        return self.attrs * len(TENURE_BANDS) * FLAGS

    def group(self, col: int, h: int) -> np.ndarray:
        """Each customer's group at column `col` looking h months ahead."""
        return group_code(self.attr, col - self.first_col, h, self.position(col))

    def position(self, col: int) -> np.ndarray:
        """Where each customer's MRR at `col` sits against its own mean over the TREND months
        before: 0 below (falling, or a low month), 1 about level, 2 above."""
        before = self.mrr[:, max(0, col - TREND) : col]
        months = (before > 0).sum(axis=1)
        mean = before.sum(axis=1) / np.maximum(months, 1)
        now = self.mrr[:, col]
        low = (months > 0) & (now < mean * (1 - LEVEL_BAND))
        high = (months > 0) & (now > mean * (1 + LEVEL_BAND))
        return np.where(low, 0, np.where(high, 2, 1))


class Pools:
    """Observed h-month ratios of paying (and lapsed) customers, by group and start month."""

    def __init__(self, history: History, origin_col: int, h: int, lookback: int):
        last = origin_col - h
        self.cols = np.arange(max(0, last - lookback + 1), last + 1)
        hist, paid_before = history.mrr, history.last_paid
        values: list[np.ndarray] = []
        keys: list[np.ndarray] = []
        self.lapsed: list[np.ndarray] = []
        scale = trend_factors(hist, self.cols, h, origin_col)
        for k, col in enumerate(self.cols):
            start, end = hist[:, col], hist[:, col + h]
            on = start > 0
            ratio = end[on] / start[on]
            # expansion carries the trend; churn and contraction stay as they were observed
            values.append(np.where(ratio > 1, np.maximum(ratio * scale[k], 1.0), ratio))
            keys.append(history.group(int(col), h)[on] * len(self.cols) + k)
            gone = (start == 0) & (paid_before[:, col] > 0)
            self.lapsed.append(end[gone] / paid_before[gone, col])
        flat = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        order = np.argsort(flat, kind="stable")
        self.values = np.concatenate(values)[order] if values else np.zeros(0)
        self.count = np.bincount(flat, minlength=history.groups * len(self.cols)).reshape(
            history.groups, len(self.cols)
        )
        self.start = (np.cumsum(self.count.ravel()) - self.count.ravel()).reshape(self.count.shape)

    def draw(self, rng: np.random.Generator, groups: np.ndarray, picked: np.ndarray) -> np.ndarray:
        """Ratios, paths x customers: each customer's group in the path's picked start month, or
        across the group's months when that pool is thin (1.0 when the group has none)."""
        shape = (len(picked), len(groups))
        count = self.count[groups[None, :], picked[:, None]]
        start = self.start[groups[None, :], picked[:, None]]
        thin = count < MIN_POOL
        if thin.any():
            other = rng.integers(0, len(self.cols), size=shape)
            count = np.where(thin, self.count[groups[None, :], other], count)
            start = np.where(thin, self.start[groups[None, :], other], start)
        if not len(self.values):
            return np.ones(shape)
        pick = start + np.floor(rng.random(shape) * count).astype(np.int64)
        return np.where(count > 0, self.values[np.clip(pick, 0, len(self.values) - 1)], 1.0)

    def draw_lapsed(self, rng: np.random.Generator, count: int, picked: np.ndarray) -> np.ndarray:
        """Return ratios (to the last paid MRR), paths x lapsed customers: mostly 0."""
        out = np.zeros((len(picked), count))
        for k, pool in enumerate(self.lapsed):
            rows = picked == k
            if len(pool) and rows.any() and count:
                out[rows] = rng.choice(pool, size=(int(rows.sum()), count))
        return out


def trend_factors(hist: np.ndarray, cols: np.ndarray, h: int, origin_col: int) -> np.ndarray:
    """Per start month: how much the aggregate h-month ratio has moved on since, by a straight
    line through the start months' aggregate ratios, carried to the origin. Expansion drawn from
    an older month is scaled by it, so the pools keep their spread but not their age."""
    if len(cols) < 3:
        return np.ones(len(cols))
    start, end = hist[:, cols], hist[:, cols + h]
    agg = np.where(start > 0, end, 0.0).sum(axis=0) / np.maximum(start.sum(axis=0), 1.0)
    slope, intercept = np.polyfit(cols.astype(float), agg, 1)
    fitted = intercept + slope * cols
    return np.asarray((intercept + slope * origin_col) / fitted)


def _last_paid(hist: np.ndarray) -> np.ndarray:
    """Each customer's last positive MRR up to and including each column."""
    out = np.zeros_like(hist)
    current = np.zeros(hist.shape[0])
    for col in range(hist.shape[1]):
        current = np.where(hist[:, col] > 0, hist[:, col], current)
        out[:, col] = current
    return out


def group_code(attr: np.ndarray, tenure: np.ndarray, h: int, position: np.ndarray) -> np.ndarray:
    """attr code x tenure band x whether an anniversary (tenure a multiple of 12) falls in the
    next h months x the MRR's position against its recent mean (`History.position`): one
    integer."""
    band = np.clip(np.searchsorted(TENURE_BANDS, tenure, side="right") - 1, 0, None)
    anniversary = ((np.maximum(tenure, 0) % 12) + h >= 12).astype(np.int64)
    return ((attr * len(TENURE_BANDS) + band) * 2 + anniversary) * 3 + position


def simulate(
    panel: Panel,
    origin: int,
    *,
    horizon: int = HORIZON,
    paths: int = PATHS,
    lookback: int = LOOKBACK,
    seed: int = 0,
) -> Simulation:
    """Paths of NDR, GDR (trailing 12, cohort method) and total MRR for origin+1..origin+horizon,
    from what was known at the end of `origin`."""
    if origin - panel.first < horizon:
        raise LedgerError(
            f"a forecast needs {horizon} months of history before its as-of month; "
            f"{month_label(origin)} has {origin - panel.first}: give a later {arg('as_of')}"
        )
    known = panel.until(origin)
    history = History(known)
    rng = np.random.default_rng(seed)
    col = origin - known.first
    rows, weight = _simulated(history, col, horizon, rng)
    now = known.mrr[rows, col]
    paying = now > 0
    lapsed = ~paying & (history.last_paid[rows, col] > 0)
    arrivals = Arrivals(history, col, lookback)
    out = {name: np.zeros((paths, horizon)) for name in FIGURES}
    for h in range(1, horizon + 1):
        pools = Pools(history, col, h, lookback)
        picked = rng.integers(0, len(pools.cols), size=paths)
        end = np.zeros((paths, len(now)))
        groups = history.group(col, h)[rows][paying]
        end[:, paying] = now[paying] * pools.draw(rng, groups, picked)
        back = pools.draw_lapsed(rng, int(lapsed.sum()), picked)
        end[:, lapsed] = history.last_paid[rows, col][lapsed] * back
        start = known.column(origin + h - 12)[rows]
        cohort = start > 0
        base = start[cohort].sum()
        kept = end[:, cohort]
        out["ndr"][:, h - 1] = kept.sum(axis=1) / base if base else np.nan
        out["gdr"][:, h - 1] = (
            np.minimum(kept, start[cohort]).sum(axis=1) / base if base else np.nan
        )
        out["mrr"][:, h - 1] = end.sum(axis=1) * weight + arrivals.mrr(rng, paths, h)
        out["gdr"][:, h - 1] *= _backcast(history, rows, col, h, pools, picked, rng)
    return Simulation(origin, out["ndr"], out["gdr"], out["mrr"])


def _backcast(
    history: History,
    rows: np.ndarray,
    col: int,
    h: int,
    pools: Pools,
    picked: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Per path, GDR's known value at the origin over what the same h-month pools (the path's
    start month) make of it from h months before: the model's level error on the latest month it
    can check. GDR h ahead is scaled by it, so it is the known trailing-12 GDR carried by the
    simulated change. GDR needs it and NDR does not: capping each customer at its start makes
    GDR concave in the customers' noise, so resampled ratios (noise on noise) bias its level
    down; NDR is a plain sum and anchoring it would only add the origin month's luck."""
    if col < 12:
        return np.ones(len(picked))
    start, mid, now = (history.mrr[rows, c] for c in (col - 12, col - h, col))
    actual = cohort_ratios(start, now)[1]
    cohort = start > 0
    base = start[cohort].sum()
    if not base or not actual > 0:
        return np.ones(len(picked))
    paying = mid > 0
    lapsed = ~paying & (history.last_paid[rows, col - h] > 0)
    end = np.zeros((len(picked), len(rows)))
    groups = history.group(col - h, h)[rows][paying]
    end[:, paying] = mid[paying] * pools.draw(rng, groups, picked)
    back = pools.draw_lapsed(rng, int(lapsed.sum()), picked)
    end[:, lapsed] = history.last_paid[rows, col - h][lapsed] * back
    model = np.minimum(end[:, cohort], start[cohort]).sum(axis=1) / base
    return np.where(model > 0, actual / np.maximum(model, 1e-12), 1.0)


def _simulated(
    history: History, col: int, horizon: int, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """The customers a path moves: those paying or lapsed now, or in a cohort the horizon's NDR
    starts from; past MAX_SIMULATED of them a uniform sample, whose MRR counts n / sample times
    (NDR and GDR are ratios within the sample), so memory stays paths x MAX_SIMULATED."""
    hist = history.mrr
    first = max(0, col - 12 + 1)
    relevant = (history.last_paid[:, col] > 0) | (hist[:, first : col + 1] > 0).any(axis=1)
    rows = np.flatnonzero(relevant)
    if len(rows) <= MAX_SIMULATED:
        return rows, 1.0
    sample = np.sort(rng.choice(rows, size=MAX_SIMULATED, replace=False))
    return sample, len(rows) / MAX_SIMULATED


class Arrivals:
    """New customers: a Poisson count per month at the recent trend; one that joined a months
    before the target counts the MRR at age a of a recent joiner (resampled; 0 once gone)."""

    def __init__(self, history: History, col: int, lookback: int):
        self.history, self.col, self.lookback = history, col, lookback
        cols = np.arange(max(1, col - lookback + 1), col + 1)
        first = history.first_col
        self.counts = np.array([(first == c).sum() for c in cols], dtype=float)
        recent = np.flatnonzero(np.isin(first, cols))
        self.initial = history.mrr[recent, first[recent]]  # recent joiners' first-month MRR
        self.slope = _log_slope(self.counts)

    def at_age(self, age: int) -> np.ndarray:
        """How a joiner's MRR moves by `age` months after joining (MRR then over its first
        month's; 0 once gone), from customers who joined in the lookback before that."""
        first = self.history.first_col
        joined = (first >= max(1, self.col - age - self.lookback + 1)) & (first <= self.col - age)
        rows = np.flatnonzero(joined)
        return self.history.mrr[rows, first[rows] + age] / self.history.mrr[rows, first[rows]]

    def mrr(self, rng: np.random.Generator, paths: int, h: int) -> np.ndarray:
        """Total MRR at origin + h from customers who join after the origin, per path."""
        if not len(self.counts) or not len(self.initial):
            return np.zeros(paths)
        level = rng.choice(self.counts, size=(paths, len(self.counts))).mean(axis=1)
        total = np.zeros(paths)
        for step in range(1, h + 1):
            pool = self.at_age(h - step)
            if not len(pool):
                continue
            rate = level * np.exp(self.slope * ((len(self.counts) - 1) / 2 + step))
            count = rng.poisson(rate)
            size = (paths, int(count.max()) if count.max() else 0)
            draws = rng.choice(self.initial, size=size) * rng.choice(pool, size=size)
            on = np.arange(draws.shape[1])[None, :] < count[:, None]
            total += np.where(on, draws, 0.0).sum(axis=1)
        return total


def _log_slope(counts: np.ndarray) -> float:
    """Least-squares slope of log(1 + count) per month: the recent growth of new customers."""
    if len(counts) < 3:
        return 0.0
    x = np.arange(len(counts), dtype=float)
    return float(np.polyfit(x, np.log1p(counts), 1)[0])
