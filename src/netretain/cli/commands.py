"""The ledger commands: ingest, report, movements, customers, rejects, compare."""

import csv
from pathlib import Path
from typing import Any

import typer

from netretain.cli import options as opt
from netretain.cli.progress import steps
from netretain.cli.render import (
    Format,
    cell,
    console,
    emit,
    err_console,
    notes,
    table,
    write_csv,
)
from netretain.core.results import RETENTION_KEYS, Report, money
from netretain.definitions import Definition, default, resolve
from netretain.ledger import Ledger

MOVEMENT_NAMES = ("new", "expansion", "contraction", "churn", "reactivation")
MONTH_COLUMNS = ("month", "mrr", "customers", *MOVEMENT_NAMES)
CUSTOMER_COLUMNS = ("customer_id", "month", "mrr", "previous_mrr", *MOVEMENT_NAMES)
REJECT_COLUMNS = ("ingest_id", "kind", "file", "row", "column", "reason", "value")
FILE_COLUMNS = ("kind", "file", "read", "accepted", "replaced", "unchanged", "rejected", "note")
HEADLINE = RETENTION_KEYS


def input_file(flag: str, help: str) -> Any:
    """An input file option: a missing file is a usage error (exit 2), not a traceback."""
    return typer.Option(None, flag, help=help, exists=True, dir_okay=False, readable=True)


def flag(name: str, help: str) -> Any:
    """An on/off option shown as a bare flag in --help (typer would print `<bool>` after it)."""
    return typer.Option(False, name, help=help, metavar="")


def ingest(
    customers: Path = input_file("--customers", "customers file (CSV or Parquet)."),
    subscriptions: Path = input_file("--subscriptions", "subscriptions file."),
    invoice_lines: Path = input_file("--invoice-lines", "invoice lines file."),
    mrr: Path = input_file("--mrr", "monthly MRR file (customer_id, month, mrr)."),
    fx_rates: Path = input_file("--fx-rates", "FX rates file (month, currency, rate)."),
    plans: Path = input_file("--plans", "plan allowances (plan, metric, included_quantity)."),
    usage_events: Path = input_file(
        "--usage-events", "usage file (customer_id, date, metric, quantity)."
    ),
    strict: bool = flag("--strict", "Any reject fails the ingest; nothing is ingested."),
    replace: bool = flag("--replace", "Apply changed rows of known ids, recording corrections."),
    currency: str = typer.Option(
        None, "--currency", help="Reporting currency of a new ledger (default USD)."
    ),
    data_as_of: str = typer.Option(
        None,
        "--data-as-of",
        help="YYYY-MM-DD the export was taken; reports then default to the last complete "
        "month before it.",
    ),
    encoding: str = typer.Option(
        None,
        "--encoding",
        help="What the CSV files are encoded in, e.g. latin-1 (default UTF-8; UTF-16 by its BOM).",
    ),
    key: Path = typer.Option(
        None,
        "--key",
        envvar="NETRETAIN_KEY",
        help="Private key that signs the log's heads (default <db>.key, made on first ingest).",
    ),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Ingest billing exports into the ledger, atomically; bad rows are kept as rejects.

    Every file's rows are accounted for: read = accepted + replaced + unchanged + rejected. The
    CSV output is that summary, one row per file; `netretain rejects` lists the refused rows.

    Example: netretain ingest --db acme.duckdb --invoice-lines lines.csv --fx-rates fx.csv
    """
    files: dict[str, Path | None] = dict(
        customers=customers,
        subscriptions=subscriptions,
        invoice_lines=invoice_lines,
        mrr=mrr,
        fx_rates=fx_rates,
        plans=plans,
        usage_events=usage_events,
    )
    if not any(files.values()):
        raise typer.BadParameter("name at least one file, e.g. --invoice-lines lines.csv")
    if currency:
        ledger.set_currency(currency)
    if key:
        ledger.use_key(key)
    with steps(fmt is Format.table) as step:
        result = ledger.ingest(
            strict=strict,
            replace=replace,
            step=step,
            data_as_of=data_as_of,
            encoding=encoding,
            **files,
        )
    data = result.to_dict()
    summary = [
        {**{k: f.__dict__[k] for k in FILE_COLUMNS if k != "note"}, "note": f.note}
        for f in result.files
    ]

    def show() -> None:
        read = [{k: v for k, v in f.items() if k != "note"} for f in summary if not f["note"]]
        if read:
            console.print(table(read, title=f"ingest {result.ingest_id}"))
        for f in result.files:
            if f.skipped:
                console.print(f"{f.file}: {f.note}", highlight=False)
        if result.rejects:
            console.print(table(data["rejects"][:50], title=f"{result.rejected} rejected row(s)"))
            console.print("See them all with: netretain rejects")

    emit(data, fmt, rows=lambda: summary, show=show, columns=FILE_COLUMNS)
    if ledger.signer.created:
        notes([f"made the log's signing key {ledger.signer.created} (keep it private; publish "
               f"{ledger.signer.created.with_suffix('.pub')})"])  # fmt: skip


def show_report(report: Report) -> None:
    """A report as two rich tables: the headline (the cohort's figures, total MRR apart) and the
    window's monthly movements, with the window in words."""
    d = report.to_dict()
    stamp = d["definition"]
    console.print(
        f"[bold]{stamp['name']}@{stamp['version']}[/] as of {d['as_of']} ({d['currency']}): "
        f"{d['window']['text']}",
        highlight=False,
    )
    rows = [{"metric": HEADLINE_LABELS.get(k, k), "value": cell(k, d[k])} for k in HEADLINE]
    rows.append({"metric": "total MRR, every customer", "value": cell("mrr", d["total_mrr"])})
    console.print(table(rows))
    console.print(
        f"Starting and ending MRR are the cohort's: the {d['customers_start']:,} customers "
        f"paying in {d['window']['start']}. Total MRR counts every customer in {d['as_of']}.",
        highlight=False,
    )
    console.print(table(d["months"], title="months", columns=MONTH_COLUMNS))
    if report.message:
        console.print(f"[yellow]{report.message}[/]")


HEADLINE_LABELS = {
    "starting_mrr": "starting MRR (cohort)",
    "ending_mrr": "ending MRR (cohort)",
    "expansion_mrr": "expansion (cohort)",
    "contraction_mrr": "contraction (cohort)",
    "churn_mrr": "churn (cohort)",
}


def report(
    as_of: str = opt.AS_OF,
    fmt: Format = opt.FORMAT,
    html: Path = typer.Option(None, "--html", help="Also write a self-contained HTML report here."),
    sign: bool = flag(
        "--sign", "Print the report signed with its definition hash and the log's tree head."
    ),
    key: Path = typer.Option(
        None,
        "--key",
        envvar="NETRETAIN_KEY",
        help="With --sign: the Ed25519 private key (default <db>.key).",
    ),
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """NDR, GDR, logo retention and the window's monthly movements.

    Example: netretain report --db acme.duckdb --as-of 2025-06 --definition previous-month
    """
    result = ledger.report(as_of, definition)
    notes(result.warnings)
    if sign:
        from netretain.cli.proof_cmd import print_signed_report

        print_signed_report(ledger, result, key)
        return
    if html:
        from netretain.web.report_html import write_report

        ref = definition.ref if definition else None
        err_console.print(f"wrote {write_report(ledger, html, as_of=result.as_of, ref=ref)}")
    data = result.to_dict()
    flat = {k: v for k, v in data.items() if k != "months"}
    emit(
        data,
        fmt,
        rows=lambda: [
            {
                **flat,
                "definition": data["definition"]["name"],
                "version": data["definition"]["version"],
                "sha256": data["definition"]["sha256"],
            }
        ],
        show=lambda: show_report(result),
    )


def movements(
    start: str = typer.Option(None, "--from", help="First month (YYYY-MM)."),
    end: str = typer.Option(None, "--to", help="Last month (YYYY-MM)."),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """MRR, paying customers and each movement, for every month of the ledger.

    Example: netretain movements --db acme.duckdb --from 2024-01 --format csv
    """
    found = ledger.movements(start, end, definition)
    if found:
        notes(ledger.warnings(ledger.month(found[-1].month)))
    rows = [m.to_dict() for m in found]
    emit(
        rows,
        fmt,
        columns=MONTH_COLUMNS,
        show=lambda: console.print(table(rows, columns=MONTH_COLUMNS)),
    )


def customers(
    customer: str = typer.Option(None, "--customer", help="One customer's history."),
    movement: str = typer.Option(
        None, "--movement", help="Only customer-months with this movement."
    ),
    month: str = typer.Option(None, "--month", help="Only this month (YYYY-MM)."),
    start: str = typer.Option(None, "--from", help="First month (YYYY-MM)."),
    end: str = typer.Option(None, "--to", help="Last month (YYYY-MM)."),
    sort: str = typer.Option(
        "customer", "--sort", help="customer, or amount (largest movement first)."
    ),
    limit: int = typer.Option(1000, "--limit", help="At most this many rows shown (0: all)."),
    export: Path = typer.Option(
        None, "--export", help="Write every matching row to this CSV file."
    ),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Per-customer MRR history and movements: the customers behind every figure.

    Example: netretain customers --db acme.duckdb --movement churn --month 2025-03 --sort amount
    """
    if movement and movement not in MOVEMENT_NAMES:
        raise typer.BadParameter(f"--movement must be one of {', '.join(MOVEMENT_NAMES)}")
    if sort not in ("customer", "amount"):
        raise typer.BadParameter("--sort must be customer or amount")
    if sort == "amount" and not movement:
        raise typer.BadParameter("--sort amount needs --movement (the amount of which movement?)")
    filters = dict(
        customer_id=customer,
        movement=movement,
        month=month,
        start=start,
        end=end,
        by_amount=sort == "amount",
    )
    if export:
        count = ledger.export_customers(export, **filters)
        err_console.print(f"wrote {count:,} row(s) to {export}")
    rows = ledger.customer_rows(limit=limit or None, **filters)
    emit(rows, fmt, columns=CUSTOMER_COLUMNS)


def rejects(
    ingest_id: int = typer.Option(None, "--ingest", help="Only this ingest's rejects."),
    export: Path = typer.Option(None, "--export", help="Write them to this CSV file."),
    export_rows: Path = typer.Option(
        None,
        "--export-rows",
        help="Write the refused rows as they came, one CSV per input kind, "
        "into this directory: fix them and ingest the files again.",
    ),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Every row an ingest refused: file, row, column, reason and the value found.

    Example: netretain rejects --db acme.duckdb --export rejects.csv --export-rows to-fix/
    """
    rows = ledger.rejects(ingest_id).to_pylist()
    if not rows and fmt is Format.table:
        which = f"ingest {ingest_id}" if ingest_id is not None else "this ledger"
        console.print(f"no rejected rows in {which}: every row was accepted")
        return
    if export:
        with export.open("w", newline="", encoding="utf-8") as out:
            write_csv(rows, out)
    if export_rows:
        export_rows.mkdir(parents=True, exist_ok=True)
        for kind in sorted({r["kind"] for r in rows}):
            refused = ledger.refused_rows(kind, ingest_id).to_pylist()
            with (export_rows / f"{kind}.csv").open("w", newline="", encoding="utf-8") as out:
                write_refused(refused, out)
            err_console.print(
                f"wrote {len(refused)} refused {kind} row(s) to {export_rows / f'{kind}.csv'}"
            )
    emit(rows, fmt, columns=REJECT_COLUMNS)


def write_refused(refused: list[dict[str, Any]], out: Any) -> None:
    """Refused rows as they came: parsed rows as CSV, lines with the wrong field count verbatim."""
    if not refused:
        return
    columns = [k for k in refused[0] if not k.startswith("_")]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in refused:
        if row.get("_line") is not None:
            out.write(row["_line"] + "\n")
        else:
            writer.writerow(["" if row[c] is None else row[c] for c in columns])


def compare(
    definitions: list[str] = typer.Option(
        None, "--definition", "-d", help="Repeat for each definition (default: every preset)."
    ),
    as_of: str = opt.AS_OF,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Run several definitions on the same data, side by side, to see why tools disagree.

    Example: netretain compare --db acme.duckdb -d ndr -d previous-month -d compounded-monthly
    """
    from netretain.definitions import presets

    chosen = [resolve(ref) for ref in definitions] if definitions else list(presets())
    reports = ledger.compare(chosen, as_of)
    notes(reports[0].warnings if reports else ())
    data = [r.to_dict() for r in reports]
    rows = [
        {
            "definition": ref(r),
            **{k: d[k] for k in HEADLINE},
            "sha256": d["definition"]["sha256"][:12],
            "differences": list(r.differences),
        }
        for r, d in zip(reports, data, strict=True)
    ]
    emit(data, fmt, rows=lambda: rows, show=lambda: show_compare(reports))


def ref(report: Report) -> str:
    """NAME@VERSION of the definition that made a report."""
    return f"{report.definition['name']}@{report.definition['version']}"


COMPARE_COLUMNS = ("definition", "ndr", "gdr", "logo_retention", "starting_mrr", "ending_mrr")


def show_compare(reports: list[Report]) -> None:
    """Reports side by side in at most 100 columns, then one line per definition on why its
    figures differ from the default's (derived from the definition's fields)."""
    rows = [
        {
            "definition": ref(r),
            **{k: getattr(r, k) for k in COMPARE_COLUMNS[1:]},
            "sha256": r.definition["sha256"][:10],
        }
        for r in reports
    ]
    as_of = reports[0].as_of if reports else ""
    title = f"as of {as_of}: the same month under each definition"
    console.print(table(rows, title=title, optional=("sha256",)))
    console.print(f"Why they differ from {default().ref}:", highlight=False)
    for r in reports:
        why = "; ".join(r.differences) or "the default rules"
        console.print(f"  {ref(r)}: {why}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ledger commands to the app."""
    for command in (ingest, report, movements, customers, rejects, compare):
        app.command(command.__name__)(opt.with_ledger(command))


__all__ = ["money", "register"]
