"""Options every ledger command shares, and opening the ledger they name."""

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from netretain.cli.render import Format, err_console
from netretain.definitions import Definition, from_options
from netretain.errors import NetretainError
from netretain.ledger import Ledger

DB = typer.Option(
    Path("netretain.duckdb"), "--db", help="The ledger file (DuckDB engine).", envvar="NETRETAIN_DB"
)
FORMAT = typer.Option(Format.table, "--format", "-f", help="table, json or csv.")
ENGINE = typer.Option(
    None, "--engine", help="duckdb (default), spark or postgres.", envvar="NETRETAIN_ENGINE"
)
SPARK_MASTER = typer.Option(
    None, "--spark-master", help="Spark master (default local[*]).", envvar="NETRETAIN_SPARK_MASTER"
)
WAREHOUSE = typer.Option(
    None,
    "--warehouse",
    help="Directory for the ledger's Parquet tables (spark).",
    envvar="NETRETAIN_WAREHOUSE",
)
POSTGRES_URL = typer.Option(
    None,
    "--postgres-url",
    help="postgresql://user@host:port/db (postgres).",
    envvar="NETRETAIN_POSTGRES_URL",
)
SCHEMA = typer.Option(
    None,
    "--schema",
    help="PostgreSQL schema for the ledger's tables (default netretain).",
    envvar="NETRETAIN_SCHEMA",
)
MEMORY_LIMIT = typer.Option(
    None,
    "--memory-limit",
    help="Most memory DuckDB may use, e.g. 3GB (default 80% of RAM); the rest spills to disk.",
    envvar="NETRETAIN_MEMORY_LIMIT",
)
AS_OF = typer.Option(None, "--as-of", help="YYYY-MM; default: the latest month with data.")
DEFINITION = typer.Option(None, "--definition", "-d", help="NAME or NAME@VERSION (default ndr@1).")
DEFINITION_FILE = typer.Option(None, "--definition-file", help="A definition TOML file.")


def open_ledger(
    db: Path,
    engine: str | None = None,
    spark_master: str | None = None,
    warehouse: Path | None = None,
    postgres_url: str | None = None,
    schema: str | None = None,
    memory_limit: str | None = None,
) -> Ledger:
    """The ledger on the chosen engine (DuckDB file by default); a setting not given is None."""
    from netretain.engines import open_store

    store = open_store(
        engine,
        db=db,
        spark_master=spark_master,
        warehouse=warehouse,
        postgres_url=postgres_url,
        schema=schema,
        memory_limit=memory_limit,
    )
    return Ledger(store=store)


LEDGER_OPTIONS = {
    "db": (Path, DB),
    "engine": (str | None, ENGINE),
    "spark_master": (str | None, SPARK_MASTER),
    "warehouse": (Path | None, WAREHOUSE),
    "postgres_url": (str | None, POSTGRES_URL),
    "schema": (str | None, SCHEMA),
    "memory_limit": (str | None, MEMORY_LIMIT),
}


DEFINITION_OPTIONS = {
    "definition_ref": (str | None, DEFINITION),
    "definition_file": (Path | None, DEFINITION_FILE),
}


# The library's argument names, as this face's flags (errors name arguments; see errors.arg).
FLAGS = {
    "strict": "--strict",
    "replace": "--replace",
    "start": "--from",
    "end": "--to",
    "as_of": "--as-of",
    "month": "--month",
    "definition": "--definition",
    "definition_file": "--definition-file",
    "postgres_url": "--postgres-url",
    "currency": "--currency",
    "data_as_of": "--data-as-of",
    "encoding": "--encoding",
    "customer_movements": "netretain customers --movement churn --from ... --to ...",
    "ingest": "netretain ingest",
}


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Show a netretain error as one red line and exit 1, instead of a traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NetretainError as exc:
            message = exc.render(FLAGS)
            err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return run


def with_ledger(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the --db and engine options, and call it with the opened `ledger`.

    A command with a `definition` parameter also gets --definition and --definition-file, and is
    called with the Definition they name (None when neither is given: the default, ndr@1).
    """
    signature = inspect.signature(command)
    chooses = "definition" in signature.parameters
    options = {**LEDGER_OPTIONS, **(DEFINITION_OPTIONS if chooses else {})}
    own = [p for p in signature.parameters.values() if p.name not in ("ledger", "definition")]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=kind)
        for name, (kind, option) in options.items()
    ]

    @handle_errors
    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        settings = {name: kwargs.pop(name) for name in LEDGER_OPTIONS}
        if chooses:
            ref, file = kwargs.pop("definition_ref"), kwargs.pop("definition_file")
            kwargs["definition"] = definition(ref, file) if ref or file else None
        return command(*args, ledger=open_ledger(**settings), **kwargs)

    run.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
    return run


def definition(ref: str | None, file: Path | None) -> Definition:
    """The definition named by --definition or --definition-file."""
    return from_options(ref, str(file) if file else None)
