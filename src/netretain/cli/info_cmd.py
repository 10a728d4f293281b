"""`netretain info`: what a ledger holds and how far its data reaches."""

from typing import Any

import typer

from netretain.cli import options as opt
from netretain.cli.render import Format, console, emit, table
from netretain.ledger import Ledger


def info(fmt: Format = opt.FORMAT, *, ledger: Ledger) -> None:
    """The ledger's months, currency, latest data date, export date (data-as-of) and ingests.

    Example: netretain info --db acme.duckdb
    """
    data = ledger.info()
    emit(data, fmt, rows=lambda: [_flat(data)], show=lambda: show(data))


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: the ingests counted, not listed."""
    return {**{k: v for k, v in data.items() if k != "ingests"}, "ingests": len(data["ingests"])}


def show(data: dict[str, Any]) -> None:
    """The settings as a two-column table, then the ingests."""
    meanings = {
        "first_month": "first month with revenue",
        "last_month": "last month a service period starts in",
        "this_month": "latest month you may ask for",
        "default_as_of": "month a report gives by default",
        "currency": "reporting currency",
        "latest_date": "latest date the data shows",
        "data_as_of": "when the export was taken (ingest --data-as-of)",
    }
    rows = [
        {"setting": k, "value": "—" if data[k] is None else str(data[k]), "meaning": m}
        for k, m in meanings.items()
    ]
    console.print(table(rows, title="ledger"))
    ingests = [{**i, "files": ", ".join(i["files"])} for i in data["ingests"]]
    console.print(table(ingests, title="ingests") if ingests else "no ingests yet")


def register(app: typer.Typer) -> None:
    """Add the info command."""
    app.command("info")(opt.with_ledger(info))
