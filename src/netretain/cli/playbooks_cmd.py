"""Playbook commands: train and list saved risk models, expansion candidates, growth drivers.

Each parses options, calls one `Ledger` method and prints it (docs/prediction.md shows outputs).
"""

from pathlib import Path
from typing import Any

import typer

from netretain.cli import options as opt
from netretain.cli.render import Format, console, emit, notes, table, write_csv
from netretain.ledger import Ledger
from netretain.predict.results import Prediction, crm_rows

HORIZON = typer.Option(
    3, "--horizon", help="Months ahead a churn, contraction or expansion counts."
)
CSV_FILE = typer.Option(
    None, "--csv", help="Also write the list to FILE as CSV for a CRM import.", dir_okay=False
)
MODELS = ("model_id", "created_at", "until", "horizon_months", "train_from", "train_to", "current")
EXPANSION = ("customer_id", "mrr", "expansion_probability", "expected_uplift", "reason")
CRM = ("account_id", "owner", "score", "expected_uplift", "reason")
EFFECTS = ("feature", "level", "measure", "effect", "low", "high")


def export_csv(path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """Write CRM rows to a CSV file (header even when empty)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        write_csv(rows, out=out, columns=columns)


def model_line(model: dict[str, Any]) -> str:
    """Which model scored a list, in one line."""
    if model.get("source") == "saved":
        return (
            f"scored by saved model {model['id']} (trained until {model['trained_until']}, "
            f"on {model['train_months']['from']}..{model['calibration_months']['to']})"
        )
    return (
        f"scored by a model fitted now on {model['train_months']['from']}.."
        f"{model['calibration_months']['to']} (not saved: see netretain train)"
    )


def train(
    until: str = typer.Option(
        None, "--until", help="Last month of data the models see (YYYY-MM); default: as-of."
    ),
    horizon: int = HORIZON,
    sample: int = typer.Option(
        None, "--sample", help="Fit on about this many customers (for a very large ledger)."
    ),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Fit the churn, contraction and expansion models on data up to --until and save them.

    Example: netretain train --db acme.duckdb --until 2025-06
    """
    record = ledger.train(until, horizon=horizon, sample=sample)
    result = record.to_dict()
    notes(record.warnings)

    def show() -> None:
        console.print(
            f"saved model {result['model_id']}: trained until {result['as_of']} "
            f"(snapshots {result['train_from']}..{result['train_to']}, {horizon}-month horizon)"
        )
        rows = result["metrics"]
        cols = ("name", "target", "auc", "pr_auc", "brier", "lift_top_decile")
        console.print(table(rows, title="backtest within the training window", columns=cols))

    emit(result, fmt, show=show)


def models(fmt: Format = opt.FORMAT, *, ledger: Ledger) -> None:
    """The saved risk models, newest first, and whether each fits the ledger as it is now.

    Example: netretain models --db acme.duckdb
    """
    rows = ledger.saved_models()
    emit(rows, fmt, rows=lambda: [{k: r[k] for k in MODELS} for r in rows], columns=MODELS)


def expansion(
    as_of: str = opt.AS_OF,
    everyone: bool = typer.Option(False, "--all", help="Every paying account, not the top."),
    top: int = typer.Option(20, "--top", help="How many accounts to list."),
    horizon: int = HORIZON,
    csv_file: Path = CSV_FILE,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Expansion candidates ranked by expected uplift (P(expansion) x expected expansion).

    Example: netretain expansion --db acme.duckdb --top 50 --csv expansion.csv
    """
    record = ledger.expansion(as_of, horizon=horizon, top=None if everyone else top)
    emit_ranked(record, "expansion", "expansion candidates", EXPANSION, csv_file, fmt)


def emit_ranked(
    record: Prediction, kind: str, what: str, columns: Any, csv_file: Path | None, fmt: Format
) -> None:
    """Print a ranked account list (risk or expansion) with its drivers and the model that
    scored it; CSV (and `csv_file`) shaped for a CRM import."""
    result = record.to_dict()
    notes(record.warnings)

    def crm() -> list[dict[str, Any]]:
        return crm_rows(result, kind)

    def show() -> None:
        rows = [{**a, "reason": "; ".join(a["drivers"])} for a in result["accounts"]]
        title = f"{what} as of {result['as_of']} ({result['currency']})"
        console.print(table(rows, title=title, columns=columns))
        console.print(model_line(result["model"]))

    if csv_file is not None:
        export_csv(csv_file, crm(), CRM)
    emit(result, fmt, rows=crm, columns=CRM, show=show)


def drivers(
    as_of: str = typer.Option(
        None, "--as-of", help="Snapshot month (YYYY-MM); default: the latest with known outcome."
    ),
    horizon: int = HORIZON,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Features that tell accounts that expanded from those that contracted or churned:
    effect sizes with 95% intervals.

    Example: netretain drivers --db acme.duckdb --as-of 2025-03
    """
    record = ledger.growth_drivers(as_of, horizon=horizon)
    result = record.to_dict()

    def rows() -> list[dict[str, Any]]:
        return [{"level": None, **r} for r in (*result["numbers"], *result["categories"])]

    def show() -> None:
        n = result["accounts"]
        title = (
            f"expanded ({n['expanded']}) vs shrank ({n['shrank']}) over "
            f"{result['outcome_months']['from']}..{result['outcome_months']['to']}"
        )
        console.print(table(rows(), title=title, columns=EFFECTS))

    emit(result, fmt, rows=rows, columns=EFFECTS, show=show)


def register(app: typer.Typer) -> None:
    """Add the playbook commands to the app."""
    for command in (train, models, expansion, drivers):
        app.command(command.__name__)(opt.with_ledger(command))
