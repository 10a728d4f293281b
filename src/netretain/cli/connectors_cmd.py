"""`netretain sync stripe|postgres` and `netretain export`: sources in, figures out."""

import os
import tomllib
from pathlib import Path
from typing import Any

import typer

from netretain.cli import options as opt
from netretain.cli.commands import FILE_COLUMNS, flag
from netretain.cli.progress import steps
from netretain.cli.render import Format, console, emit, notes, table
from netretain.connectors.errors import ConnectorError
from netretain.connectors.stripe_api import Page, StripeSource
from netretain.connectors.stripe_map import StripeRules
from netretain.ledger import Ledger, exports
from netretain.ledger import connectors as service
from netretain.ledger.ingest import Step
from netretain.store import Progress

sync_app = typer.Typer(
    help="Ingest from a system of record: Stripe (API or Dashboard CSV exports) or PostgreSQL."
)
DRY_RUN = flag("--dry-run", "Show what would change; the ledger stays as it was.")


def api_key(key_file: Path | None) -> str:
    """The Stripe key from a file or STRIPE_API_KEY; it is handed to the SDK and nowhere else."""
    if key_file is not None:
        return key_file.read_text().strip()
    return os.environ.get("STRIPE_API_KEY", "").strip()


def show_sync(result: service.SyncResult, fmt: Format) -> None:
    """What was read and the ingest's per-file summary, as for `netretain ingest`."""
    data = result.to_dict()
    done = result.ingest
    files = (
        [{k: f.__dict__.get(k, f.note) for k in FILE_COLUMNS} for f in done.files] if done else []
    )
    rejects = [r.__dict__ for r in (*result.rejects, *(done.rejects if done else ()))]

    def show() -> None:
        title = "dry run: nothing was written" if result.dry_run else f"{result.source} sync"
        console.print(table([{"object": k, "read": v} for k, v in result.read.items()]))
        if files:
            console.print(table(files, title=title))
        else:
            console.print(f"{title}: nothing new", highlight=False)
        if rejects:
            console.print(table(rejects[:50], title="rejected rows"))
            console.print("See them all with: netretain rejects")

    emit(data, fmt, rows=lambda: files, show=show, columns=FILE_COLUMNS)


KEY_FILE = typer.Option(
    None, "--api-key-file", help="File holding the key (default: env STRIPE_API_KEY)."
)
API_BASE = typer.Option(
    None, "--api-base", help="Another Stripe server (a local one).", envvar="STRIPE_API_BASE"
)
PAST_DUE = typer.Option("revenue", "--past-due", help="revenue or churn.")
PAUSED = typer.Option("churn", "--paused", help="churn or revenue.")


@sync_app.command("stripe")
@opt.with_ledger
def sync_stripe(
    key_file: Path = KEY_FILE,
    api_base: str = API_BASE,
    since: str = typer.Option(None, "--since", help="Ignore invoices before YYYY-MM-DD."),
    past_due: str = PAST_DUE,
    paused: str = PAUSED,
    dry_run: bool = DRY_RUN,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Sync customers, subscriptions (with their schedules' billed phases; test clocks with a
    test key) and new invoices from Stripe into the ledger, atomically.

    Example: STRIPE_API_KEY=sk_live_... netretain sync stripe --db acme.duckdb --dry-run
    """
    rules = rules_of(past_due, paused)
    source = StripeSource(api_key(key_file), api_base=api_base)
    with steps(fmt is Format.table) as step:
        result = service.sync_stripe(
            ledger,
            source,
            rules=rules,
            since=since,
            dry_run=dry_run,
            on_page=pages(step),
            step=step,
        )
    show_sync(result, fmt)


@sync_app.command("stripe-csv")
@opt.with_ledger
def sync_stripe_csv(
    directory: Path = typer.Argument(..., help="Directory of Stripe Dashboard CSV exports."),
    past_due: str = PAST_DUE,
    paused: str = PAUSED,
    dry_run: bool = DRY_RUN,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Ingest Stripe Dashboard CSV exports (customers, subscriptions, invoices, invoice line
    items, coupons) by the same rules as `sync stripe`, for an account without API access.

    Example: netretain sync stripe-csv exports/ --db acme.duckdb
    """
    rules = rules_of(past_due, paused)
    with steps(fmt is Format.table) as step:
        result = service.ingest_stripe_csv(
            ledger, directory, rules=rules, dry_run=dry_run, step=step
        )
    show_sync(result, fmt)


def pages(step: Step | None) -> Page | None:
    """One bar per Stripe list, counting the objects read (Stripe gives no total ahead)."""
    if step is None:
        return None
    bars: dict[str, Progress] = {}

    def on_page(name: str, seen: int) -> None:
        if name not in bars:
            bars[name] = step(f"reading Stripe {name}") or (lambda done, total: None)
        bars[name](seen, seen)

    return on_page


def _query(kind: str) -> Any:
    return typer.Option(None, f"--{kind.replace('_', '-')}", help=f"Table or SELECT for {kind}.")


def mapped_inputs(mapping: Path) -> dict[str, str]:
    """The [inputs] table of a mapping file; a file that is not TOML is one clear message."""
    try:
        return dict(tomllib.loads(mapping.read_text(encoding="utf-8")).get("inputs", {}))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConnectorError(f"{mapping}: not valid TOML: {exc}") from None


@sync_app.command("postgres")
@opt.with_ledger
def sync_postgres(
    url: str = typer.Option(..., "--from-postgres", help="postgresql://user@host:port/db"),
    customers: str = _query("customers"),
    subscriptions: str = _query("subscriptions"),
    invoice_lines: str = _query("invoice_lines"),
    mrr: str = _query("mrr"),
    fx_rates: str = _query("fx_rates"),
    mapping: Path = typer.Option(
        None, "--mapping", exists=True, help="TOML file: [inputs] kind = table or query."
    ),
    replace: bool = flag("--replace", "Apply changed rows of known ids, recording corrections."),
    dry_run: bool = DRY_RUN,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Ingest input kinds from tables or queries of a PostgreSQL database, streamed.

    Example: netretain sync postgres --from-postgres postgresql://bi@db/erp
    --invoice-lines "SELECT * FROM billing.lines"
    """
    given = dict(
        customers=customers,
        subscriptions=subscriptions,
        invoice_lines=invoice_lines,
        mrr=mrr,
        fx_rates=fx_rates,
    )
    sources = mapped_inputs(mapping) if mapping else {}
    sources.update({k: v for k, v in given.items() if v})
    if not sources:
        raise typer.BadParameter("name a table or query, e.g. --invoice-lines billing.lines")
    with steps(fmt is Format.table) as step:
        result = service.ingest_postgres(
            ledger, url, sources, replace=replace, dry_run=dry_run, step=step
        )
    show_sync(result, fmt)


@opt.with_ledger
def export(
    to_postgres: str = typer.Option(None, "--to-postgres", help="postgresql://... to write to."),
    target_schema: str = typer.Option(
        "netretain_export", "--target-schema", help="Schema the export replaces."
    ),
    to_parquet: Path = typer.Option(None, "--to-parquet", help="Directory the export replaces."),
    to_crm: str = typer.Option(None, "--to-crm", help="hubspot or salesforce (with --out)."),
    out: Path = typer.Option(None, "--out", help="The CRM CSV file to write."),
    as_of: str = opt.AS_OF,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Write the ledger and report tables to PostgreSQL or Parquet, or accounts to a CRM CSV.

    Example: netretain export --db acme.duckdb --to-crm hubspot --out hubspot.csv
    """
    if not (to_postgres or to_parquet or to_crm):
        raise typer.BadParameter("name a target: --to-postgres, --to-parquet or --to-crm")
    if to_crm and out is None:
        raise typer.BadParameter("--to-crm needs --out FILE")
    scored = exports.scores(ledger, as_of)
    notes([exports.NO_MODEL] if scored is None else scored.notes)
    written: dict[str, int] = {}
    if to_postgres:
        written.update(exports.export_postgres(ledger, to_postgres, target_schema, scored))
    if to_parquet:
        written.update(exports.export_parquet(ledger, to_parquet, scored))
    if to_crm:
        written[f"{to_crm}:{out}"] = exports.export_crm(ledger, to_crm, out, as_of, scored)
    rows = [{"table": k, "rows": v} for k, v in written.items()]
    emit({"tables": rows}, fmt, rows=lambda: rows, columns=("table", "rows"))


reconcile_app = typer.Typer(help="Compare netretain's MRR with a source's own figures.")
RECONCILE_COLUMNS = (
    "month",
    "stripe_mrr",
    "netretain_mrr",
    "trial",
    "status",
    "discount",
    "plan_change",
    "usage",
    "fx",
    "other",
)


def rules_of(past_due: str, paused: str) -> StripeRules:
    """The --past-due and --paused rules, a wrong value being a usage error."""
    try:
        return StripeRules(past_due=past_due, paused=paused)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@reconcile_app.command("stripe")
@opt.with_ledger
def reconcile_stripe(
    key_file: Path = KEY_FILE,
    api_base: str = API_BASE,
    start: str = typer.Option(None, "--from", help="First month (YYYY-MM)."),
    end: str = typer.Option(None, "--to", help="Last month (YYYY-MM)."),
    month: str = typer.Option(None, "--month", help="Also list the customers that differ then."),
    past_due: str = PAST_DUE,
    paused: str = PAUSED,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Per month, netretain's MRR against the sum of Stripe's subscriptions, explained by rule.

    Example: netretain reconcile stripe --db acme.duckdb --from 2024-01 --month 2024-06
    """
    source = StripeSource(api_key(key_file), api_base=api_base)
    result = service.reconcile_stripe(
        ledger, source, rules=rules_of(past_due, paused), start=start, end=end, month=month
    )
    data = result.to_dict()
    columns = (*RECONCILE_COLUMNS, "customer_id") if month else RECONCILE_COLUMNS

    def show() -> None:
        shown = [{k: v for k, v in m.items() if k != "customer_id"} for m in data["months"]]
        console.print(table(shown, title="Stripe's subscriptions vs netretain"))
        if month:
            console.print(table(data["customers"], title=f"customers that differ in {month}"))

    rows = (
        data["customers"]
        if month
        else [{k: v for k, v in m.items() if k != "customer_id"} for m in data["months"]]
    )
    emit(data, fmt, rows=lambda: rows, show=show, columns=columns)


def register(app: typer.Typer) -> None:
    """Add `sync` (stripe, postgres), `reconcile stripe` and `export` to the main command."""
    app.add_typer(sync_app, name="sync")
    app.add_typer(reconcile_app, name="reconcile")
    app.command("export")(export)
