"""Options every ledger command shares, and opening the ledger they name."""

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click
import typer

from netretain.cli.render import Format, err_console
from netretain.definitions import Definition, from_options
from netretain.engines import damage, interrupted, short_of_memory
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
    help="Most memory DuckDB may use, e.g. 8GB (default 3GB, or 80% of RAM if less); the rest "
    "spills to disk.",
    envvar="NETRETAIN_MEMORY_LIMIT",
)
WAIT = typer.Option(
    None,
    "--wait",
    help="Seconds to wait while another process is updating (or reading) the ledger (default: 10 "
    "for a reader, 600 for an ingest, which waits for the reports already running).",
    envvar="NETRETAIN_WAIT",
    show_default=False,
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
    wait: float | None = None,
    *,
    writes: bool = False,
    creates: bool = False,
) -> Ledger:
    """The ledger on the chosen engine (DuckDB file by default); a setting not given is None.

    A command that only reads opens the file read-only, shared with other readers; a writer is
    the file's only user, and only `creates` (ingest) makes a new ledger file.
    """
    from netretain.engines import open_store

    store = open_store(
        engine,
        db=db,
        spark_master=spark_master,
        warehouse=warehouse,
        postgres_url=postgres_url,
        schema=schema,
        memory_limit=memory_limit,
        read_only=not writes,
        create=creates,
        wait=wait,
    )
    return Ledger(db, store=store)  # the log's signing key lives beside --db (<db>.key)


LEDGER_OPTIONS = {
    "db": (Path, DB),
    "engine": (str | None, ENGINE),
    "spark_master": (str | None, SPARK_MASTER),
    "warehouse": (Path | None, WAREHOUSE),
    "postgres_url": (str | None, POSTGRES_URL),
    "schema": (str | None, SCHEMA),
    "memory_limit": (str | None, MEMORY_LIMIT),
    "wait": (float | None, WAIT),
}
# Commands that write the ledger (ingest, rebuild; demo opens its own); every other one reads.
WRITERS = frozenset(
    {"ingest", "rebuild", "train", "sync_stripe", "sync_stripe_csv", "sync_postgres",
     "campaign_start", "redeem_reward", "issue_reward", "sync_rewards"}
)  # fmt: skip
CREATORS = frozenset({"ingest", "sync_stripe", "sync_stripe_csv", "sync_postgres"})


EXCLUDE_INCENTIVES = typer.Option(
    False,
    "--exclude-incentives",
    help="Figures with every recorded offer and reward discount added back (docs/incentives.md).",
)
# Commands that publish the ledger's own figures (an on-chain anchor): never with incentives
# added back.
AS_RECORDED = frozenset({"anchor"})
DEFINITION_OPTIONS = {
    "definition_ref": (str | None, DEFINITION),
    "definition_file": (Path | None, DEFINITION_FILE),
    "exclude_incentives": (bool, EXCLUDE_INCENTIVES),
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
    "by_amount": "--sort amount",
    "wait": "--wait",
    "check": "netretain check",
    "rebuild": "netretain rebuild",
    "verify": "netretain verify",
    "memory_limit": "--memory-limit 8GB",
    "sample": "--sample",
    "since": "--since",
    "crm": "--to-crm",
    "key": "--key",
    "holdout": "--holdout",
    "reward": "REWARD (netretain rewards list)",
    "rules": "--rules",
    "customer": "--customer",
}
# The optional extras, by the top-level module a command imports from them.
EXTRAS = {
    **dict.fromkeys(("sklearn", "lightgbm", "scipy"), "predict"),
    **dict.fromkeys(("fastapi", "uvicorn", "jinja2", "plotly", "multipart"), "web"),
    **dict.fromkeys(("web3", "eth_account"), "transparency"),
    "pyspark": "spark",
    "psycopg": "postgres",
    "stripe": "connectors",
}


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """What to install when a command needs an extra that is not installed (None: not an extra)."""
    extra = EXTRAS.get((error.name or "").split(".")[0])
    if extra is None:
        return None
    return f"this command needs the {extra} extra: pip install 'netretain[{extra}]'"


INTERRUPTED = "interrupted; the ledger is unchanged"
INTERRUPTED_AFTER = "interrupted after the ledger was updated; the update is complete"


class Interrupted(Exception):
    """Ctrl-C during a command, and whether the command had already saved an update."""

    def __init__(self, saved: bool = False):
        self.saved = saved


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Show a netretain error as one red line and exit 1, instead of a traceback."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NetretainError as exc:
            fail(exc.render(FLAGS))
        except Interrupted as exc:
            stop(exc.saved)
        except (typer.Exit, typer.Abort, click.ClickException):
            raise
        except BaseException as exc:
            if interrupted(exc):  # an update rolls back: nothing was saved
                stop(False)
            message = damage(exc) or short_of_memory(exc)
            if message is None:
                raise
            fail(NetretainError(message).render(FLAGS))

    return run


def fail(message: str) -> NoReturn:
    """One red line, exit 1."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


def stop(saved: bool) -> NoReturn:
    """Ctrl-C: say what became of the ledger, exit 130 (128 + SIGINT) as shells expect."""
    err_console.print(INTERRUPTED_AFTER if saved else INTERRUPTED, highlight=False)
    raise typer.Exit(130)


def with_ledger(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the --db, --wait and engine options, and call it with the opened `ledger`,
    closed when the command ends: read-only unless the command is one of WRITERS.

    A command with a `definition` parameter also gets --definition and --definition-file, and is
    called with the Definition they name (None when neither is given: the default, ndr@1), and
    --exclude-incentives, which gives it the ledger with every incentive grant added back.
    """
    signature = inspect.signature(command)
    chooses = "definition" in signature.parameters
    options = {**LEDGER_OPTIONS, **(DEFINITION_OPTIONS if chooses else {})}
    if command.__name__ in AS_RECORDED:
        options.pop("exclude_incentives", None)
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
        excluding = kwargs.pop("exclude_incentives", False)
        if excluding and kwargs.get("sign"):
            raise NetretainError(
                "--sign signs the ledger's own figures: drop --exclude-incentives to sign"
            )
        name = command.__name__
        ledger = open_ledger(**settings, writes=name in WRITERS, creates=name in CREATORS)
        try:
            asked = ledger.excluding_incentives() if excluding else ledger
            return command(*args, ledger=asked, **kwargs)
        except BaseException as exc:
            if interrupted(exc):
                raise Interrupted(saved=getattr(ledger.store, "committed", False)) from None
            raise
        finally:
            ledger.close()

    run.__signature__ = signature.replace(parameters=own + added)  # type: ignore[attr-defined]
    return run


def definition(ref: str | None, file: Path | None) -> Definition:
    """The definition named by --definition or --definition-file."""
    return from_options(ref, str(file) if file else None)
