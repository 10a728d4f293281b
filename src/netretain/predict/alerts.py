"""Alerts: months where a movement rate, NDR, GDR or a segment's figure leaves its expected range.

Each figure is a monthly series. Its expected value in month t uses only months before t: the
median of the previous 12 values (the level) plus the median of earlier residuals in the same
calendar month (seasonality, once two earlier years exist). The range is expected +/- Z robust
standard deviations (1.4826 x the median absolute deviation of earlier residuals). Movement
rates are the movement over the previous month's MRR, overall and per segment; NDR and GDR are
trailing-12 cohort figures. Each alert names the segments and customers that drove it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from netretain.predict.panel import Panel, retention

Z = 4.5  # robust standard deviations outside which a month is flagged
LEVEL_MONTHS = 12
MIN_HISTORY = 6
MIN_SCALE = {"rate": 0.002, "ratio": 0.01}  # smallest spread taken as noise
MOVES = ("churn", "contraction", "expansion")
TOP_CUSTOMERS = 5


@dataclass(frozen=True)
class Band:
    """A month's expected value and range of one series."""

    expected: float
    lower: float
    upper: float


def expected_bands(
    values: np.ndarray, months: np.ndarray, floor: float, counts: np.ndarray | None = None
) -> list[Band | None]:
    """The expected range for every month from earlier months only (None: too little history).
    For a rate over `counts` customers the spread is at least a Poisson count's (x2 for unequal
    MRR), so a rare movement in a small segment is not an alert by itself."""
    bands: list[Band | None] = []
    residuals: list[tuple[int, float]] = []
    for t, value in enumerate(values):
        earlier = values[max(0, t - LEVEL_MONTHS) : t]
        earlier = earlier[~np.isnan(earlier)]
        band = None
        if len(earlier) >= MIN_HISTORY:
            level = float(np.median(earlier))
            seasonal = _seasonal(residuals, int(months[t]) % 12)
            past = np.array([r for _, r in residuals[-24:]])
            if len(past) >= MIN_HISTORY:
                centre = level + seasonal
                least = floor if counts is None else max(floor, _poisson(centre, counts[t]))
                spread = max(1.4826 * float(np.median(np.abs(past - np.median(past)))), least)
                band = Band(centre, max(0.0, centre - Z * spread), centre + Z * spread)
            if not np.isnan(value):
                residuals.append((int(months[t]) % 12, float(value) - level - seasonal))
        bands.append(band)
    return bands


def _poisson(rate: float, customers: float) -> float:
    """Twice the spread of a rate whose count is Poisson: one movement in `customers` at least."""
    n = max(float(customers), 1.0)
    return 2.0 * float(np.sqrt(max(rate, 1.0 / n) / n))


def _seasonal(residuals: list[tuple[int, float]], calendar: int) -> float:
    same = [r for m, r in residuals if m == calendar]
    return float(np.median(same)) if len(same) >= 2 else 0.0


def movement_at(panel: Panel, t: int) -> dict[str, np.ndarray]:
    """Per customer: the previous month's MRR and each movement's cents in month t + 1 of the
    panel (t counts from its first month); one month at a time keeps memory at one column."""
    prev, cur = panel.mrr[:, t], panel.mrr[:, t + 1]
    return {
        "previous": prev,
        "customers": (prev > 0).astype(np.float64),
        "churn": np.where((prev > 0) & (cur == 0), prev, 0.0),
        "contraction": np.where((prev > 0) & (cur > 0) & (cur < prev), prev - cur, 0.0),
        "expansion": np.where((prev > 0) & (cur > prev), cur - prev, 0.0),
    }


def group_sums(panel: Panel, names: np.ndarray) -> dict[str, np.ndarray]:
    """Each movement's, the previous MRR's and the paying customers' sums per group (rows, in
    `names` order) and month (columns, from the panel's second month)."""
    code = np.searchsorted(names, panel.groups)
    months = panel.mrr.shape[1] - 1
    out = {k: np.zeros((len(names), months)) for k in ("previous", "customers", *MOVES)}
    for t in range(months):
        for key, values in movement_at(panel, t).items():
            out[key][:, t] = np.bincount(code, weights=values, minlength=len(names))
    return out


def detect(
    panel: Panel, *, since: int | None = None, segments: bool = True
) -> list[dict[str, Any]]:
    """Every alert from month `since` on (default: all months with enough history)."""
    names = np.unique(panel.groups)
    sums = group_sums(panel, names)
    months = np.arange(panel.first + 1, panel.last + 1)
    alerts: list[dict[str, Any]] = []
    scopes: list[tuple[str | None, np.ndarray]] = [(None, np.ones(len(names), bool))]
    scopes += [(str(n), names == n) for n in names] if segments and len(names) > 1 else []
    for segment, chosen in scopes:
        base = sums["previous"][chosen].sum(axis=0)
        counts = sums["customers"][chosen].sum(axis=0)
        for move in MOVES:
            amount = sums[move][chosen].sum(axis=0)
            rate = np.divide(amount, base, out=np.full(len(base), np.nan), where=base > 0)
            bands = expected_bands(rate, months, MIN_SCALE["rate"], counts)
            for t, band in enumerate(bands):
                if band is None or np.isnan(rate[t]) or band.lower <= rate[t] <= band.upper:
                    continue
                found = Found(move, segment, t, float(rate[t]), band, float(base[t]))
                alerts.append(_movement_alert(panel, names[chosen], sums, found))
    alerts += _retention_alerts(panel, None)
    if since is not None:
        alerts = [a for a in alerts if a["month_index"] >= since]
    return sorted(alerts, key=lambda a: (a["month_index"], a["figure"], a["segment"] or ""))


@dataclass(frozen=True)
class Found:
    """A movement rate outside its range: which, where, when (panel column - 1), how much."""

    move: str
    segment: str | None
    t: int
    value: float
    band: Band
    base: float


def _movement_alert(
    panel: Panel, names: np.ndarray, sums: dict[str, np.ndarray], found: Found
) -> dict[str, Any]:
    """An alert on a movement rate, with each segment's excess over its own expected amount."""
    every = np.unique(panel.groups)
    t, move = found.t, found.move
    drivers: list[dict[str, Any]] = []
    for name in names:
        row = int(np.searchsorted(every, name))
        prev, amount = sums["previous"][row], sums[move][row]
        rate = np.divide(amount, prev, out=np.zeros(len(prev)), where=prev > 0)
        typical = float(np.median(rate[max(0, t - LEVEL_MONTHS) : t])) if t else 0.0
        excess = amount[t] - typical * prev[t]
        drivers.append({"segment": str(name), "rate": float(rate[t]), "expected_rate": typical,
                        "excess_cents": float(excess)})  # fmt: skip
    drivers.sort(key=lambda d: -abs(d["excess_cents"]))
    # the customers behind it: the largest movements in the segment that drove it most
    moved = movement_at(panel, t)[move]
    rows = panel.groups == drivers[0]["segment"]
    top = np.argsort(-moved * rows, kind="stable")[:TOP_CUSTOMERS]
    customers = [
        {"customer_id": str(panel.customers[i]), "segment": str(panel.groups[i]),
         "amount_cents": float(moved[i])}
        for i in top if moved[i] > 0 and rows[i]
    ]  # fmt: skip
    value, band = found.value, found.band
    return {
        "month_index": panel.first + 1 + t,
        "figure": f"{move}_rate",
        "segment": found.segment,
        "value": value,
        "expected": band.expected,
        "lower": band.lower,
        "upper": band.upper,
        "direction": "above" if value > band.upper else "below",
        "excess_cents": float((value - band.expected) * found.base),
        "segments": drivers,
        "customers": customers,
    }


def _retention_alerts(panel: Panel, segment: str | None) -> list[dict[str, Any]]:
    """Alerts on trailing-12 NDR and GDR of the panel (the whole business or one segment), with
    each segment's contribution."""
    months = np.arange(panel.first, panel.last + 1)
    pairs = np.array([retention(panel, int(m)) for m in months])
    out = []
    for k, figure in enumerate(("ndr", "gdr")):
        series = pairs[:, k]
        outside = False  # a trailing-12 figure stays out for months after one event: flag the
        # month it leaves its range, not each month it stays out
        for t, band in enumerate(expected_bands(series, months, MIN_SCALE["ratio"])):
            value = series[t]
            was, outside = (
                outside,
                not (band is None or np.isnan(value) or band.lower <= value <= band.upper),
            )
            if band is None or not outside or was:
                continue
            alert = _retention_alert(panel, figure, int(months[t]), float(value), band)
            out.append({**alert, "segment": segment})
    return out


def _retention_alert(
    panel: Panel, figure: str, month: int, value: float, band: Band
) -> dict[str, Any]:
    """NDR/GDR alert: each segment's share of the cohort's change; customers by MRR lost/won."""
    start, end = panel.column(month - 12), panel.column(month)
    cohort = start > 0
    kept = end if figure == "ndr" else np.minimum(end, start)
    change = np.where(cohort, kept - start, 0.0)
    base = start[cohort].sum()
    drivers: list[dict[str, Any]] = [
        {"segment": str(n), "contribution": float(change[panel.groups == n].sum() / base)}
        for n in np.unique(panel.groups)
    ]
    drivers.sort(key=lambda d: d["contribution"] if value < band.lower else -d["contribution"])
    order = np.argsort(change if value < band.lower else -change, kind="stable")[:TOP_CUSTOMERS]
    customers = [
        {"customer_id": str(panel.customers[i]), "segment": str(panel.groups[i]),
         "amount_cents": float(change[i])}
        for i in order if change[i] != 0
    ]  # fmt: skip
    return {
        "month_index": month,
        "figure": figure,
        "segment": None,
        "value": value,
        "expected": band.expected,
        "lower": band.lower,
        "upper": band.upper,
        "direction": "above" if value > band.upper else "below",
        "excess_cents": float((value - band.expected) * base),
        "segments": drivers,
        "customers": customers,
    }
