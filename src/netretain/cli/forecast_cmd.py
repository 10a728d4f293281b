"""Forecast commands: forecast (NDR, GDR and MRR ahead), curves (sBG retention by cohort) and
alerts (months outside their expected range), each one `Ledger` call printed (docs/forecast.md)."""

from typing import Any

import typer

from netretain.cli import options as opt
from netretain.cli.render import Format, console, emit, err_console, table
from netretain.ledger import Ledger
from netretain.ledger.webhook import post

FORECAST = ("month", "ndr", "lower_80", "upper_80", "gdr", "mrr", "mrr_lower_80", "mrr_upper_80")
BACKTEST = ("figure", "mape", "last_value", "trailing_mean", "seasonal_naive", "coverage_80",
            "coverage_95")  # fmt: skip
CURVES = ("cohort", "customers", "survivors", "alpha", "beta", "survival_year_5")
ALERTS = ("month", "figure", "segment", "value", "expected", "direction", "driver")


def forecast(
    as_of: str = opt.AS_OF,
    seed: int = typer.Option(0, "--seed", help="Seed of the simulation (same seed, same figures)."),
    paths: int = typer.Option(500, "--paths", help="Simulated paths."),
    no_backtest: bool = typer.Option(False, "--no-backtest", help="Skip the backtest (faster)."),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Trailing-12 NDR, GDR and MRR for each of the next 12 months, with 80%/95% intervals, and
    the backtest of the method on past months against naive baselines.

    Example: netretain forecast --db acme.duckdb --format json
    """
    result = ledger.forecast(as_of, seed=seed, paths=paths, with_backtest=not no_backtest)

    def rows() -> list[dict[str, Any]]:
        return [
            {
                **{k: m[k] for k in ("month", "ndr", "lower_80", "upper_80", "gdr", "mrr")},
                "mrr_lower_80": m["intervals"]["mrr"]["lower_80"],
                "mrr_upper_80": m["intervals"]["mrr"]["upper_80"],
            }
            for m in result["months"]
        ]

    def show() -> None:
        title = f"forecast from {result['as_of']} ({result['currency']}; 80% intervals)"
        console.print(table(rows(), title=title, columns=FORECAST))
        if result["backtest"]:
            scored = [
                {"figure": f, "mape": s["mape"], **s["baseline_mape"],
                 "coverage_80": s["coverage_80"], "coverage_95": s["coverage_95"]}
                for f, s in result["backtest"]["figures"].items()
            ]  # fmt: skip
            console.print(table(scored, title="backtest: MAPE and coverage", columns=BACKTEST))

    emit(result, fmt, rows=rows, columns=FORECAST, show=show)


def curves(
    by: str = typer.Option(None, "--by", help="Fit a curve per value of this attribute too."),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Logo retention by renewal year per signup cohort, fitted with the shifted-beta-geometric
    model (Fader & Hardie 2007), projected survival, and revenue retention.

    Example: netretain curves --db acme.duckdb --by segment --format json
    """
    result = ledger.curves(by)
    columns = (*((by,) if by else ()), *CURVES)

    def rows() -> list[dict[str, Any]]:
        out = []
        for c in result["cohorts"]:
            model = c["model"] or {}
            projected = c["projected_survival"]
            out.append(
                {
                    **({by: c["group"]} if by else {}),
                    "cohort": c["cohort"],
                    "customers": c["customers"],
                    "survivors": " ".join(str(s) for s in c["survivors"]),
                    "alpha": model.get("alpha"),
                    "beta": model.get("beta"),
                    "survival_year_5": projected[5] if projected else None,
                }
            )
        return out

    def show() -> None:
        console.print(table(rows(), title="retention curves (sBG)", columns=columns))

    emit(result, fmt, rows=rows, columns=columns, show=show)


def alerts(
    since: str = typer.Option(None, "--since", help="First month to report (YYYY-MM)."),
    by: str = typer.Option(None, "--by", help="Attribute for segment alerts (default segment)."),
    webhook: str = typer.Option(
        None, "--webhook", help="POST the alerts as JSON (Slack-compatible `text`) to this URL."
    ),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Months where a movement rate, NDR, GDR or a segment's figure left its expected range, with
    the segments and customers behind each. Exits 0 with or without alerts (for cron).

    Example: netretain alerts --db acme.duckdb --since 2025-01 --webhook https://hooks.example/x
    """
    result = ledger.alerts(since, by)
    if webhook:
        result["webhook"] = post(webhook, result)
        if not result["webhook"]["delivered"]:
            err_console.print(f"[yellow]webhook not delivered: {result['webhook']['error']}")

    def rows() -> list[dict[str, Any]]:
        return [
            {
                **{k: a[k] for k in ("month", "figure", "segment", "value", "expected")},
                "direction": a["direction"],
                "driver": a["segments"][0]["segment"] if a["segments"] else None,
            }
            for a in result["alerts"]
        ]

    def show() -> None:
        console.print(table(rows(), title=f"alerts ({len(rows())})", columns=ALERTS))

    emit(result, fmt, rows=rows, columns=ALERTS, show=show)


def register(app: typer.Typer) -> None:
    """Add the forecast commands to the app."""
    for command in (forecast, curves, alerts):
        app.command(command.__name__)(opt.with_ledger(command))
