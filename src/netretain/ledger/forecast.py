"""The service side of forecasts, retention curves and alerts: the engine sends the paying
customer-months once, `netretain.predict` works on that small panel. `Ledger` delegates here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from netretain.analysis.attributes import check
from netretain.core.arith import month_label
from netretain.core.results import money
from netretain.predict import alerts as alerting
from netretain.predict import forecast as fc
from netretain.predict.calibrate import track_record
from netretain.predict.curves import ShiftedBetaGeometric
from netretain.predict.forecast_backtest import (
    BACKTEST_PATHS,
    FIRST_ORIGIN,
    backtest,
    history,
    simulations,
)
from netretain.predict.panel import Panel, paying_months, retention

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger

CURVE_PERIODS = 12  # survival projected this many renewal periods (years) out


def panel(ledger: Ledger, by: str | None = None, last: int | None = None) -> Panel:
    """Every customer's MRR per month through `last` (default: the ledger's data), grouped by
    the `by` attribute."""
    sources = ledger.sources
    if by is not None:
        check(sources, (by,))
    last = sources.horizon if last is None else last
    rows = ledger.store.to_arrow(paying_months(ledger.sources_through(last), by))
    return Panel.from_rows(rows, sources.first_month, last)


def default_by(ledger: Ledger) -> str | None:
    """The attribute forecasts and alerts group by: `segment` when the ledger has it."""
    return "segment" if "segment" in ledger.sources.customers.columns else None


def forecast(
    ledger: Ledger,
    as_of: str | None = None,
    *,
    paths: int = fc.PATHS,
    seed: int = 0,
    with_backtest: bool = True,
) -> dict[str, Any]:
    """Trailing-12 NDR, GDR and MRR for the 12 months after `as_of`, with 80% and 95% intervals
    (the top-level bounds are NDR's; `gdr` and `mrr` carry their own), and the backtest."""
    month = ledger.month(as_of)
    data = panel(ledger, default_by(ledger), month)
    earlier = [data.first + o for o in range(FIRST_ORIGIN, month - data.first)]
    sims = simulations(data, earlier, horizon=fc.HORIZON, paths=BACKTEST_PATHS, seed=seed)
    adjust = track_record(sims, history(data), data.first, month)
    sim = fc.simulate(data, month, paths=paths, seed=seed)
    figures = {
        name: [adjust[name].apply(row, h) for h, row in enumerate(sim.summary(name), start=1)]
        for name in fc.FIGURES
    }
    months = []
    for step in range(fc.HORIZON):
        ndr, gdr, mrr = (figures[name][step] for name in fc.FIGURES)
        months.append(
            {
                "month": month_label(month + step + 1),
                "ndr": ndr["value"],
                "gdr": gdr["value"],
                "mrr": _cents(mrr["value"]),
                **{k: ndr[k] for k in fc.QUANTILES},
                "intervals": {
                    "ndr": {k: ndr[k] for k in fc.QUANTILES},
                    "gdr": {k: gdr[k] for k in fc.QUANTILES},
                    "mrr": {k: _cents(mrr[k]) for k in fc.QUANTILES},
                },
            }
        )
    ndr_now, gdr_now = retention(data, month)
    result: dict[str, Any] = {
        "as_of": month_label(month),
        "currency": ledger.currency,
        "method": "customer-level Monte Carlo (docs/forecast.md)",
        "paths": paths,
        "seed": seed,
        "current": {
            "ndr": _number(ndr_now),
            "gdr": _number(gdr_now),
            "mrr": _cents(float(data.column(month).sum())),
        },
        "months": months,
    }
    result["calibration"] = {
        name: {"stretch": [a.stretch_at.get(h, a.stretch) for h in range(1, fc.HORIZON + 1)]}
        for name, a in adjust.items()
    }
    result["backtest"] = forecast_backtest(data, seed, sims) if with_backtest else None
    return result


def forecast_backtest(
    data: Panel, seed: int = 0, sims: dict[int, fc.Simulation] | None = None
) -> dict[str, Any]:
    """The backtest with its months as labels."""
    scored = backtest(data, seed=seed, sims=sims)
    origins = scored["origins"]
    if origins is not None:
        origins = {"first": month_label(origins["first"]), "last": month_label(origins["last"])}
    return {**scored, "origins": origins}


def curves(ledger: Ledger, by: str | None = None, period: int = 12) -> dict[str, Any]:
    """Per signup cohort (year of first payment; and segment with `by`): customers surviving each
    renewal period (12 months), the sBG fit and projected survival, and revenue retention."""
    data = panel(ledger, by)
    paid = data.mrr > 0
    first = np.where(paid.any(axis=1), paid.argmax(axis=1), -1)
    start_year = (data.first + first) // 12
    out = []
    for year in np.unique(start_year[first >= 0]):
        for group in np.unique(data.groups):
            rows = (start_year == year) & (first >= 0) & (data.groups == group)
            if rows.sum():
                out.append(_cohort_curve(data, rows, first, int(year), group, by, period))
    return {"currency": ledger.currency, "period_months": period, "by": by, "cohorts": out}


def _cohort_curve(
    data: Panel,
    rows: np.ndarray,
    first: np.ndarray,
    year: int,
    group: str,
    by: str | None,
    period: int,
) -> dict[str, Any]:
    """One cohort: survivors (paying at each anniversary of their first month), revenue kept."""
    ages = data.mrr.shape[1] - 1 - first[rows]
    periods = int(ages.min()) // period
    idx = np.flatnonzero(rows)
    survivors, revenue = [], []
    for p in range(periods + 1):
        at = data.mrr[idx, first[idx] + p * period]
        survivors.append(int((at > 0).sum()))
        revenue.append(float(at.sum()))
    record: dict[str, Any] = {
        "group": group if by is not None else None,
        "cohort": str(year),
        "customers": int(rows.sum()),
        "survivors": survivors,
        "revenue_retention": [r / revenue[0] if revenue[0] else None for r in revenue],
        "model": None,
        "projected_survival": None,
    }
    # two parameters need two periods: one period fixes only alpha / (alpha + beta)
    if periods >= 2 and survivors[-1] > 0 and survivors[1] < survivors[0]:
        model = ShiftedBetaGeometric().fit(_monotone(survivors))
        record["model"] = {
            "alpha": model.alpha_,
            "beta": model.beta_,
            "log_likelihood": model.log_likelihood_,
        }
        record["projected_survival"] = model.predict_survival(range(CURVE_PERIODS + 1)).tolist()
    return record


def _monotone(counts: list[int]) -> list[int]:
    """Survivors never increase (a customer who left and came back counts as gone)."""
    return list(np.minimum.accumulate(counts))


def alerts(ledger: Ledger, since: str | None = None, by: str | None = None) -> dict[str, Any]:
    """Months where a figure left its expected range, with the segments and customers behind."""
    by = by or default_by(ledger)
    data = panel(ledger, by)
    start = None if since is None else ledger.month(since)
    found = alerting.detect(data, since=start)
    return {
        "currency": ledger.currency,
        "since": None if start is None else month_label(start),
        "by": by,
        "alerts": [_alert(a, by) for a in found],
        "webhook": None,
    }


def _alert(alert: dict[str, Any], by: str | None) -> dict[str, Any]:
    """Month labels and money in the currency, in place of indexes and cents."""
    out = {k: v for k, v in alert.items() if k not in ("month_index", "excess_cents")}
    out = {"month": month_label(alert["month_index"]), **out, "by": by}
    out["excess"] = _cents(alert["excess_cents"])
    out["segments"] = [_money_keys(s) for s in alert["segments"]]
    out["customers"] = [_money_keys(c) for c in alert["customers"]]
    return out


def _money_keys(row: dict[str, Any]) -> dict[str, Any]:
    return {
        (k.removesuffix("_cents")): (_cents(v) if k.endswith("_cents") else v)
        for k, v in row.items()
    }


def _cents(value: float) -> float:
    return float(money(round(value)))


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
