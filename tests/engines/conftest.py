"""Engine fixtures: one demo company, ingested once per engine for the whole test session.

DuckDB is the reference. Spark runs in local mode in this process; PostgreSQL is a real server
started in a temporary directory on a free port. Missing Java or PostgreSQL fails the tests.
With NETRETAIN_TEST_SPARK_CONF set (test_spark_cluster.py's child run), Spark's session takes those
settings (a standalone cluster's master) and Spark is the only engine compared with DuckDB.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netretain import Ledger
from netretain.engines.duckdb import DuckDBStore
from netretain.engines.postgres import PostgresStore
from netretain.engines.spark import SparkStore
from netretain.synthetic import SyntheticCompany, generate_company
from tests import servers

CLUSTER_CONF = json.loads(os.environ.get("NETRETAIN_TEST_SPARK_CONF", "{}"))
ENGINES = ("spark",) if CLUSTER_CONF else ("spark", "postgres")
CUSTOMERS, MONTHS, SEED, BAD_ROWS = 400, 24, 20240, 7
HEADER = (
    "line_id,customer_id,invoice_date,type,service_start,service_end,amount,currency,quantity,"
    "plan,subscription_id"
)
# (line, expected rejects as (column, reason, value)); the value is the raw text of the column.
EXTRA = [
    ('X1,C9,2024-01-05,subscription,2024-1-05,2024-02-05,10.00,USD,1,"p, q",', [
        ("service_start", "not a date: use YYYY-MM-DD", "2024-1-05")]),
    ("X2,C9,Jan 8 2024,subscription,2024-01-05,2024-02-05,10.00,USD,1,p,", [
        ("invoice_date", "not a date: use YYYY-MM-DD", "Jan 8 2024")]),
    ("X3,C9,2024-01-05,subscription,2024-01-05,2024-02-05,1e3,USD,1,p,", [
        ("amount", "not a number (use digits and a dot, e.g. 1200.50)", "1e3")]),
    ("X4,C9,2024-01-05,subscription,2024-01-05,2024-02-05,10.00,USD,1.5,p,", [
        ("quantity", "not a whole number", "1.5")]),
    ("X5,C9,2024-02-30,subscription,2024-01-05,2024-02-05,10.00,USD,1,p,", [
        ("invoice_date", "not a date: use YYYY-MM-DD", "2024-02-30")]),
    ('X6,C9,2024-01-05,subscription,2024-01-05,2024-02-05," 12.50 ",usd,2,"say ""hi""",', []),
    ("X7,C9,2024-01-05,subscription", [("*", "expected 11 fields, found 4", None)]),
    ("X8,C9,2024-01-05,subscription,2024-01-05,2024-02-05,10.00,USD,1,p,,extra", [
        ("*", "expected 11 fields, found 12", None)]),
    ("X9,,2024-01-05,usage,2024-01-05,,10.00,EURO,1,p,", [
        ("customer_id", "missing customer", ""),
        ("currency", "not a currency code (three letters, e.g. EUR)", "EURO"),
        ("currency", "no FX rate for this currency: add it to fx_rates", "EURO"),
        ("service_end", "required for subscription and usage lines", "")]),
]  # fmt: skip


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The run's one Spark session: local, or on the cluster CLUSTER_CONF names."""
    try:
        session = servers.spark_session(CLUSTER_CONF)
    except servers.Unavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[servers.PostgresServer]:
    """A PostgreSQL server for the session, stopped and deleted at the end."""
    try:
        server = servers.start_postgres()
    except servers.Unavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def generated() -> SyntheticCompany:
    """The demo company, with 7 broken invoice lines for its CSV form."""
    return generate_company(customers=CUSTOMERS, months=MONTHS, seed=SEED, bad_rows=BAD_ROWS)


@pytest.fixture(scope="session")
def company(
    generated: SyntheticCompany, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The demo data set as Parquet files (no broken rows)."""
    return generated.write(tmp_path_factory.mktemp("company"), format="parquet")


@pytest.fixture(scope="session")
def new_store(
    spark: Any, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Any]]:
    """Make an empty store of an engine (its own warehouse or schema); closed at session end.
    PostgreSQL starts on first use (a cluster run needs none)."""
    opened: list[Any] = []

    def make(engine: str) -> Any:
        if engine == "duckdb":
            store: Any = DuckDBStore()
        elif engine == "spark":
            store = SparkStore(tmp_path_factory.mktemp("warehouse"), session=spark)
        else:
            server: servers.PostgresServer = request.getfixturevalue("pg_server")
            store = PostgresStore(server.url, schema=f"t_{uuid.uuid4().hex[:8]}")
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture(scope="session")
def ledgers(company: dict[str, Path], new_store: Callable[[str], Any]) -> dict[str, Ledger]:
    """The company ingested on every engine (built on first use)."""
    out = {}
    for engine in ("duckdb", *ENGINES):
        ledger = Ledger(store=new_store(engine))
        result = ledger.ingest(**company)
        assert result.rejected == 0, [str(r) for r in result.rejects[:5]]
        out[engine] = ledger
    return out


@pytest.fixture(scope="session")
def bad_csv(
    generated: SyntheticCompany, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The same company as CSV: its FX rates, and its invoice lines + broken rows + EXTRA lines."""
    paths = generated.write(tmp_path_factory.mktemp("csv"), format="csv")
    path = paths["invoice_lines"]
    assert path.read_text().splitlines()[0] == HEADER
    with path.open("a") as handle:
        handle.write("".join(f"{line}\n" for line, _ in EXTRA) + "\n")
    return {"invoice_lines": path, "fx_rates": paths["fx_rates"]}


@pytest.fixture(scope="session")
def csv_results(bad_csv: dict[str, Path], ledgers: dict[str, Ledger]) -> dict[str, Any]:
    """The CSV files ingested into every engine's ledger: (result, ledger) per engine.

    Rows equal to the Parquet ones are unchanged; only X6 is new, the rest are rejects.
    """
    return {engine: (ledger.ingest(**bad_csv), ledger) for engine, ledger in ledgers.items()}
