"""`netretain sync stripe` from the command line: JSON against its schema, the key never shown."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from netretain.cli.app import app
from tests.cli.conftest import ENV, assert_clean_error, validate
from tests.connectors.fake_stripe import KEY, serve
from tests.connectors.test_stripe_sync import company


def run(*args: object, key: str | None = KEY):
    env = {**ENV, "STRIPE_API_KEY": key, "STRIPE_API_BASE": None}
    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def test_sync_stripe_prints_its_json_and_never_the_key(tmp_path: Path):
    db = tmp_path / "ledger.duckdb"
    with serve(company()) as fake:
        first = run("sync", "stripe", "--db", db, "--api-base", fake.url, "-f", "json")
        assert first.exit_code == 0, first.output
        data = validate("sync", json.loads(first.stdout))
        assert data["fetched"] == {
            "products": 1, "customers": 3, "subscriptions": 3, "invoices": 2, "credit_notes": 2,
        }  # fmt: skip
        assert data["ingest"]["accepted"] == 3 + 3 + 3
        dry = run("sync", "stripe", "--db", db, "--api-base", fake.url, "--dry-run", "-f", "json")
        assert validate("sync", json.loads(dry.stdout))["dry_run"] is True
        table = run("sync", "stripe", "--db", db, "--api-base", fake.url)
    assert table.exit_code == 0, table.output
    assert "stripe:subscriptions" in table.stdout
    for result in (first, dry, table):
        assert KEY not in result.output


def test_the_key_comes_from_a_file_and_a_wrong_one_is_one_clean_message(tmp_path: Path):
    key_file = tmp_path / "stripe.key"
    key_file.write_text("sk_test_wrong_and_secret\n")
    with serve(company()) as fake:
        result = run(
            "sync", "stripe", "--db", tmp_path / "l.duckdb", "--api-base", fake.url,
            "--api-key-file", key_file, key=None,
        )  # fmt: skip
        message = assert_clean_error(result, "Stripe refused the API key")
        missing = run(
            "sync", "stripe", "--db", tmp_path / "l.duckdb", "--api-base", fake.url, key=""
        )
    assert "sk_test_wrong_and_secret" not in message
    assert_clean_error(missing, "no Stripe API key")


def test_each_stripe_list_gets_its_own_bar_then_the_ingest_steps():
    from netretain.cli.connectors_cmd import pages
    from netretain.connectors.stripe_api import StripeSource
    from netretain.ledger import connectors as service
    from netretain.ledger.ledger import Ledger

    seen: list[tuple[str, int]] = []

    def step(name: str):
        return lambda done, total: seen.append((name, done))

    with serve(company()) as fake:
        source = StripeSource(KEY, api_base=fake.url)
        service.sync_stripe(Ledger(), source, on_page=pages(step), step=step)
    assert seen[:4] == [
        ("reading Stripe products", 1),
        ("reading Stripe customers", 3),
        ("reading Stripe subscriptions", 3),
        ("reading Stripe invoices", 2),
    ]
