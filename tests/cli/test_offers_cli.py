"""`netretain offers`, `campaign start | results | list` and `--exclude-incentives` on the demo
company: JSON against the schemas, CRM CSV, and clean errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from .conftest import Demo, assert_clean_error, invoke, invoke_json


def test_offers_without_a_rule_lists_the_shipped_rules(demo: Demo) -> None:
    rules = invoke_json("offers", "--db", demo.db, schema="offer-rules")
    assert [r["rule"] for r in rules] == ["annual@1", "right-size@1", "save-offer@1", "upgrade@1"]


def test_offers_ranks_accounts_with_evidence_and_writes_crm_csv(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "upgrade.csv"
    args = ("offers", "upgrade", "--db", demo.db, "--as-of", "2024-12", "--top", "5")
    found = invoke_json(*args, "--csv", out, schema="offers")
    accounts = found["accounts"]
    assert found["rule"]["name"] == "upgrade" and 0 < len(accounts) <= 5
    effects = [a["expected_mrr_effect"] for a in accounts]
    assert effects == sorted(effects, reverse=True)
    assert all(a["evidence"][0].startswith("utilisation_max ") for a in accounts)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["account_id"] for r in rows] == [a["customer_id"] for a in accounts]
    printed = invoke(*args, "--format", "csv").stdout
    assert next(csv.reader(io.StringIO(printed)))[:3] == ["account_id", "owner", "offer"]


def test_an_unknown_rule_is_a_clean_error(demo: Demo) -> None:
    result = invoke("offers", "bribe", "--db", demo.db, code=1)
    assert_clean_error(result, "no offer rule 'bribe'", "known: annual@1")


def test_a_campaign_starts_measures_and_excludes_its_incentives(demo_copy: Path) -> None:
    start = ("campaign", "start", "upgrade", "--holdout", "0.2", "--seed", "7", "--db", demo_copy)
    started = invoke_json(*start, "--as-of", "2024-06", schema="campaign-start")
    assert started["campaign_id"] == "upgrade@1/2024-06/seed-7"
    again = invoke(*start, "--as-of", "2024-06", code=1)
    assert_clean_error(again, "already started")
    listed = invoke_json("campaign", "list", "--db", demo_copy, schema="campaign-list")
    assert [c["campaign_id"] for c in listed] == [started["campaign_id"]]
    results = invoke_json("campaign", "results", "--db", demo_copy, schema="campaign-results")
    assert results["measured"] == {"from": "2024-06", "to": "2024-09"}
    assert set(results["measures"]) == {"churn", "contraction", "expansion", "ndr"}
    # the upgrade offer runs in 2024-07 only: that bridge carries it, 2024-12 has none left
    (bridge,) = invoke_json("bridge", "--db", demo_copy, "--as-of", "2024-07", schema="bridge")
    assert bridge["incentive_mrr"] < 0
    assert bridge["steps"][-1]["step"] == "of which incentives"
    (excluded,) = invoke_json(
        "bridge", "--db", demo_copy, "--as-of", "2024-07", "--exclude-incentives", schema="bridge"
    )
    assert excluded["incentive_mrr"] is None and excluded["ndr"] > bridge["ndr"]
    report = invoke_json("report", "--db", demo_copy, "--exclude-incentives", schema="report")
    assert any("incentives excluded" in w for w in report["warnings"])
    (later,) = invoke_json("bridge", "--db", demo_copy, "--as-of", "2024-12", schema="bridge")
    assert later["incentive_mrr"] == 0


def test_a_signed_report_never_excludes_incentives(demo: Demo) -> None:
    result = invoke("report", "--db", demo.db, "--sign", "--exclude-incentives", code=1)
    assert_clean_error(result, "--sign signs the ledger's own figures")
