"""Scores in the exports: with a trained model the CRM file and the warehouse tables carry each
account's risk and expansion scores, the model's version and the month; without one, the columns
are absent and the command says so in one line."""

from __future__ import annotations

import csv
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from netretain import Ledger
from netretain.cli.app import app
from netretain.connectors import crm
from netretain.ledger import exports, predict
from netretain.synthetic import generate_company
from tests.cli.conftest import ENV, invoke
from tests.servers import PostgresServer


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scores") / "l.duckdb"
    ledger = Ledger(path)
    ledger.ingest_frames(**generate_company(customers=300, months=24, seed=7).tables())
    ledger.store.close()
    return path


def export(db: Path, *args: object) -> tuple[str, str]:
    result = CliRunner().invoke(app, ["export", "--db", str(db), *map(str, args)], env=ENV)
    assert result.exit_code == 0, result.output
    return result.stdout, result.stderr


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_without_a_model_the_columns_are_absent_and_one_line_says_so(db: Path, tmp_path: Path):
    _, said = export(db, "--to-crm", "hubspot", "--out", tmp_path / "h.csv", "--to-parquet",
                     tmp_path / "pq")  # fmt: skip
    assert said.strip().splitlines() == [f"note: {exports.NO_MODEL}"]
    assert list(rows(tmp_path / "h.csv")[0]) == list(crm.LAYOUTS["hubspot"])
    assert "churn_probability" not in pq.read_schema(tmp_path / "pq" / "report_accounts.parquet")


def test_with_a_model_every_export_carries_the_scores(
    db: Path, tmp_path: Path, pg_server: PostgresServer
):
    invoke("train", "--db", db)
    _, said = export(
        db, "--to-crm", "salesforce", "--out", tmp_path / "s.csv", "--to-parquet", tmp_path / "pq",
        "--to-postgres", pg_server.url, "--target-schema", "scored",
    )  # fmt: skip
    assert exports.NO_MODEL not in said
    got = rows(tmp_path / "s.csv")
    assert list(got[0]) == [*crm.LAYOUTS["salesforce"], *crm.SCORE_LAYOUTS["salesforce"]]
    ledger = Ledger(db, read_only=True)
    risk = predict.risk(ledger, top=5, drivers=0).to_dict()
    as_of = risk["as_of"]
    by_id = {r["netretain_Customer_ID__c"]: r for r in got}
    for account in risk["accounts"]:  # the same model, month and features as `netretain risk`
        row = by_id[account["customer_id"]]
        assert float(row["netretain_Churn_Risk__c"]) == pytest.approx(
            account["churn_probability"], abs=1e-6
        )
        assert row["netretain_Model_Version__c"] == "1"
        assert row["netretain_Scores_As_Of__c"] == as_of
    paying = [r for r in got if float(r["netretain_MRR__c"]) > 0]
    assert all(r["netretain_Expansion_Probability__c"] for r in paying)
    expected = [r["netretain_Expected_Expansion__c"] for r in paying]
    assert all(len(e.split(".")[1]) == 2 for e in expected)  # money in units, exact cents
    table = pq.read_table(tmp_path / "pq" / "report_accounts.parquet").to_pylist()
    assert {r["model_id"] for r in table if r["mrr_cents"]} == {1}
    assert len(table) == len(got)
    with psycopg.connect(pg_server.url) as con:
        found = con.execute(
            "SELECT count(*) FROM scored.report_accounts WHERE model_id = 1 AND scores_as_of = %s",
            (as_of,),
        ).fetchone()
    assert found is not None and found[0] == len(paying)
    ledger.store.close()
