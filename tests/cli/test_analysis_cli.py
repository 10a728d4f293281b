"""The analysis commands on the session's demo ledger, in every format, tied to `report`."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from .conftest import Demo, assert_clean_error, invoke

AS_OF = "2024-12"
COMMANDS = {
    "cohorts": ["cohorts", "--period", "quarter", "--metric", "gdr"],
    "segments": ["segments", "--by", "segment,region", "--as-of", AS_OF],
    "trend": ["trend", "--by", "segment", "--from", "2024-06"],
    "bridge": ["bridge", "--as-of", AS_OF, "--by", "segment"],
    "explain": ["explain", "--from", "2024-06", "--to", AS_OF, "--top", "3"],
    "behind": ["behind", "--as-of", AS_OF, "--change", "churn", "--limit", "5"],
    "benchmark": ["benchmark", "--as-of", AS_OF, "--by", "size_band,segment"],
    "metrics": ["metrics", "--from", "2024-01", "--to", AS_OF],
}
SEGMENT_KEYS = {
    "segment",
    "definition",
    "currency",
    "region",
    "ndr",
    "gdr",
    "logo_retention",
    "starting_mrr",
    "ending_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churn_mrr",
    "customers_start",
    "customers_retained",
    "small",
}


def run(demo: Demo, name: str, fmt: str, *extra: str) -> str:
    return invoke(*COMMANDS[name], *extra, "--db", demo.db, "--format", fmt).stdout


def exact(value: float) -> Decimal:
    return Decimal(str(value))


@pytest.fixture(scope="module")
def report(demo: Demo) -> dict:
    return json.loads(
        invoke("report", "--db", demo.db, "--as-of", AS_OF, "--format", "json").stdout
    )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_format(demo: Demo, name: str) -> None:
    data = json.loads(run(demo, name, "json"))
    assert data
    rows = list(csv.DictReader(io.StringIO(run(demo, name, "csv"))))
    assert rows and all(rows[0].keys())
    shown = run(demo, name, "table")
    assert shown.strip() and "Traceback" not in shown


def test_segments_sum_to_the_report(demo: Demo, report: dict) -> None:
    segments = json.loads(run(demo, "segments", "json"))
    assert all(set(s) == SEGMENT_KEYS for s in segments)
    for key in ("starting_mrr", "ending_mrr", "churn_mrr", "expansion_mrr"):
        assert sum(exact(s[key]) for s in segments) == exact(report[key])
    assert sum(s["customers_start"] for s in segments) == report["customers_start"]
    assert any(s["small"] for s in segments)  # 300 customers split nine ways


def test_behind_total_is_the_report_figure(demo: Demo, report: dict, tmp_path: Path) -> None:
    out = tmp_path / "churned.csv"
    data = json.loads(run(demo, "behind", "json", "--export", str(out)))
    assert exact(data["total"]) == exact(report["churn_mrr"])
    assert len(data["customers"]) == 5
    exported = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(exported) == data["count"]
    assert sum(Decimal(r["amount"]) for r in exported) == exact(report["churn_mrr"])


def test_bridge_and_trend_agree_with_the_report(demo: Demo, report: dict) -> None:
    (whole,) = json.loads(invoke("bridge", "--as-of", AS_OF, "--db", demo.db, "-f", "json").stdout)
    assert exact(whole["steps"][-1]["running"]) == exact(report["ending_mrr"])
    trend = json.loads(invoke("trend", "--to", AS_OF, "--db", demo.db, "-f", "json").stdout)
    last = trend[-1]
    assert last["as_of"] == AS_OF and last["ndr"] == pytest.approx(report["ndr"])
    assert last["definition"] == report["definition"]
    assert "█" in run(demo, "bridge", "table")


def test_explain_effects_add_up(demo: Demo) -> None:
    data = json.loads(run(demo, "explain", "json"))
    assert data["mix_effect"] + data["rate_effect"] == pytest.approx(data["change"], abs=1e-12)
    assert data["ndr_to"] - data["ndr_from"] == pytest.approx(data["change"], abs=1e-12)
    assert len(data["customers"]) == 3


def test_cohorts_csv_is_the_matrix_and_benchmark_places(demo: Demo) -> None:
    header = run(demo, "cohorts", "csv").splitlines()[0]
    assert header.startswith("cohort,customers,starting_mrr,Q0,Q1")
    placed = json.loads(run(demo, "benchmark", "json"))["placements"]
    assert {p["placement"] for p in placed} <= {
        "below median",
        "above median",
        "top quartile",
        "below range",
        "within range",
        "above range",
        "no published benchmark",
    }
    assert "Published survey values, not live data" in run(demo, "benchmark", "table")


def test_errors_are_one_line(demo: Demo) -> None:
    bad = invoke("segments", "--by", "colour", "--db", demo.db, code=1)
    assert_clean_error(bad, "unknown attribute", "segment")
    refused = invoke("behind", "-d", "movements-12", "--db", demo.db, code=1)
    assert_clean_error(refused, "customers --movement")
    where = invoke("behind", "--where", "segment", "--db", demo.db, code=2)
    assert "ATTR=VALUE" in where.output
