"""Stripe Dashboard CSV exports: the same account through the exports and through the API gives the
same MRR and movements to the cent; a bad row is one reject naming its file, row and column."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from netretain import Ledger
from netretain.cli.app import app
from netretain.ledger import connectors as service
from tests.cli.conftest import ENV, validate
from tests.connectors.fake_stripe import serve
from tests.connectors.test_stripe_sync import company, mrr_by_month, source

TODAY = dt.date(2024, 4, 1)
# The account of test_stripe_sync.company() as the Dashboard exports it (amounts in units, times
# in UTC; sub_b's two items are two rows; the 25% coupon is in coupons.csv).
DASHBOARD = Path(__file__).with_name("dashboard")
EXPORTS = {p.name: p.read_text() for p in sorted(DASHBOARD.glob("*.csv"))}


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def movements(ledger: Ledger) -> list[dict]:
    return [
        {k: v for k, v in m.to_dict().items() if k != "definition"}
        for m in ledger.movements("2024-01", "2024-04")
    ]


def test_the_exports_give_the_api_sync_figures_to_the_cent(tmp_path: Path):
    exported = Ledger()
    result = service.ingest_stripe_csv(exported, write(tmp_path / "x", EXPORTS), today=TODAY)
    assert result.rejects == [] and result.ingest is not None and result.ingest.rejected == 0
    assert result.read == {
        "coupons": 1, "customers": 3, "subscriptions": 4, "invoices": 2, "invoice_line_items": 2,
    }  # fmt: skip
    with serve(company()) as fake:
        synced = Ledger()
        service.sync_stripe(synced, source(fake), today=TODAY)
    assert mrr_by_month(exported, "2024-01", "2024-03") == {
        "2024-01": Decimal("62.00"),
        "2024-02": Decimal("103.65"),
        "2024-03": Decimal("185.25"),
    }
    assert movements(exported) == movements(synced)
    lines = exported.execute(exported.table("input_invoice_lines")).to_pylist()
    assert sorted((r["line_id"], r["type"], r["amount"]) for r in lines) == [
        ("in_1/il_1", "usage", Decimal("18.40")),
        ("in_2/il_2", "one_time", Decimal("50.00")),
    ]
    segments = exported.execute(exported.table("customers").select("customer_id", "segment"))
    assert sorted(segments.to_pylist(), key=lambda r: r["customer_id"])[0]["segment"] == "SMB"
    again = service.ingest_stripe_csv(exported, tmp_path / "x", today=TODAY)
    assert again.ingest is not None and not again.ingest.changed  # idempotent
    for ledger in (exported, synced):  # both went through the ingest's hash-chained log
        verdict = ledger.verify()
        assert verdict.ok, verdict.problem
        assert len(ledger.log_heads()) == 1  # the idempotent repeat added no head


def test_a_bad_row_is_a_reject_naming_file_row_and_column_and_the_rest_go_in(tmp_path: Path):
    bad = dict(EXPORTS)
    rows = bad["subscriptions.csv"].splitlines()
    other = rows[1].split(",")  # sub_a again, as sub_e with a coupon coupons.csv lacks
    other[0], other[18] = "sub_e", "nope"
    first = rows[1].split(",")
    first[12] = "someday"  # Start Date (UTC)
    rows[1] = ",".join(first)
    rows[4] = rows[4].replace('"1,200.00"', "1200.005")
    bad["subscriptions.csv"] = "\n".join([*rows, ",".join(other)]) + "\n"
    ledger = Ledger()
    result = service.ingest_stripe_csv(ledger, write(tmp_path / "bad", bad), today=TODAY)
    found = sorted((r.file, r.row, r.column, r.value) for r in result.rejects)
    assert found == [
        ("subscriptions.csv", 2, "Start Date (UTC)", "someday"),
        ("subscriptions.csv", 5, "Amount", "1200.005"),
        ("subscriptions.csv", 6, "Coupon", "nope"),
    ]
    kept = ledger.execute(ledger.table("input_subscriptions").select("subscription_id"))
    assert sorted(r["subscription_id"] for r in kept.to_pylist()) == ["sub_b"]


def test_the_command_prints_schema_json(tmp_path: Path):
    directory = write(tmp_path / "x", EXPORTS)
    args = ["sync", "stripe-csv", str(directory), "--db", str(tmp_path / "l.duckdb"), "-f", "json"]
    result = CliRunner().invoke(app, args, env=ENV)
    assert result.exit_code == 0, result.output
    data = validate("sync", json.loads(result.stdout))
    assert data["source"] == "stripe-csv" and data["ingest"]["accepted"] == 3 + 3 + 2
    missing = CliRunner().invoke(
        app, ["sync", "stripe-csv", str(tmp_path), "--db", str(tmp_path / "l.duckdb")], env=ENV
    )
    assert missing.exit_code == 1 and "subscriptions.csv" in missing.output
