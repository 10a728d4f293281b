"""`netretain loyalty` and `netretain rewards list | redeem` on a ledger file: JSON matching the
published schemas, CSV for the CRM, and one clear line (no traceback) for too few points."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from netretain import Ledger
from tests.cli.conftest import assert_clean_error, invoke, invoke_json
from tests.conftest import Inputs, mrr_rows


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """a: 100.00 for 12 months (120 points); b: 100 -> 1100 in July (120 + 100 = 220 points)."""
    path = tmp_path / "ledger.duckdb"
    rows = [*mrr_rows("a", "2024-01", "2024-12", "100.00"),
            *mrr_rows("b", "2024-01", "2024-06", "100.00"),
            *mrr_rows("b", "2024-07", "2024-12", "1100.00")]  # fmt: skip
    ledger = Ledger(path)
    assert ledger.ingest(mrr=Inputs(tmp_path).mrr(rows)).rejects == []
    ledger.close()
    return path


def test_loyalty_json_and_csv(db: Path) -> None:
    data = invoke_json("loyalty", "--db", db, "--as-of", "2024-12", schema="loyalty")
    assert [(a["customer_id"], a["earned"], a["tier"]) for a in data["accounts"]] == [
        ("b", 220, "silver"),
        ("a", 120, "member"),
    ]
    out = invoke("loyalty", "--db", db, "--as-of", "2024-12", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["customer_id"], r["points"], r["next_tier"]) for r in rows] == [
        ("b", "220", "gold"),
        ("a", "120", "silver"),
    ]


def test_rewards_list_and_redeem(db: Path) -> None:
    listed = invoke_json("rewards", "list", schema="rewards-list")
    assert [(r["id"], r["points"]) for r in listed["rewards"]] == [
        ("discount-50", 200), ("discount-150", 500), ("early-access", 100),
    ]  # fmt: skip
    done = invoke_json("rewards", "redeem", "--db", db, "b", "discount-50", schema="rewards-redeem")
    assert (done["points"], done["grant"]["mrr"], done["grant"]["start_month"]) == (
        200, 50.0, "2025-01",
    )  # fmt: skip
    after = invoke_json("loyalty", "--db", db, "--customer", "b", schema="loyalty")
    assert after["accounts"][0]["points"] == 20
    refused = invoke("rewards", "redeem", "--db", db, "b", "early-access", code=1)
    assert_clean_error(refused, "b has 20 points; early-access needs 100")
    unknown = invoke("rewards", "redeem", "--db", db, "a", "nothing", code=1)
    assert_clean_error(unknown, "no reward 'nothing'", "REWARD (netretain rewards list)")
    assert json.loads(invoke("loyalty", "--db", db, "-f", "json").stdout)["as_of"] == "2024-12"
