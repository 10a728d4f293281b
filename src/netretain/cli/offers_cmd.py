"""Offers and campaigns (issue 17): `netretain offers [RULE]`, `netretain campaign start | results
| list`. Each parses options, calls one `Ledger` method and prints it (docs/incentives.md)."""

from pathlib import Path
from typing import Any

import typer

from netretain.cli import options as opt
from netretain.cli.playbooks_cmd import export_csv
from netretain.cli.render import Format, console, emit, notes, table
from netretain.incentives.offer_rules import shipped
from netretain.ledger import Ledger
from netretain.predict.results import Prediction

RULES = ("rule", "action", "description", "sha256")
OFFERS = ("customer_id", "mrr", "offer_mrr", "offer_months", "expected_mrr_effect", "reason")
CRM = ("account_id", "owner", "offer", "offer_mrr", "offer_months", "expected_mrr_effect", "reason")
MEASURES = ("measure", "treated", "holdout", "difference", "low", "high", "verdict")
HORIZON = typer.Option(3, "--horizon", help="Months ahead the risk scores look.")

campaign_app = typer.Typer(help="Offer campaigns measured against a holdout.", no_args_is_help=True)


def offers(
    rule: str = typer.Argument(None, help="NAME, NAME@VERSION or a rule TOML file; none: list."),
    as_of: str = opt.AS_OF,
    everyone: bool = typer.Option(False, "--all", help="Every account offered, not the top."),
    top: int = typer.Option(20, "--top", help="How many accounts to list."),
    horizon: int = HORIZON,
    csv_file: Path = typer.Option(
        None, "--csv", help="Also write the list to FILE as CSV for a CRM import.", dir_okay=False
    ),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Accounts an offer rule makes its offer to, within its guardrails, ranked by expected MRR
    effect with the evidence; without RULE, the shipped rules.

    Example: netretain offers save-offer --db acme.duckdb --csv save.csv
    """
    if rule is None:
        rows = [
            {"rule": r.ref, "action": r.action, "description": r.description, "sha256": r.sha256}
            for r in shipped()
        ]
        short = [{**r, "sha256": r["sha256"][:12]} for r in rows]
        emit(rows, fmt, show=lambda: console.print(table(short, title="offer rules")))
        return
    record = ledger.offers(rule, as_of, top=None if everyone else top, horizon=horizon)
    emit_offers(record, csv_file, fmt)


def crm_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """An offer list shaped for a CRM import: one row per account, the evidence as its reason."""
    return [
        {
            "account_id": a["customer_id"],
            "owner": a["owner"],
            "offer": f"{result['rule']['name']}@{result['rule']['version']}: {result['offer']}",
            "offer_mrr": a["offer_mrr"],
            "offer_months": a["offer_months"],
            "expected_mrr_effect": a["expected_mrr_effect"],
            "reason": "; ".join(a["evidence"]),
        }
        for a in result["accounts"]
    ]


def emit_offers(record: Prediction, csv_file: Path | None, fmt: Format) -> None:
    """The ranked offers, like the risk list: a table, JSON, or CRM CSV (and `csv_file`)."""
    result = record.to_dict()
    notes(record.warnings)

    def show() -> None:
        rows = [{**a, "reason": "; ".join(a["evidence"])} for a in result["accounts"]]
        rule = result["rule"]
        title = (
            f"{rule['name']}@{rule['version']} ({result['action']}: {result['offer']}) "
            f"as of {result['as_of']} ({result['currency']})"
        )
        console.print(table(rows, title=title, columns=OFFERS))
        held = ", ".join(f"{n} by {k}" for k, n in result["held_back"].items() if n)
        console.print(
            f"{result['offered']} of {result['eligible']} eligible accounts offered"
            + (f" ({held} held back)" if held else "")
        )

    if csv_file is not None:
        export_csv(csv_file, crm_rows(result), CRM)
    emit(result, fmt, rows=lambda: crm_rows(result), columns=CRM, show=show)


def campaign_start(
    rule: str = typer.Argument(..., help="NAME, NAME@VERSION or a rule TOML file."),
    holdout: float = typer.Option(0.2, "--holdout", help="Share of the accounts held out."),
    seed: int = typer.Option(..., "--seed", help="Seed of the holdout draw (reproducible)."),
    as_of: str = opt.AS_OF,
    horizon: int = HORIZON,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Start a campaign: the rule's accounts, some held out by the seed, kept in the ledger.

    Example: netretain campaign start save-offer --holdout 0.2 --seed 7 --db acme.duckdb
    """
    record = ledger.campaign_start(rule, as_of, holdout=holdout, seed=seed, horizon=horizon)
    result = record.to_dict()
    notes(record.warnings)

    def show() -> None:
        a = result["accounts"]
        console.print(
            f"campaign {result['campaign_id']}: {a['treated']} accounts get the offer, "
            f"{a['holdout']} are held out (seed {result['seed']}); offer months "
            f"{result['offer_months']['from']}..{result['offer_months']['to']}"
        )

    emit(result, fmt, show=show)


def campaign_results(
    campaign: str = typer.Argument(None, help="Campaign id (default: the latest)."),
    months: int = typer.Option(3, "--months", help="Months after the start to measure."),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Treated against held-out accounts: churn, contraction, expansion and NDR, with 95% intervals.

    Example: netretain campaign results --db acme.duckdb --months 6
    """
    record = ledger.campaign_results(campaign, months=months)
    result = record.to_dict()
    notes(record.warnings)
    rows = [{"measure": k, **v} for k, v in result["measures"].items()]

    def show() -> None:
        m, a = result["measured"], result["accounts"]
        title = (
            f"campaign {result['campaign_id']}: {a['treated']} treated, {a['holdout']} held out,"
            f" {m['from']}..{m['to']}"
        )
        console.print(table(rows, title=title, columns=MEASURES))
        console.print(f"method: {result['method']}")

    emit(result, fmt, rows=lambda: rows, columns=MEASURES, show=show)


def campaign_list(fmt: Format = opt.FORMAT, *, ledger: Ledger) -> None:
    """Every campaign, newest first.

    Example: netretain campaign list --db acme.duckdb
    """
    rows = ledger.campaigns()
    emit(rows, fmt, show=lambda: console.print(table(rows, title="campaigns")))


def register(app: typer.Typer) -> None:
    """Add `offers` and the `campaign` group to the app."""
    app.command("offers")(opt.with_ledger(offers))
    for name, command in (
        ("start", campaign_start),
        ("results", campaign_results),
        ("list", campaign_list),
    ):
        campaign_app.command(name)(opt.with_ledger(command))
    app.add_typer(campaign_app, name="campaign")
