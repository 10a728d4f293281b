"""Expansion candidates, growth drivers and the CRM exports on the demo company; the interval
arithmetic against published figures."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from netretain import Ledger
from netretain.predict import drivers as gd
from tests.cli.conftest import invoke, invoke_json


def stamped(out: dict[str, Any]) -> None:
    """Led by what it is of and the stamp; closed by its warnings."""
    assert list(out)[:3] == ["as_of", "definition", "currency"]
    assert list(out)[-1] == "warnings" and out["definition"]["name"] == "ndr"


def test_newcombe_interval_matches_his_worked_example() -> None:
    """Newcombe (1998), Statistics in Medicine 17:873, table II, example (a): 56/70 - 48/80,
    method 10 gives 0.0524 to 0.3339."""
    out = gd.newcombe(56, 70, 48, 80)
    assert out["effect"] == pytest.approx(0.2)
    assert (round(out["low"], 4), round(out["high"], 4)) == (0.0524, 0.3339)


def test_wilson_interval_matches_the_textbook() -> None:
    """Newcombe (1998) table I: 81/263 gives 0.2553 to 0.3662; 0/10 gives 0 to 0.2775."""
    assert tuple(round(x, 4) for x in gd.wilson(81, 263)) == (0.2553, 0.3662)
    low, high = gd.wilson(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and round(high, 4) == 0.2775


def test_standardised_mean_difference_by_hand() -> None:
    # means 10 and 8, variances 4 and 4: d = 2 / 2 = 1; se = sqrt(20/100 + 1/40)
    out = gd.smd(10, 10.0, 4.0, 10, 8.0, 4.0)
    assert out is not None and out["effect"] == pytest.approx(1.0)
    half = 1.959963984540054 * math.sqrt(0.2 + 1 / 40)
    assert (out["low"], out["high"]) == pytest.approx((1 - half, 1 + half))
    assert gd.smd(1, 1.0, 0.0, 5, 0.0, 1.0) is None  # one account has no spread


@pytest.fixture(scope="module")
def growth(demo_db: Path) -> dict[str, Any]:
    return invoke_json("drivers", "--db", demo_db, "--as-of", "2025-06", schema="drivers")


def test_drivers_agree_with_the_feature_frame_computed_apart(
    demo_db: Path, growth: dict[str, Any]
) -> None:
    stamped(growth)
    assert growth["outcome_months"] == {"from": "2025-07", "to": "2025-09"}
    with Ledger(demo_db, read_only=True) as ledger:
        f = ledger.features("2025-06", "2025-06")
    net = f["moved_expansion"] - f["moved_contraction"] - f["moved_churn"]
    f["outcome"] = ["expanded" if n > 0 else "shrank" if n < 0 else "steady" for n in net]
    assert growth["accounts"] == f["outcome"].value_counts().to_dict() | {
        k: 0 for k in ("expanded", "shrank", "steady") if k not in set(f["outcome"])
    }
    row = next(r for r in growth["numbers"] if r["feature"] == "tenure_months")
    e, s = (f.loc[f["outcome"] == g, "tenure_months"] for g in ("expanded", "shrank"))
    pooled = ((len(e) - 1) * e.var() + (len(s) - 1) * s.var()) / (len(e) + len(s) - 2)
    assert row["effect"] == pytest.approx((e.mean() - s.mean()) / math.sqrt(pooled))
    region = next(
        r for r in growth["categories"] if (r["feature"], r["level"]) == ("attr_region", "EMEA")
    )
    share = lambda g: (f.loc[f["outcome"] == g, "attr_region"] == "EMEA").mean()  # noqa: E731
    assert region["effect"] == pytest.approx(share("expanded") - share("shrank"))
    assert region["low"] < region["effect"] < region["high"]


def test_drivers_put_clear_effects_first(growth: dict[str, Any]) -> None:
    for rows in (growth["numbers"], growth["categories"]):
        clear = [r["low"] > 0 or r["high"] < 0 for r in rows]
        assert clear == sorted(clear, reverse=True) and any(clear)


def test_drivers_refuse_a_month_whose_outcome_is_unknown(demo_db: Path) -> None:
    result = invoke("drivers", "--db", demo_db, "--as-of", "2025-11", code=1)
    assert "--as-of" in " ".join(result.stderr.split())


def test_expansion_ranks_by_expected_uplift_and_exports_for_a_crm(
    demo_db: Path, tmp_path: Path
) -> None:
    out_file = tmp_path / "expansion.csv"
    out = invoke_json(
        "expansion",
        "--db",
        demo_db,
        "--as-of",
        "2025-06",
        "--top",
        "25",
        "--csv",
        out_file,
        schema="expansion",
    )
    stamped(out)
    accounts = out["accounts"]
    assert len(accounts) == 25 and out["model"]["source"] == "fitted now"
    uplift = [a["expected_uplift"] for a in accounts]
    assert uplift == sorted(uplift, reverse=True)
    share = out["expansion_size"]["median_share_of_mrr"]
    assert share > 0 and out["expansion_size"]["expansions_seen"] > 100
    for a in accounts:
        assert a["expected_expansion"] == pytest.approx(a["mrr"] * share, abs=0.01)
        assert a["expected_uplift"] == pytest.approx(
            a["expansion_probability"] * a["mrr"] * share, abs=0.01
        )
        assert a["drivers"]
    rows = list(csv.DictReader(out_file.open(encoding="utf-8")))
    assert list(rows[0]) == ["account_id", "owner", "score", "expected_uplift", "reason"]
    assert [r["account_id"] for r in rows] == [a["customer_id"] for a in accounts]
    assert rows[0]["reason"] == "; ".join(accounts[0]["drivers"])


def test_risk_and_backtest_are_stamped_and_risk_exports_to_a_file(
    demo_db: Path, tmp_path: Path
) -> None:
    out_file = tmp_path / "risk.csv"
    risk = invoke_json(
        "risk",
        "--db",
        demo_db,
        "--as-of",
        "2025-06",
        "--top",
        "4",
        "--csv",
        out_file,
        schema="risk",
    )
    stamped(risk)
    rows = list(csv.DictReader(out_file.open(encoding="utf-8")))
    assert [r["account_id"] for r in rows] == [a["customer_id"] for a in risk["accounts"]]
    assert float(rows[0]["score"]) == round(risk["accounts"][0]["churn_probability"], 4)


def test_the_owner_attribute_reaches_the_crm_export(tmp_path: Path) -> None:
    from netretain.synthetic import generate_company

    company = generate_company(customers=400, months=24, seed=3).tables()
    customers = company["customers"]
    reps = [f"rep{i % 4}" for i in range(customers.num_rows)]
    customers = customers.append_column("owner", pa.array(reps))
    with Ledger(tmp_path / "owned.duckdb") as ledger:
        ledger.ingest_frames(**{**company, "customers": customers})
    invoke("risk", "--db", tmp_path / "owned.duckdb", "--csv", tmp_path / "r.csv", "--top", "5")
    rows = pd.read_csv(tmp_path / "r.csv")
    owners = dict(zip(customers["customer_id"].to_pylist(), reps, strict=True))
    assert list(rows["owner"]) == [owners[c] for c in rows["account_id"]]
