"""A fitted RiskModel as plain JSON and back, so a model can be kept in the ledger without pickle.

The booster travels as LightGBM's own model text; the calibrator as its parameters (Platt: the
logistic coefficient and intercept; isotonic: its thresholds). Loading a record builds the same
model: `from_record(to_record(m)).predict_proba(x) == m.predict_proba(x)`.
"""

from __future__ import annotations

import importlib.metadata
import json
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from netretain.predict.models import ModelError, RiskModel

LIBRARIES = ("lightgbm", "scikit-learn", "netretain")
FORMAT = 1


def libraries() -> dict[str, str]:
    """The installed versions of the libraries a saved model depends on."""
    return {name: importlib.metadata.version(name) for name in LIBRARIES}


def to_record(model: RiskModel) -> dict[str, Any]:
    """A fitted model's state as JSON-ready values (no pickle)."""
    model._check_fitted()
    return {
        "format": FORMAT,
        "target": model.target,
        "seed": model.seed,
        "calibration": model.calibration,
        "features": list(model.features_),
        "categorical": list(model.categorical_),
        "levels": {k: list(v) for k, v in model.levels_.items()},
        "train_months": list(model.train_months_),
        "calibration_months": list(model.calibration_months_),
        "base_rate": model.base_rate_,
        "booster": model.booster_.model_to_string(),
        "calibrator": _calibrator_params(model.calibrator_),
    }


def from_record(record: dict[str, Any]) -> RiskModel:
    """The fitted model a record describes."""
    if record.get("format") != FORMAT:
        raise ModelError(f"a saved model in format {record.get('format')!r}: retrain it")
    model = RiskModel(record["target"], seed=record["seed"], calibration=record["calibration"])
    model.features_ = list(record["features"])
    model.categorical_ = list(record["categorical"])
    model.numeric_ = [c for c in model.features_ if c not in model.categorical_]
    model.levels_ = {k: list(v) for k, v in record["levels"].items()}
    model.train_months_ = tuple(record["train_months"])
    model.calibration_months_ = tuple(record["calibration_months"])
    model.base_rate_ = float(record["base_rate"])
    model.booster_ = lgb.Booster(model_str=record["booster"])
    model.calibrator_ = _calibrator_from(record["calibrator"], model.seed)
    return model


def dumps(models: dict[str, RiskModel]) -> str:
    """Several fitted models (by target) as one JSON text."""
    return json.dumps({t: to_record(m) for t, m in models.items()}, separators=(",", ":"))


def loads(text: str) -> dict[str, RiskModel]:
    """The models `dumps` wrote."""
    return {t: from_record(r) for t, r in json.loads(text).items()}


def _calibrator_params(calibrator: Any) -> dict[str, Any]:
    if isinstance(calibrator, IsotonicRegression):
        return {
            "kind": "isotonic",
            "x": calibrator.X_thresholds_.tolist(),
            "y": calibrator.y_thresholds_.tolist(),
        }
    return {
        "kind": "platt",
        "coef": float(calibrator.coef_[0][0]),
        "intercept": float(calibrator.intercept_[0]),
    }


def _calibrator_from(params: dict[str, Any], seed: int) -> Any:
    if params["kind"] == "isotonic":
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        x, y = np.asarray(params["x"], float), np.asarray(params["y"], float)
        return iso.fit(x, y)  # refitting on its own thresholds gives the same step function
    platt = LogisticRegression(random_state=seed)
    platt.classes_ = np.array([0, 1])
    platt.coef_ = np.array([[params["coef"]]])
    platt.intercept_ = np.array([params["intercept"]])
    platt.n_features_in_ = 1
    return platt
