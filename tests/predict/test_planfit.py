"""plan-fit: hand-computed upgrade and right-size candidates with their evidence, and the CLI's
JSON (against its schema) and CRM CSV on the demo company."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from netretain import Ledger
from netretain.core.results import Stamped
from netretain.definitions import default
from tests.cli.conftest import invoke, invoke_json

CUSTOMERS = "customer_id,owner\nC1,ana\nC2,bo\nC3,cy\n"
TERMS = [("C1", 10, "growth"), ("C2", 5, "growth"), ("C3", 2, "starter")]  # seats, plan
LINES = "line_id,customer_id,type,service_start,service_end,amount,quantity,plan\n" + "".join(
    f"L{c}{m},{c},subscription,2024-0{m}-01,2024-0{m + 1}-01,100.00,{seats},{plan}\n"
    for m in range(1, 7)
    for c, seats, plan in TERMS
)
PLANS = (
    "plan,metric,included_quantity\n"
    "growth,api_calls,100\ngrowth,seats_active,1\nstarter,api_calls,50\n"
)
USAGE = [
    ("C1", "api_calls", (1200, 1500, 1800)),  # 1500 of 10 x 100: 150%, upgrade
    ("C1", "seats_active", (9, 9, 9)),  # 9 of 10
    ("C2", "api_calls", (50, 100, None)),  # 50 of 5 x 100: 10%, right-size
    ("C2", "seats_active", (2, 2, 2)),  # 2 of 5
    ("C3", "api_calls", (40, 50, 60)),  # 50 of 2 x 50: 50%, fits
]


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    folder = tmp_path_factory.mktemp("planfit")
    rows = ["customer_id,date,metric,quantity"]
    for customer, metric, quantities in USAGE:
        for month, q in zip((4, 5, 6), quantities, strict=True):
            if q is not None:
                rows.append(f"{customer},2024-0{month}-1{month}T08:00,{metric},{q}")
    rows.append("C1,2024-07-02,api_calls,99999")  # after as_of: ignored
    files = {
        "customers": CUSTOMERS,
        "invoice_lines": LINES,
        "plans": PLANS,
        "usage_events": "\n".join(rows) + "\n",
    }
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text)
    ledger = Ledger(folder / "l.duckdb")
    result = ledger.ingest(**{k: folder / f"{k}.csv" for k in files})
    assert result.rejected == 0, result.rejects
    return ledger


def test_over_and_under_the_allowance_with_evidence(ledger: Ledger) -> None:
    record = ledger.plan_fit("2024-06")
    assert isinstance(record, Stamped)
    assert record.definition == default().stamp() and record.currency == ledger.currency
    out = record.to_dict()
    assert list(out) == ["as_of", "definition", "currency", "thresholds", "accounts", "warnings"]
    assert out["as_of"] == "2024-06"
    assert out["thresholds"] == {"over": 1.0, "under": 0.25}
    assert [(a["customer_id"], a["owner"], a["action"], a["score"]) for a in out["accounts"]] == [
        ("C1", "ana", "upgrade", 1.5),
        ("C2", "bo", "right-size", 0.9),
    ]
    c1, c2 = out["accounts"]
    assert c1["evidence"] == [
        {"metric": "api_calls", "used": 1500.0, "included": 1000.0, "utilisation": 1.5},
        {"metric": "seats_active", "used": 9.0, "included": 10.0, "utilisation": 0.9},
    ]
    assert c2["evidence"][0] == {
        "metric": "api_calls",
        "used": 50.0,
        "included": 500.0,
        "utilisation": 0.1,
    }
    assert c1["reason"] == (
        "uses more than the plan includes: offer a larger plan; "
        "api_calls: used 1,500 a month of 1,000 included (150%)"
    )
    assert c2["reason"] == (
        "uses little of what the plan includes: right-size before it churns; "
        "api_calls: used 50 a month of 500 included (10%)"
    )
    assert c1["plan"] == "growth" and str(c1["mrr"]) == "100.00"


def test_thresholds_are_options(ledger: Ledger) -> None:
    out = ledger.plan_fit("2024-06", over=2.0, under=0.45).to_dict()
    assert [(a["customer_id"], a["action"]) for a in out["accounts"]] == [("C2", "right-size")]
    assert out["accounts"][0]["score"] == pytest.approx(0.9)


def test_cli_json_and_crm_csv_on_the_demo(demo_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "fit.csv"
    out = invoke_json(
        "plan-fit", "--db", demo_db, "--as-of", "2025-06", "--csv", path, schema="plan-fit"
    )
    actions = [a["action"] for a in out["accounts"]]
    assert "upgrade" in actions and "right-size" in actions
    assert actions == sorted(actions, key=lambda a: a != "upgrade")
    for a in out["accounts"]:
        utilisations = [e["utilisation"] for e in a["evidence"]]
        if a["action"] == "upgrade":
            assert max(utilisations) > 1.0
        else:
            assert min(utilisations) < 0.25
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == ["account_id", "owner", "action", "score", "reason"]
    assert [r["account_id"] for r in rows] == [a["customer_id"] for a in out["accounts"]]
    top = invoke("plan-fit", "--db", demo_db, "--as-of", "2025-06", "--top", "3")
    assert out["accounts"][0]["customer_id"] in top.stdout
