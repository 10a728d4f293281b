"""Where a ledger lives: DuckDB (default), Spark or PostgreSQL, behind one `Store` protocol.

    >>> from netretain import Ledger
    >>> from netretain.engines import open_store
    >>> store = open_store("spark", warehouse="ledger-warehouse")
    >>> Ledger(store=store).ingest(invoice_lines="invoice_lines.parquet", fx_rates="fx.csv")

Settings come from the arguments, else from NETRETAIN_ENGINE, NETRETAIN_SPARK_MASTER,
NETRETAIN_WAREHOUSE, NETRETAIN_POSTGRES_URL, NETRETAIN_SCHEMA and NETRETAIN_MEMORY_LIMIT. Engine
packages are imported only when their engine is opened, so a DuckDB-only install never needs
pyspark or psycopg.
"""

from __future__ import annotations

import os
from pathlib import Path

from netretain.errors import EngineError, arg
from netretain.store import Staged, Store

ENGINES = ("duckdb", "spark", "postgres")
DEFAULT_WAREHOUSE = "netretain-warehouse"
DEFAULT_SPARK_MASTER = "local[*]"
DEFAULT_SCHEMA = "netretain"


def _setting(given: str | Path | None, variable: str, default: str | None) -> str | None:
    """An argument given wins (whatever its value), then the environment, then the default."""
    if given is not None:
        return str(given)
    return os.environ.get(variable) or default


def open_store(
    engine: str | None = None,
    *,
    db: str | Path | None = None,
    spark_master: str | None = None,
    warehouse: str | Path | None = None,
    postgres_url: str | None = None,
    schema: str | None = None,
    memory_limit: str | None = None,
) -> Store:
    """Open the ledger store of an engine; raises EngineError saying how to install or start it.

    An argument left as None is read from its NETRETAIN_* variable, else takes its default.

    duckdb: one file at `db` (in memory when None), using at most `memory_limit` (e.g. "3GB").
    spark: Parquet under `warehouse` (default ./netretain-warehouse) via a session on
    `spark_master`. postgres: tables in `schema` of the database at `postgres_url`.
    """
    name = (_setting(engine, "NETRETAIN_ENGINE", "duckdb") or "duckdb").lower()
    if name == "duckdb":
        from netretain.engines.duckdb import DuckDBStore

        limit = _setting(memory_limit, "NETRETAIN_MEMORY_LIMIT", None)
        return DuckDBStore(db if db is not None else ":memory:", memory_limit=limit)
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


__all__ = ["ENGINES", "EngineError", "Staged", "Store", "open_store"]
