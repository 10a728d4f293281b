"""The models on synthetic frames whose truth is known: calibration, explanations, the API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from netretain.errors import NetretainError
from netretain.predict.explain import describe
from netretain.predict.models import BaselineModel, ChurnModel, NotFittedError, RiskModel

MONTHS = range(24000, 24012)


def frame(n_per_month: int = 1500, seed: int = 1) -> pd.DataFrame:
    """Accounts whose churn probability is a known function of months_to_renewal and growth."""
    rng = np.random.default_rng(seed)
    rows = len(MONTHS) * n_per_month
    renewal = rng.integers(1, 13, rows)
    growth = rng.normal(0, 0.2, rows)
    noise = rng.normal(0, 1, rows)  # carries nothing
    logit = -3.0 + 2.5 * (renewal <= 2) - 4.0 * growth
    p = 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(rows)],
            "month_index": np.repeat(list(MONTHS), n_per_month),
            "months_to_renewal": renewal,
            "mrr_growth_3m": growth,
            "noise": noise,
            "attr_segment": rng.choice(["SMB", "MM"], rows),
            "label_churn": (rng.random(rows) < p).astype(float),
            "moved_churn": 0.0,
            "true_p": p,
        }
    )


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    train, test = frame(seed=1), frame(n_per_month=400, seed=2)
    return train.drop(columns="true_p"), test


@pytest.mark.parametrize("calibration", ["platt", "isotonic"])
def test_calibrated_probabilities_match_the_known_ones(data, calibration: str) -> None:
    train, test = data
    model = ChurnModel(calibration=calibration).fit(train)
    p = model.predict_proba(test.drop(columns="true_p"))
    assert np.abs(p - test["true_p"]).mean() < 0.03
    assert abs(p.mean() - test["label_churn"].mean()) < 0.01
    assert model.train_months_[1] < model.calibration_months_[0]  # a later slice


def test_the_linear_baseline_misses_the_step_the_booster_finds(data) -> None:
    """Churn jumps when renewal is near: a step a linear model cannot draw."""
    train, test = data
    x, y = test.drop(columns="true_p"), test["label_churn"]
    linear = BaselineModel().fit(train).predict_proba(x)
    boosted = ChurnModel().fit(train).predict_proba(x)
    assert abs(linear.mean() - y.mean()) < 0.01
    assert roc_auc_score(y, boosted) > roc_auc_score(y, linear) + 0.02


def test_an_explanation_names_the_feature_that_matters(data) -> None:
    train, test = data
    model = ChurnModel().fit(train)
    risky = test[(test["months_to_renewal"] <= 2) & (test["mrr_growth_3m"].abs() < 0.05)]
    drivers = model.explain(risky.head(50).drop(columns="true_p"))
    assert all(d and d[0].feature == "months_to_renewal" for d in drivers)
    assert drivers[0][0].text.startswith("renews in ")
    falling = test[(test["mrr_growth_3m"] < -0.4) & (test["months_to_renewal"] > 6)].head(20)
    firsts = [d[0].feature for d in model.explain(falling.drop(columns="true_p"))]
    assert firsts.count("mrr_growth_3m") == len(firsts)
    top = model.summary["feature"].tolist()[:2]
    assert set(top) == {"months_to_renewal", "mrr_growth_3m"}


def test_a_model_used_before_fit_raises_a_named_error(data) -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        ChurnModel().predict_proba(data[1])
    with pytest.raises(NetretainError):
        RiskModel("renewal")  # fine to build; fitting an unknown target fails
        RiskModel("renewal").fit(data[0])


def test_fit_returns_self_and_is_reproducible(data) -> None:
    train, test = data
    a = ChurnModel().fit(train)
    assert isinstance(a, ChurnModel)
    b = ChurnModel().fit(train)
    x = test.drop(columns="true_p")
    assert np.array_equal(a.predict_proba(x), b.predict_proba(x))


@pytest.mark.parametrize(
    ("feature", "value", "text"),
    [
        ("mrr_growth_3m", -0.4, "MRR fell 40% over 3 months"),
        ("mrr_growth_6m", 0.25, "MRR rose 25% over 6 months"),
        ("mrr_growth_3m", float("nan"), "no MRR 3 months ago (a new account)"),
        ("months_to_renewal", 1, "renews in 1 month"),
        ("billing_interval_months", 12, "billed annually"),
        ("contractions", 2, "2 past contractions"),
        ("attr_segment", "SMB", "segment is SMB"),
        ("mrr_change_3m", -123456, "MRR down 1,235 over 3 months"),
        ("months_since_last_movement", 0, "MRR changed this month"),
        ("months_since_last_movement", 4, "no change in MRR for 4 months"),
    ],
)
def test_drivers_read_as_words(feature: str, value: object, text: str) -> None:
    assert describe(feature, value) == text
