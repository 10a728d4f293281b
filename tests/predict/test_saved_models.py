"""Saved, versioned models: `train` keeps them in the ledger, scoring uses them and says which,
and a model fitted on another ledger version is flagged, never used silently."""

from __future__ import annotations

import gc
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from netretain import Ledger
from netretain.ledger import predict
from netretain.predict import saved
from netretain.predict.models import ChurnModel, ModelError
from netretain.synthetic import generate_company
from tests.cli.conftest import copy_ledger, invoke, invoke_json, validate

from .test_models import frame


@pytest.mark.parametrize("calibration", ["platt", "isotonic"])
def test_a_saved_model_scores_exactly_as_the_fitted_one(calibration: str) -> None:
    train, test = frame(n_per_month=300, seed=1), frame(n_per_month=100, seed=2)
    model = ChurnModel(calibration=calibration).fit(train.drop(columns="true_p"))
    again = saved.loads(saved.dumps({"churn": model}))["churn"]
    x = test.drop(columns="true_p")
    assert np.array_equal(again.predict_proba(x), model.predict_proba(x))
    assert again.explain(x.head(5)) == model.explain(x.head(5))
    assert again.train_months_ == model.train_months_
    assert "pickle" not in saved.dumps({"churn": model})


def test_a_record_in_an_unknown_format_is_refused() -> None:
    model = ChurnModel().fit(frame(n_per_month=200).drop(columns="true_p"))
    record = {**saved.to_record(model), "format": 99}
    with pytest.raises(ModelError, match="retrain"):
        saved.from_record(record)


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    """A copy of the demo ledger to write models into."""
    return Path(shutil.copy(demo_db, tmp_path / "demo.duckdb"))


@dataclass(frozen=True)
class Trained:
    """A ledger after `train --until 2025-03` (its first model), and that command's JSON."""

    db: Path
    output: dict[str, Any]


@pytest.fixture(scope="module")
def trained(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """The demo ledger with one model trained until 2025-03, trained once for the module."""
    db = Path(shutil.copy(demo_db, tmp_path_factory.mktemp("trained") / "demo.duckdb"))
    out = invoke_json("train", "--db", db, "--until", "2025-03", schema="train")
    gc.collect()  # close the command's connection so the file is complete for copies
    return Trained(db, out)


@pytest.fixture
def trained_db(trained: Trained, tmp_path: Path) -> Path:
    """A private copy of the trained ledger, for a test that trains or ingests more."""
    return copy_ledger(trained.db, tmp_path / "trained.duckdb")


def test_train_saves_a_model_with_its_window_stamps_and_metrics(
    trained: Trained, trained_db: Path
) -> None:
    out, db = trained.output, trained_db
    assert out["model_id"] == 1 and out["as_of"] == "2025-03"
    assert out["train_to"] == "2024-12"  # labels read 2025-01..2025-03 at most
    assert out["definition"]["name"] == "ndr"
    assert {"lightgbm", "scikit-learn", "netretain"} <= set(out["libraries"])
    assert "mrr_growth_3m" in out["features"] and "label_churn" not in out["features"]
    assert {(m["name"], m["target"]) for m in out["metrics"]} == {
        (n, t) for n in ("lightgbm", "logistic") for t in ("churn", "contraction", "expansion")
    }
    assert all(m["test_months"]["to"] <= "2024-12" for m in out["metrics"])
    listed = invoke_json("models", "--db", db, schema="models")
    assert [m["model_id"] for m in listed] == [1] and listed[0]["current"] is True
    second = invoke_json("train", "--db", db, schema="train")
    assert second["model_id"] == 2
    assert [m["model_id"] for m in invoke_json("models", "--db", db, schema="models")] == [2, 1]
    checked = invoke_json("check", "--db", db, schema="check")
    assert {t["table"]: t["status"] for t in checked["tables"]}["models"] == "ok"


def test_risk_uses_the_latest_saved_model_trained_by_its_month(trained_db: Path) -> None:
    db = trained_db  # model 1: trained until 2025-03
    invoke("train", "--db", db, "--until", "2025-09")
    early = invoke_json("risk", "--db", db, "--as-of", "2025-06", "--top", "5", schema="risk")
    assert early["model"]["source"] == "saved"
    assert (early["model"]["id"], early["model"]["trained_until"]) == (1, "2025-03")
    assert early["warnings"] == []
    late = invoke_json("risk", "--db", db, "--as-of", "2025-10", "--top", "5", schema="risk")
    assert (late["model"]["id"], late["model"]["trained_until"]) == (2, "2025-09")
    before = invoke_json("risk", "--db", db, "--as-of", "2025-01", "--top", "5", schema="risk")
    assert before["model"]["source"] == "fitted now" and before["model"]["id"] is None
    assert any("netretain train" in w for w in before["warnings"])


def test_the_saved_model_gives_the_scores_of_the_models_it_saved(db: Path) -> None:
    with Ledger(db) as ledger:
        ledger.train("2025-03", horizon=3)
        scored = predict.scoring(ledger, "2025-06", 3)
        risk = ledger.risk("2025-06", top=3).to_dict()
    p = scored.fitted["churn"].predict_proba(scored.now)
    by_id = dict(zip(scored.now["customer_id"], p, strict=True))
    for account in risk["accounts"]:
        assert account["churn_probability"] == by_id[account["customer_id"]]


def test_a_model_from_another_ledger_version_is_flagged_not_silently_used(
    trained_db: Path,
) -> None:
    db = trained_db  # model 1: trained until 2025-03
    with Ledger(db) as ledger:  # any later ingest makes another ledger version
        extra = generate_company(customers=5, months=36, seed=99).tables()
        ledger.ingest_frames(customers=extra["customers"])
    result = invoke("risk", "--db", db, "--as-of", "2025-06", "--top", "3", "--format", "json")
    out = validate("risk", json.loads(result.stdout))
    assert out["model"]["id"] == 1
    assert any("not current" in w and "ingested since" in w for w in out["warnings"])
    assert "not current" in " ".join(result.stderr.split())
    listed = invoke_json("models", "--db", db, schema="models")
    assert listed[0]["current"] is False


def test_train_on_a_sample_of_customers(db: Path) -> None:
    whole = invoke_json("train", "--db", db, "--until", "2025-06", schema="train")
    part = invoke_json("train", "--db", db, "--until", "2025-06", "--sample", "600", schema="train")
    assert 300 < part["customers"] < 900 < whole["customers"]
    again = invoke_json(
        "train", "--db", db, "--until", "2025-06", "--sample", "600", schema="train"
    )
    assert again["customers"] == part["customers"]  # the same customers every time
    assert invoke("train", "--db", db, "--sample", "0", code=1).stderr.count("--sample") == 1


def test_train_needs_months_whose_outcome_is_known(db: Path) -> None:
    result = invoke("train", "--db", db, "--until", "2023-02", code=1)
    assert "outcome" in result.stderr or "labelled" in result.stderr


def test_train_reads_nothing_after_until(tmp_path: Path) -> None:
    """Drop or change every fact after --until (later invoice lines, subscriptions, FX rates and
    customers; end dates past it unknown): the saved models are the same, tree for tree."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.compute as pc

    full = generate_company(customers=900, months=30, seed=5).tables()
    cutoff = dt.date(2024, 7, 1)  # the first day after --until 2024-06
    lines, subs = full["invoice_lines"], full["subscriptions"]
    late_end = pc.greater_equal(subs["end_date"], pa.scalar(cutoff))
    cut = {
        **full,
        "invoice_lines": lines.filter(pc.less(lines["service_start"], pa.scalar(cutoff))),
        "subscriptions": subs.filter(pc.less(subs["start_date"], pa.scalar(cutoff))),
        "fx_rates": full["fx_rates"].filter(
            pc.less(full["fx_rates"]["month"], pa.scalar(cutoff.isoformat()[:7]))
        ),
        "customers": full["customers"].filter(
            pc.less(full["customers"]["signup_date"], pa.scalar(cutoff))
        ),
    }
    cut_subs = cut["subscriptions"]
    ends = pc.if_else(
        pc.greater_equal(cut_subs["end_date"], pa.scalar(cutoff)),
        pa.nulls(len(cut_subs), cut_subs["end_date"].type),
        cut_subs["end_date"],
    )
    cut["subscriptions"] = cut_subs.set_column(
        cut_subs.schema.get_field_index("end_date"), "end_date", ends
    )
    assert pc.sum(late_end).as_py() > 0
    saved_models = []
    for name, tables in (("full", full), ("cut", cut)):
        with Ledger(tmp_path / f"{name}.duckdb") as ledger:
            ledger.ingest_frames(**tables)
            out = ledger.train("2024-06", horizon=3).to_dict()
            saved_models.append(
                (out["train_from"], out["train_to"], out["features"], out["metrics"])
            )
            saved_models.append(ledger.store.to_arrow(ledger.store.table("models")).to_pylist())
    assert saved_models[0] == saved_models[2]
    assert saved_models[1][0]["models"] == saved_models[3][0]["models"]
    assert saved_models[1][0]["ledger_version"] != saved_models[3][0]["ledger_version"]
