"""`netretain check` and `netretain rebuild`: is every table whole, and mending the derived ones."""

import typer

from netretain.cli import options as opt
from netretain.cli.render import Format, console, emit, table
from netretain.ledger import Ledger
from netretain.ledger.check import CheckResult

COLUMNS = ("table", "status", "rows", "recorded_rows", "derived", "detail")


def verdict(result: CheckResult, fmt: Format) -> None:
    """Print every table's verdict; name the damaged ones and what mends them, exiting 1."""
    data = result.to_dict()
    shown = [{**t, "derived": "yes" if t["derived"] else "no"} for t in data["tables"]]
    emit(
        data,
        fmt,
        rows=lambda: data["tables"],
        show=lambda: console.print(table(shown, title="ledger tables")),
        columns=COLUMNS,
    )
    if result.ok:
        return
    derived = [t.table for t in result.damaged if t.derived]
    inputs = [t.table for t in result.damaged if not t.derived]
    advice = []
    if derived:
        advice.append(f"{', '.join(derived)} (derived: `netretain rebuild` rebuilds them)")
    if inputs:
        advice.append(
            f"{', '.join(inputs)} (inputs or records: ingest the input files into a new ledger)"
        )
    opt.fail("damaged: " + "; ".join(advice))


def check(fmt: Format = opt.FORMAT, *, ledger: Ledger) -> None:
    """Recompute every table's row count and checksum and compare them with those kept at the
    last ingest; exit 1 naming any damaged table.

    Example: netretain check --db acme.duckdb
    """
    verdict(ledger.check(), fmt)


def rebuild(fmt: Format = opt.FORMAT, *, ledger: Ledger) -> None:
    """Rebuild the derived tables (revenue lines, MRR, movements, ...) from the input tables.

    Example: netretain rebuild --db acme.duckdb
    """
    verdict(ledger.rebuild(), fmt)


def register(app: typer.Typer) -> None:
    """Add the maintenance commands (check reads the ledger, rebuild writes it)."""
    for command in (check, rebuild):
        app.command(command.__name__)(opt.with_ledger(command))
