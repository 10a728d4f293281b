"""`netretain keys init`, `netretain log` and `netretain verify`: the revenue log's key pair, its
signed heads, and the check that the log, its heads and the derived tables follow from the facts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from netretain.cli import options as opt
from netretain.cli.render import Format, as_json, console, emit, table
from netretain.ledger import Ledger
from netretain.transparency.heads import SignedHead
from netretain.transparency.keys import init_keys, key_id, load_public_key

keys_app = typer.Typer(help="The Ed25519 key pair that signs the log's heads and reports.")

HEAD_COLUMNS = ("seq", "size", "time", "root", "previous", "sources", "key_id")


@keys_app.command("init")
@opt.handle_errors
def keys_init(
    directory: Path = typer.Option(Path("."), "--dir", help="Where to write the pair."),
    name: str = typer.Option("netretain", "--name", help="File names: NAME.key and NAME.pub."),
    fmt: Format = opt.FORMAT,
) -> None:
    """Make an Ed25519 key pair: NAME.key (private, mode 0600) and NAME.pub; never overwrites.

    Example: netretain keys init --dir keys
    """
    paths = init_keys(directory, name)
    data = {
        "private": str(paths.private),
        "public": str(paths.public),
        "key_id": key_id(load_public_key(paths.public)),
    }
    emit(data, fmt, show=lambda: console.print(table([data], title="key pair")))


def log(
    head: bool = typer.Option(
        False, "--head", help="Print only the latest signed head, as JSON: the one to keep."
    ),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """The log's signed tree heads, one per ingest: size, root, time and the files it read.

    Example: netretain log --db acme.duckdb --head > head-2024q4.json
    """
    heads = ledger.log_heads()
    if head:
        if not heads:
            opt.fail("the ledger has no signed head yet: ingest some files first")
        sys.stdout.write(as_json(heads[-1].to_dict()) + "\n")
        return
    rows = [_row(i, h) for i, h in enumerate(heads)]
    data = {"size": heads[-1].head.size if heads else 0, "heads": [h.to_dict() for h in heads]}
    emit(data, fmt, rows=lambda: rows, columns=HEAD_COLUMNS, show=lambda: _show(rows))


def _row(seq: int, signed: SignedHead) -> dict[str, Any]:
    head = signed.head
    return {
        "seq": seq,
        "size": head.size,
        "time": head.time,
        "root": head.root.hex(),
        "previous": "" if head.previous is None else head.previous.hex(),
        "sources": "; ".join(f"{s.kind}: {s.file}" for s in head.sources),
        "key_id": signed.key_id,
    }


def _show(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("no signed heads yet")
        return
    short = [{**r, "root": r["root"][:16], "previous": r["previous"][:16]} for r in rows]
    console.print(table([{k: v for k, v in r.items() if k != "key_id"} for r in short]))
    console.print(f"signed by key {rows[-1]['key_id']}")


def verify(
    since: Path | None = typer.Option(
        None,
        "--since",
        help="A signed head saved earlier (netretain log --head): prove the log only grew since.",
    ),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="The key heads must be signed with (default: <db>.pub)."
    ),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Recompute every leaf, root, head signature and the derived tables from the stored facts;
    exit 1 naming the first inconsistency.

    Example: netretain verify --db acme.duckdb --since head-2024q4.json
    """
    key = load_public_key(public_key) if public_key else ledger.public_key()
    saved = _saved_head(since) if since else None
    result = ledger.verify(key, since=saved)
    data = result.to_dict()
    emit(data, fmt, show=lambda: _verdict(data))
    if not result.ok:
        opt.fail(f"verify failed: {result.problem}")


def _saved_head(path: Path) -> SignedHead:
    try:
        return SignedHead.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as e:
        opt.fail(f"{path}: not a signed head saved by `netretain log --head` ({e})")


def _verdict(data: dict[str, Any]) -> None:
    if data["ok"]:
        since = data["since"]
        grew = f"; it extends the saved head of {since['size']} leaves" if since else ""
        console.print(
            f"verified: {data['size']} leaves under {data['heads']} signed heads; "
            f"{', '.join(data['checked'])} all follow from the facts{grew}"
        )


def register(app: typer.Typer) -> None:
    """Add keys (init), log and verify."""
    app.add_typer(keys_app, name="keys")
    app.command("log")(opt.with_ledger(log))
    app.command("verify")(opt.with_ledger(verify))
