"""Account intelligence commands: backtest (how good the risk models are) and risk (who to call).

Each parses options, calls one `Ledger` method and prints it (docs/prediction.md shows outputs).
"""

from pathlib import Path
from typing import Any

import typer

from netretain.cli import options as opt
from netretain.cli.playbooks_cmd import CSV_FILE, emit_ranked
from netretain.cli.render import Format, console, emit, table, write_csv
from netretain.ledger import Ledger

HORIZON = typer.Option(
    3, "--horizon", help="Months ahead a churn, contraction or expansion counts."
)
BACKTEST = ("name", "target", "auc", "pr_auc", "brier", "lift_top_decile", "mrr_caught_top_decile")
RISK = ("customer_id", "mrr", "expected_mrr_at_risk", "churn_probability", "reason")
CRM = ("account_id", "owner", "score", "expected_mrr_at_risk", "reason")
PLAN_FIT = ("customer_id", "plan", "mrr", "action", "score", "reason")
PLAN_FIT_CRM = ("account_id", "owner", "action", "score", "reason")


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
    emit_ranked(record, "risk", "MRR at risk", RISK, csv_file, fmt)


def plan_fit(
    as_of: str = opt.AS_OF,
    over: float = typer.Option(1.0, "--over", help="Utilisation above which to offer more."),
    under: float = typer.Option(0.25, "--under", help="Utilisation below which to right-size."),
    top: int = typer.Option(None, "--top", help="How many accounts to list (default all)."),
    csv_file: Path = typer.Option(
        None, "--csv", help="Also write the list as CSV for a CRM import to this file."
    ),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Accounts using more than their plan includes (upgrade) or far less (right-size), each
    with its evidence: metric, used (a month, over the last 3), included, utilisation.

    Example: netretain plan-fit --db acme.duckdb --as-of 2025-06 --csv plan_fit.csv
    """
    result = ledger.plan_fit(as_of, over=over, under=under, top=top).to_dict()

    def crm() -> list[dict[str, Any]]:
        return [
            {"account_id": a["customer_id"], **{k: a[k] for k in PLAN_FIT_CRM[1:]}}
            for a in result["accounts"]
        ]

    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8") as out:
            write_csv(crm(), out, PLAN_FIT_CRM)

    def show() -> None:
        title = f"plan fit as of {result['as_of']} ({result['currency']})"
        console.print(table(result["accounts"], title=title, columns=PLAN_FIT))

    emit(result, fmt, rows=crm, columns=PLAN_FIT_CRM, show=show)


def register(app: typer.Typer) -> None:
    """Add the prediction commands to the app."""
    for command in (backtest, risk):
        app.command(command.__name__)(opt.with_ledger(command))
    app.command("plan-fit")(opt.with_ledger(plan_fit))
