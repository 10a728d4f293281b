"""`netretain definitions list | show | diff`: definitions are data, so show the data."""

from pathlib import Path

import typer

from netretain.cli.options import FORMAT, handle_errors
from netretain.cli.render import Format, console, emit, table
from netretain.definitions import diff as diff_definitions
from netretain.definitions import load_file, presets, resolve

app = typer.Typer(help="List, show and compare metric definitions.", no_args_is_help=True)


def _load(ref: str):
    return load_file(ref) if ref.endswith(".toml") or Path(ref).is_file() else resolve(ref)


@app.command("list")
@handle_errors
def list_(fmt: Format = FORMAT) -> None:
    """Every shipped definition with its version and content hash.

    Example: netretain definitions list
    """
    rows = [d.summary() for d in presets()]
    emit(
        rows,
        fmt,
        show=lambda: console.print(
            table([{**r, "sha256": r["sha256"][:12]} for r in rows], title="definitions")
        ),
    )


@app.command()
@handle_errors
def show(
    ref: str = typer.Argument(..., help="NAME, NAME@VERSION or a TOML file."), fmt: Format = FORMAT
) -> None:
    """One definition: every knob, its hash and its source.

    Example: netretain definitions show ndr@1
    """
    d = _load(ref)
    data = {**d.to_dict(), "sha256": d.sha256}
    emit(
        data,
        fmt,
        show=lambda: console.print(
            table([{"field": k, "value": str(v)} for k, v in data.items()], title=d.ref)
        ),
    )


@app.command()
@handle_errors
def diff(
    a: str = typer.Argument(..., help="First definition."),
    b: str = typer.Argument(..., help="Second definition."),
    fmt: Format = FORMAT,
) -> None:
    """The knobs where two definitions differ.

    Example: netretain definitions diff ndr ndr-lenient
    """
    left, right = _load(a), _load(b)
    rows = diff_definitions(left, right)
    emit(
        rows,
        fmt,
        show=lambda: console.print(
            table(
                [{k: str(v) for k, v in r.items()} for r in rows],
                title=f"{left.ref} vs {right.ref}",
            )
            if rows
            else "the two definitions have the same content"
        ),
    )
