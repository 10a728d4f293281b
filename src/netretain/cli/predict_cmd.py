"""Account intelligence commands: backtest (how good the risk models are) and risk (who to call).

Each parses options, calls one `Ledger` method and prints it (docs/prediction.md shows outputs).
"""

from pathlib import Path
from typing import Any

import typer

from netretain.cli import options as opt
from netretain.cli.playbooks_cmd import CSV_FILE, export_csv, model_line
from netretain.cli.render import Format, console, emit, notes, table
from netretain.ledger import Ledger
from netretain.predict.results import crm_rows

HORIZON = typer.Option(
    3, "--horizon", help="Months ahead a churn, contraction or expansion counts."
)
BACKTEST = ("name", "target", "auc", "pr_auc", "brier", "lift_top_decile", "mrr_caught_top_decile")
RISK = ("customer_id", "mrr", "expected_mrr_at_risk", "churn_probability", "reason")
CRM = ("account_id", "owner", "score", "expected_mrr_at_risk", "reason")


def backtest(
    cut: str = typer.Option(None, "--cut", help="First month scored (YYYY-MM); default: 6 back."),
    horizon: int = HORIZON,
    shuffle_labels: bool = typer.Option(
        False, "--shuffle-labels", help="Permute training labels (a leakage check: AUC ~ 0.5)."
    ),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Fit on months before the cut, score after it: AUC, PR-AUC, Brier, lift, MRR caught.

    Example: netretain backtest --db acme.duckdb --cut 2025-04 --format json
    """
    result = ledger.backtest(cut, horizon=horizon, shuffle_labels=shuffle_labels).to_dict()
    title = f"backtest from {result['cut']}, {horizon}-month horizon"

    def show() -> None:
        console.print(table(result["models"], title=title, columns=BACKTEST))

    emit(result, fmt, rows=lambda: result["models"], columns=BACKTEST, show=show)


def risk(
    as_of: str = opt.AS_OF,
    everyone: bool = typer.Option(False, "--all", help="Every paying account, not the top."),
    top: int = typer.Option(20, "--top", help="How many accounts to list."),
    horizon: int = HORIZON,
    csv_file: Path = CSV_FILE,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Accounts ranked by expected MRR at risk (P(churn) x MRR), each with its drivers.

    `--format csv` is shaped for a CRM import: account_id, owner, score, reason.
    Example: netretain risk --db acme.duckdb --as-of 2025-06 --all --format csv
    """
    record = ledger.risk(as_of, horizon=horizon, top=None if everyone else top)
    result = record.to_dict()
    notes(record.warnings)

    def crm() -> list[dict[str, Any]]:
        return crm_rows(result, "risk")

    def show() -> None:
        rows = [{**a, "reason": "; ".join(a["drivers"])} for a in result["accounts"]]
        title = f"MRR at risk as of {result['as_of']} ({result['currency']})"
        console.print(table(rows, title=title, columns=RISK))
        console.print(model_line(result["model"]))

    if csv_file is not None:
        export_csv(csv_file, crm(), CRM)
    emit(result, fmt, rows=crm, columns=CRM, show=show)


def register(app: typer.Typer) -> None:
    """Add the prediction commands to the app."""
    for command in (backtest, risk):
        app.command(command.__name__)(opt.with_ledger(command))
