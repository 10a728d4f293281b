"""`netretain demo`: a realistic synthetic company, ingested and reported end to end."""

from pathlib import Path

import typer

from netretain.cli import options as opt
from netretain.cli.commands import show_compare, show_report
from netretain.cli.progress import steps
from netretain.cli.render import Format, console, emit, err_console
from netretain.definitions import presets
from netretain.ledger import Ledger
from netretain.synthetic import generate_company

DEMO_BAD_ROWS = 7


@opt.handle_errors
def demo(
    db: Path = typer.Option(Path("demo.duckdb"), "--db", help="Ledger file to create (replaced)."),
    customers: int = typer.Option(3000, "--customers", help="How many customers."),
    months: int = typer.Option(36, "--months", help="How many months of history."),
    seed: int = typer.Option(7, "--seed", help="Same seed, same company."),
    start: str = typer.Option("2023-01", "--start", help="First month (YYYY-MM)."),
    data_dir: Path = typer.Option(
        None,
        "--data-dir",
        help="Where to write the generated CSV files (default: DB-data/ beside the ledger).",
    ),
    fmt: Format = opt.FORMAT,
) -> None:
    """Generate a company, ingest it (a few bad rows included), and print its retention report.

    Example: netretain demo --customers 5000 --months 36 --seed 1
    """
    company = generate_company(
        customers=customers, months=months, seed=seed, start=start, bad_rows=DEMO_BAD_ROWS
    )
    for path in (db, Path(f"{db}.wal")):
        path.unlink(missing_ok=True)
    ledger = Ledger(db)
    folder = data_dir or db.with_name(f"{db.stem}-data")
    folder.mkdir(parents=True, exist_ok=True)
    files = company.write(folder, format="csv")
    with steps(fmt is Format.table) as step:
        result = ledger.ingest(step=step, **files)  # type: ignore[arg-type]
    report = ledger.report()
    comparison = ledger.compare(list(presets()), report.as_of)
    board_report(ledger, db.with_suffix(".html"), report.as_of)
    if fmt is not Format.table:
        data = {
            "ingest": result.to_dict(),
            "report": report.to_dict(),
            "compare": [r.to_dict() for r in comparison],
        }
        emit(data, fmt, rows=lambda: [_flat(r.to_dict()) for r in comparison])
        return
    err_console.print(
        f"ingested {result.accepted:,} rows into {db} "
        f"({result.rejected} rejected on purpose: see `netretain rejects --db {db}`)"
    )
    show_report(report)
    console.print()
    show_compare(comparison)


def board_report(ledger: Ledger, path: Path, as_of: str) -> None:
    """The self-contained HTML report beside the ledger, and where it is (needs the web extra)."""
    try:
        from netretain.web.report_html import write_report
    except ImportError:
        err_console.print("the HTML report needs the web extra: pip install 'netretain[web]'")
        return
    err_console.print(f"wrote the board report to {write_report(ledger, path, as_of=as_of)}")


def _flat(report: dict) -> dict:
    """A compared report as one CSV row: the definition spelled out, no monthly detail."""
    stamp = report.pop("definition")
    report.pop("months")
    return {
        "definition": stamp["name"],
        "version": stamp["version"],
        "sha256": stamp["sha256"],
        **report,
    }


def register(app: typer.Typer) -> None:
    """Add the demo command."""
    app.command("demo")(demo)
