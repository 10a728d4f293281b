"""Where a ledger lives: DuckDB (default), Spark or PostgreSQL, behind one `Store` protocol.

    >>> from netretain import Ledger
    >>> from netretain.engines import open_store
    >>> store = open_store("spark", warehouse="ledger-warehouse")
    >>> Ledger(store=store).ingest(invoice_lines="invoice_lines.parquet", fx_rates="fx.csv")

Settings come from the arguments, else from NETRETAIN_ENGINE, NETRETAIN_SPARK_MASTER,
NETRETAIN_WAREHOUSE, NETRETAIN_POSTGRES_URL, NETRETAIN_SCHEMA, NETRETAIN_MEMORY_LIMIT and
NETRETAIN_WAIT (seconds a DuckDB command waits while another process holds the file). Engine
packages are imported only when their engine is opened, so a DuckDB-only install never needs
pyspark or psycopg.
"""

from __future__ import annotations

import os
from pathlib import Path

from netretain.errors import EngineError, arg
from netretain.store import Staged, Store

ENGINES = ("duckdb", "spark", "postgres")
DEFAULT_WAIT = 10.0  # seconds a reader waits while another process updates a DuckDB file
# A writer waits for the readers already running to finish (new ones queue behind it), so an
# ingest does not fail because a report was there: only a reader stuck this long stops it.
WRITER_WAIT = 600.0
DEFAULT_WAREHOUSE = "netretain-warehouse"
DEFAULT_SPARK_MASTER = "local[*]"
DEFAULT_SCHEMA = "netretain"


def _setting(given: str | Path | None, variable: str, default: str | None) -> str | None:
    """An argument given wins (whatever its value), then the environment, then the default."""
    if given is not None:
        return str(given)
    return os.environ.get(variable) or default


def wait_seconds(given: float | None, *, writer: bool = False) -> float:
    """How long to wait for a busy ledger: the argument, else NETRETAIN_WAIT, else 10 seconds for
    a reader and 10 minutes for a writer."""
    if given is not None:
        seconds: float | str = given
    else:
        seconds = os.environ.get("NETRETAIN_WAIT") or (WRITER_WAIT if writer else DEFAULT_WAIT)
    try:
        value = float(seconds)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise EngineError(f"{arg('wait')} must be a number of seconds (0 or more), not {seconds!r}")
    return value


def open_store(
    engine: str | None = None,
    *,
    db: str | Path | None = None,
    spark_master: str | None = None,
    warehouse: str | Path | None = None,
    postgres_url: str | None = None,
    schema: str | None = None,
    memory_limit: str | None = None,
    read_only: bool = False,
    create: bool = True,
    wait: float | None = None,
    holder: str = "",
) -> Store:
    """Open the ledger store of an engine; raises EngineError saying how to install or start it.

    An argument left as None is read from its NETRETAIN_* variable, else takes its default.

    duckdb: one file at `db` (in memory when None), using at most `memory_limit` (e.g. "3GB");
    `read_only` for a command that only reads (several may read at once, one may write), `create`
    to make the file when it does not exist, `wait` seconds for another process to let go of it,
    `holder` what holds it for writing ("serve": a dashboard server, which others do not wait for).
    spark: Parquet under `warehouse` (default ./netretain-warehouse) via a session on
    `spark_master`. postgres: tables in `schema` of the database at `postgres_url`.
    """
    name = (_setting(engine, "NETRETAIN_ENGINE", "duckdb") or "duckdb").lower()
    if name == "duckdb":
        from netretain.engines.duckdb import DuckDBStore

        limit = _setting(memory_limit, "NETRETAIN_MEMORY_LIMIT", None)
        return DuckDBStore(
            db if db is not None else ":memory:",
            memory_limit=limit,
            read_only=read_only,
            create=create,
            wait=wait_seconds(wait, writer=not read_only),
            holder=holder,
        )
    if name == "spark":
        try:
            from netretain.engines.spark import SparkStore
        except ImportError:
            raise EngineError(
                "Spark support is not installed: pip install 'netretain[spark]' (needs Java 17)"
            ) from None

        master = _setting(spark_master, "NETRETAIN_SPARK_MASTER", DEFAULT_SPARK_MASTER)
        place = _setting(warehouse, "NETRETAIN_WAREHOUSE", DEFAULT_WAREHOUSE)
        return SparkStore(place or DEFAULT_WAREHOUSE, master=master or DEFAULT_SPARK_MASTER)
    if name == "postgres":
        try:
            from netretain.engines.postgres import PostgresStore
        except ImportError:
            raise EngineError(
                "PostgreSQL support is not installed: pip install 'netretain[postgres]'"
            ) from None

        url = _setting(postgres_url, "NETRETAIN_POSTGRES_URL", None)
        if not url:
            raise EngineError(
                f"the postgres engine needs a server: pass {arg('postgres_url')} "
                "postgresql://USER@HOST:5432/DB or set NETRETAIN_POSTGRES_URL"
            )
        return PostgresStore(
            url, schema=_setting(schema, "NETRETAIN_SCHEMA", DEFAULT_SCHEMA) or DEFAULT_SCHEMA
        )
    raise EngineError(f"unknown engine {name!r}: use one of {', '.join(ENGINES)}")


def interrupted(exc: BaseException) -> bool:
    """Whether an error is Ctrl-C (KeyboardInterrupt, or DuckDB's word for it mid-statement)."""
    if isinstance(exc, KeyboardInterrupt):
        return True
    from netretain.engines.duckdb_open import is_interrupt

    return is_interrupt(exc)


def damage(exc: BaseException) -> str | None:
    """The one message for an engine error that means the ledger file's bytes are bad, else None."""
    from netretain.engines.duckdb_open import is_damage

    if not is_damage(exc):
        return None
    return (
        f"the ledger file is damaged ({str(exc).splitlines()[0]}): run {arg('check')} to see "
        f"which table; a derived table is rebuilt with {arg('rebuild')}, and the input files "
        f"can rebuild the rest ({arg('ingest')} into a new ledger)"
    )


def short_of_memory(exc: BaseException) -> str | None:
    """The one message for DuckDB running out of the memory it may use, else None: what failed
    was rolled back, and a higher limit lets it finish."""
    from netretain.engines.duckdb_open import is_out_of_memory

    if not is_out_of_memory(exc):
        return None
    first = str(exc).splitlines()[0].removeprefix("Out of Memory Error: ")
    return (
        f"DuckDB ran out of the memory it may use ({first}); nothing was changed: give it more "
        f"with {arg('memory_limit')} (or NETRETAIN_MEMORY_LIMIT)"
    )


__all__ = [
    "DEFAULT_WAIT",
    "ENGINES",
    "EngineError",
    "Staged",
    "Store",
    "damage",
    "interrupted",
    "open_store",
    "short_of_memory",
    "wait_seconds",
]
