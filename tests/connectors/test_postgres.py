"""PostgreSQL as a system of record and as the warehouse the figures go back to, on a real
server: tables and a query in, the same figures as the file path to the cent, exports out."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pyarrow.parquet as pq
import pytest

from netretain import Ledger
from netretain.connectors.errors import ConnectorError
from netretain.ledger import connectors as service
from netretain.ledger import exports
from netretain.synthetic import generate_company
from tests.servers import PostgresServer

LINE_TYPES = (
    "line_id text, customer_id text, invoice_date date, type text, service_start date, "
    "service_end date, amount numeric(18,2), currency text, quantity integer, plan text, "
    "subscription_id text"
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    company = generate_company(customers=40, months=14, seed=5, bad_rows=0)
    return company.write(tmp_path_factory.mktemp("erp"), format="csv")


@pytest.fixture(scope="module")
def from_files(files: dict[str, Path]) -> Ledger:
    ledger = Ledger()
    assert ledger.ingest(**files).rejected == 0
    return ledger


@pytest.fixture(scope="module")
def erp(pg_server: PostgresServer, files: dict[str, Path]) -> str:
    """The same company as tables of an `erp` schema; invoice lines typed (dates, numeric)."""
    with psycopg.connect(pg_server.url, autocommit=True) as con:
        con.execute("DROP SCHEMA IF EXISTS erp CASCADE")
        con.execute("CREATE SCHEMA erp")
        for kind, path in files.items():
            header = path.read_text().splitlines()[0].split(",")
            types = (
                LINE_TYPES if kind == "invoice_lines" else ", ".join(f"{c} text" for c in header)
            )
            con.execute(f"CREATE TABLE erp.{kind} ({types})")
            with con.cursor().copy(f"COPY erp.{kind} FROM STDIN (FORMAT csv, HEADER)") as copy:
                copy.write(path.read_bytes())
    return pg_server.url


def months(ledger: Ledger) -> list[dict[str, Any]]:
    return [m.to_dict() for m in ledger.movements()]


def test_tables_and_a_query_give_the_figures_of_the_files_to_the_cent(erp: str, from_files: Ledger):
    ledger = Ledger()
    sources = {
        "customers": "erp.customers",
        "subscriptions": "erp.subscriptions",
        "fx_rates": "erp.fx_rates",
        "invoice_lines": "SELECT * FROM erp.invoice_lines WHERE amount IS NOT NULL",
    }
    result = service.ingest_postgres(ledger, erp, sources)
    assert result.ingest is not None and result.ingest.rejected == 0
    assert result.read["invoice_lines"] == 296
    assert months(ledger) == months(from_files)
    assert ledger.report().to_dict() == from_files.report().to_dict()
    again = service.ingest_postgres(ledger, erp, sources)
    assert again.ingest is not None and not again.ingest.changed  # the same content: skipped


def test_bad_rows_from_a_query_are_rejects_named_by_the_source(erp: str):
    query = "SELECT 'L1' AS line_id, 'C1' AS customer_id, 'one_time' AS type, 12.345 AS amount"
    result = service.ingest_postgres(Ledger(), erp, {"invoice_lines": query})
    assert result.ingest is not None
    (reject,) = result.ingest.rejects
    assert (reject.file, reject.row, reject.column) == ("postgres:invoice_lines", 2, "amount")
    assert reject.reason.startswith("more decimals than")


def test_a_source_that_fails_is_one_message_and_nothing_is_written(erp: str):
    ledger = Ledger()
    with pytest.raises(ConnectorError, match=r"could not read 'erp.nothing'"):
        service.ingest_postgres(ledger, erp, {"customers": "erp.nothing"})
    with pytest.raises(ConnectorError, match="unknown input kind"):
        service.ingest_postgres(ledger, erp, {"refunds": "erp.customers"})


def test_the_source_is_only_read(erp: str):
    with pytest.raises(ConnectorError, match="read-only transaction"):
        service.ingest_postgres(
            Ledger(), erp, {"customers": "DELETE FROM erp.customers RETURNING *"}
        )


def test_export_to_postgres_replaces_the_schema_whole(pg_server: PostgresServer, from_files):
    first = exports.export_postgres(from_files, pg_server.url, "bi")
    second = exports.export_postgres(from_files, pg_server.url, "bi")
    assert first == second and first["movements"] > 0
    with psycopg.connect(pg_server.url) as con:
        (cents,) = con.execute("SELECT sum(mrr_cents) FROM bi.mrr").fetchone()
        (rows,) = con.execute("SELECT count(*) FROM bi.report_months").fetchone()
        last = con.execute(
            "SELECT mrr FROM bi.report_months ORDER BY month DESC LIMIT 1"
        ).fetchone()[0]
    mrr = from_files.execute(from_files.table("mrr").mrr_cents.sum().name("s").as_table())
    assert cents == mrr.to_pylist()[0]["s"]
    assert rows == len(months(from_files))
    assert {"report_trend", "report_cohorts", "report_segments", "report_accounts"} <= set(first)
    with psycopg.connect(pg_server.url) as con:
        ndr = con.execute("SELECT ndr FROM bi.report_trend ORDER BY as_of DESC LIMIT 1").fetchone()[
            0
        ]
        segments = con.execute("SELECT DISTINCT by FROM bi.report_segments").fetchall()
    assert ndr == from_files.report().ndr
    assert {s for (s,) in segments} == set(from_files.attributes())
    assert Decimal(last) == months(from_files)[-1]["mrr"]


def test_export_to_parquet_replaces_the_directory(tmp_path: Path, from_files: Ledger):
    target = tmp_path / "bi"
    target.mkdir()
    (target / "stale.parquet").write_text("old")
    written = exports.export_parquet(from_files, target)
    assert not (target / "stale.parquet").exists()
    assert pq.read_table(target / "movements.parquet").num_rows == written["movements"]
    components = pq.read_table(target / "mrr_components.parquet")  # computed, not kept
    assert components.column_names == [
        "customer_id", "month_index", "revenue_type", "currency", "native_micros"
    ]  # fmt: skip
    assert components.num_rows == written["mrr_components"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bi"]  # nothing left beside it


HUBSPOT = [
    "Record ID", "Company name", "netretain Customer ID", "netretain MRR",
    "netretain MRR 12 Months Ago", "netretain NDR Contribution", "netretain Movement",
    "netretain As Of",
]  # fmt: skip
SALESFORCE = [
    "Account ID", "Account Name", "netretain_Customer_ID__c", "netretain_MRR__c",
    "netretain_MRR_12_Months_Ago__c", "netretain_NDR_Contribution__c", "netretain_Movement__c",
    "netretain_As_Of__c",
]  # fmt: skip


@pytest.mark.parametrize(("crm", "header"), [("hubspot", HUBSPOT), ("salesforce", SALESFORCE)])
def test_crm_files_have_the_crm_import_layout_and_exact_money(
    tmp_path: Path, from_files: Ledger, crm: str, header: list[str]
):
    path = tmp_path / f"{crm}.csv"
    rows = exports.export_crm(from_files, crm, path)
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        assert next(reader) == header
        body = list(reader)
    assert len(body) == rows > 0
    as_of = from_files.movements()[-1]
    mrr = sum(Decimal(r[3]) for r in body)
    assert mrr == as_of.mrr and all(len(r[3].split(".")[1]) == 2 for r in body)
    start = sum(Decimal(r[4]) for r in body)
    report = from_files.report().to_dict()
    assert start == report["starting_mrr"]
    contribution = sum(Decimal(r[5]) for r in body if r[5])
    assert abs(contribution - (Decimal(str(report["ndr"])) - 1)) < Decimal("0.0001")
    assert {r[7] for r in body} == {as_of.month}


def test_the_commands_sync_from_a_mapping_file_and_export(
    erp: str, files: dict[str, Path], tmp_path: Path
):
    from tests.cli.conftest import invoke_json

    mapping = tmp_path / "inputs.toml"
    mapping.write_text(
        '[inputs]\nfx_rates = "erp.fx_rates"\ncustomers = "erp.customers"\n'
        'subscriptions = "erp.subscriptions"\ninvoice_lines = "SELECT * FROM erp.invoice_lines"\n'
    )
    db = tmp_path / "l.duckdb"
    synced = invoke_json(
        "sync", "postgres", "--db", db, "--from-postgres", erp, "--mapping", mapping, schema="sync"
    )
    assert synced["fetched"]["invoice_lines"] == 296 and synced["ingest"]["rejected"] == 0
    out = tmp_path / "sf.csv"
    exported = invoke_json(
        "export", "--db", db, "--to-crm", "salesforce", "--out", out, "--to-parquet",
        tmp_path / "pq", "--to-postgres", erp, "--target-schema", "cli_bi", schema="export",
    )  # fmt: skip
    tables = {t["table"]: t["rows"] for t in exported["tables"]}
    assert tables[f"salesforce:{out}"] > 0 and tables["movements"] > 0
    assert out.read_text().splitlines()[0] == ",".join(SALESFORCE)


def test_a_stripe_sync_into_a_postgresql_ledger_gives_the_same_figures(pg_server: PostgresServer):
    import datetime as dt
    import uuid

    from netretain.connectors.stripe_api import StripeSource
    from netretain.engines.postgres import PostgresStore
    from tests.connectors.fake_stripe import KEY, serve
    from tests.connectors.test_stripe_sync import company

    store = PostgresStore(pg_server.url, schema=f"s_{uuid.uuid4().hex[:8]}")
    try:
        ledgers = [Ledger(store=store), Ledger()]
        with serve(company()) as fake:
            for ledger in ledgers:
                source = StripeSource(KEY, api_base=fake.url)
                service.sync_stripe(ledger, source, today=dt.date(2024, 4, 1))
                again = service.sync_stripe(ledger, source, today=dt.date(2024, 4, 1))
                assert again.ingest is not None and not again.ingest.changed
        on_postgres, on_duckdb = (months(ledger) for ledger in ledgers)
        assert on_postgres == on_duckdb and on_postgres[-1]["mrr"] == Decimal("185.25")
        assert service.cursors(store, "stripe") == service.cursors(ledgers[1].store, "stripe")
    finally:
        store.close()


def test_a_mapping_file_that_is_not_toml_is_one_clear_message(tmp_path: Path) -> None:
    from tests.cli.conftest import assert_clean_error, invoke

    mapping = tmp_path / "inputs.toml"
    mapping.write_text("[inputs\ncustomers = erp.customers\n")
    result = invoke(
        "sync", "postgres", "--db", tmp_path / "l.duckdb", "--from-postgres",
        "postgresql://nobody@127.0.0.1:1/none", "--mapping", mapping, code=1,
    )  # fmt: skip
    assert_clean_error(result, f"{mapping}: not valid TOML")
