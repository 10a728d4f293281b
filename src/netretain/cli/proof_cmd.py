"""Proof commands: statement, verify-statement, verify-report, anchor and portal-link.

The verify commands need no ledger: a customer or an auditor runs them on the files they were
handed and the public key the operator publishes.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from netretain.cli import options as opt
from netretain.cli.render import Format, as_json, console, emit, err_console, table
from netretain.core.results import Report
from netretain.definitions import Definition
from netretain.ledger import Ledger, proofs
from netretain.transparency.keys import key_id, load_private_key, load_public_key

KEY = typer.Option(
    None,
    "--key",
    envvar="NETRETAIN_KEY",
    help="The ledger's Ed25519 private key file (default <db>.key).",
)
PUBLIC_KEY = typer.Option(
    ..., "--public-key", help="The operator's published Ed25519 public key (PEM).", exists=True
)
RPC = typer.Option(None, "--rpc", help="The EVM node's JSON-RPC URL.", envvar="NETRETAIN_RPC")
CONTRACT = typer.Option(
    None, "--contract", help="The NdrAnchor contract's address.", envvar="NETRETAIN_CONTRACT"
)
HISTORY_COLUMNS = proofs.HISTORY


def _key(path: Path | None) -> Ed25519PrivateKey | None:
    return None if path is None else load_private_key(path)


def _head(signed: dict[str, Any]) -> dict[str, Any]:
    head = signed["head"]
    return {"size": head["size"], "root": head["root"], "time": head["time"]}


def print_signed_report(ledger: Ledger, report: Report, key: Path | None) -> None:
    """`report --sign`: the signed report as JSON, whatever --format says (it is a file format)."""
    signed = proofs.signed_report(ledger, report, _key(key))
    sys.stdout.write(as_json(signed) + "\n")
    size = signed["head"]["head"]["size"]
    err_console.print(
        f"signed with key {signed['key_id'][:16]} over the log of {size:,} entries;"
        " check with: netretain verify-report FILE --public-key KEY",
        highlight=False,
    )


def statement(
    customer: str = typer.Argument(..., help="The customer id, exactly as in your data."),
    html: Path = typer.Option(
        None, "--html", help="Also write a self-contained HTML statement that checks itself."
    ),
    key: Path = KEY,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """One customer's revenue lines, usage and MRR history, each fact with its inclusion proof
    against the latest signed tree head. Hand the JSON (or the HTML) to the customer.

    Example: netretain statement C0000145 --db acme.duckdb --format json > statement.json
    """
    data = proofs.statement(ledger, customer, _key(key))
    if html:
        from netretain.web.statement_html import write_statement

        public = (_key(key) or ledger.signing_key()).public_key()
        err_console.print(f"wrote {write_statement(data, public, html)}", highlight=False)

    def show() -> None:
        head = data["head"]["head"]
        console.print(
            f"[bold]{customer}[/]: {len(data['leaves'])} facts with proofs against the signed log"
            f" of {head['size']:,} entries ({head['time']}), key {data['key_id'][:16]}",
            highlight=False,
        )
        console.print(table(data["history"], title="MRR history", columns=HISTORY_COLUMNS))

    emit(data, fmt, rows=lambda: data["history"], show=show, columns=HISTORY_COLUMNS)


def verify_statement(
    file: Path = typer.Argument(..., help="A statement JSON file.", exists=True, dir_okay=False),
    public_key: Path = PUBLIC_KEY,
    fmt: Format = opt.FORMAT,
) -> None:
    """Check a statement with no database: the signatures and every fact's proof.

    Exit 1 naming the first thing that fails. Example:
    netretain verify-statement statement.json --public-key acme.pub
    """
    from netretain.transparency.statement import verify_statement as check

    done = check(file.read_bytes(), load_public_key(public_key))
    data = {
        "ok": True,
        "customer_id": done.customer_id,
        "facts": len(done.records),
        "months": len(done.history),
        "as_of": done.as_of,
        "head": {"size": done.head.size, "root": done.head.root.hex(), "time": done.head.time},
        "key_id": key_id(load_public_key(public_key)),
    }
    emit(data, fmt, show=lambda: _said_ok(f"{done.customer_id}: {data['facts']} facts", data))


def _said_ok(what: str, data: dict[str, Any]) -> None:
    head = data["head"]
    console.print(
        f"[green]OK[/] {what} verified against the signed log of {head['size']:,} entries"
        f" ({head['time']}), key {data['key_id'][:16]}",
        highlight=False,
    )


def verify_report(
    file: Path = typer.Argument(..., help="A signed report (report --sign).", exists=True),
    public_key: Path = PUBLIC_KEY,
    anchored: bool = typer.Option(
        False, "--anchored", help="Also check the figures recorded on the chain.", metavar=""
    ),
    rpc: str = RPC,
    contract: str = CONTRACT,
    fmt: Format = opt.FORMAT,
) -> None:
    """Check a signed report: its signature, its tree head, and (--anchored) the chain's record.

    Example: netretain verify-report q2.json --public-key acme.pub --anchored --rpc URL
    """
    from netretain.transparency.signed_report import verify_report as check

    key = load_public_key(public_key)
    done = check(file.read_bytes(), key)
    data: dict[str, Any] = {
        "ok": True,
        "as_of": done.figures.get("as_of"),
        "definition_sha256": done.definition_sha256,
        "ndr": done.figures.get("ndr"),
        "gdr": done.figures.get("gdr"),
        "head": {"size": done.head.size, "root": done.head.root.hex(), "time": done.head.time},
        "key_id": key_id(key),
        "anchored": None,
    }
    if anchored:
        if not rpc or not contract:
            raise typer.BadParameter("--anchored needs --rpc and --contract")
        from netretain.transparency.anchor import verify_anchored_report

        record = verify_anchored_report(file.read_bytes(), key, rpc, contract)
        data["anchored"] = {
            "contract": contract,
            "record_id": record.id.hex(),
            "ndr_bp": record.ndr_bp,
            "gdr_bp": record.gdr_bp,
            "anchored_at": record.anchored_at,
        }
    emit(data, fmt, show=lambda: _said_ok(f"report as of {data['as_of']}", data))


def anchor(
    rpc: str = RPC,
    key_file: Path = typer.Option(
        ..., "--key-file", help="The EVM account's hex private key (mode 0600).", exists=True
    ),
    contract: str = CONTRACT,
    deploy: bool = typer.Option(
        False, "--deploy", help="Deploy a new NdrAnchor contract first.", metavar=""
    ),
    as_of: str = opt.AS_OF,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """Record the latest tree head and the report's cohort MRR on an EVM chain, where the
    NdrAnchor contract computes NDR and GDR itself and keeps the record for ever.

    Example: netretain anchor --db acme.duckdb --rpc http://127.0.0.1:8545 --key-file evm.key
    --contract 0x5FbDB2315678afecb367f032d93F642f64180aa3
    """
    from netretain.transparency import anchor as chain

    if not rpc:
        raise typer.BadParameter("name the EVM node with --rpc URL")
    if bool(contract) == deploy:
        raise typer.BadParameter("give either --contract ADDRESS or --deploy")
    report = ledger.report(as_of, definition)
    sent = proofs.anchor_figures(ledger, report)
    address = chain.deploy(rpc, key_file) if deploy else contract
    record = chain.anchor(rpc, key_file, address, sent)
    data = {
        "contract": address,
        "record_id": record.id.hex(),
        "as_of": sent.as_of,
        "definition_sha256": sent.definition_sha256,
        "root": sent.root.hex(),
        "size": sent.size,
        "starting_cents": sent.starting_cents,
        "ending_cents": sent.ending_cents,
        "retained_cents": sent.retained_cents,
        "ndr_bp": record.ndr_bp,
        "gdr_bp": record.gdr_bp,
        "anchored_at": record.anchored_at,
    }
    emit(data, fmt)


def portal_link(
    customer: str = typer.Argument(..., help="The customer id the link shows."),
    expires: str = typer.Option("7d", "--expires", help="Lifetime: 30m, 12h, 7d (at most 366d)."),
    base_url: str = typer.Option(
        "http://127.0.0.1:8000", "--base-url", help="Where customers reach `netretain serve`."
    ),
    key: Path = KEY,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """A link showing one customer their own statement on the dashboard, signed and expiring.

    Example: netretain portal-link C0000145 --db acme.duckdb --expires 7d --base-url https://x
    """
    from urllib.parse import quote

    from netretain.transparency.tokens import issue_token, lifetime

    try:
        seconds = lifetime(expires)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from e
    ledger.customer_rows(customer_id=customer, limit=1)  # NotFoundError for an unknown id
    token, claims = issue_token(customer, _key(key) or ledger.signing_key(), seconds)
    url = f"{base_url.rstrip('/')}/portal/{quote(customer, safe='')}?token={token}"
    data = {
        "customer_id": customer,
        "url": url,
        "expires": datetime.fromtimestamp(claims.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "token": token,
    }
    emit(data, fmt, show=lambda: console.print(f"{url}\nexpires {data['expires']}", soft_wrap=True))


def register(app: typer.Typer) -> None:
    """Add the proof commands."""
    for command in (statement, anchor, portal_link):
        name = command.__name__.replace("_", "-")
        app.command(name)(opt.with_ledger(command))
    for plain in (verify_statement, verify_report):
        app.command(plain.__name__.replace("_", "-"))(opt.handle_errors(plain))
