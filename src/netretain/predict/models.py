"""Risk models on the feature frame: LightGBM calibrated on a later time slice, and a logistic
regression baseline. The models see a small frame pulled from the engine, never the ledger.

>>> model = ChurnModel().fit(frame)          # frame: predict.features rows with labels
>>> model.predict_proba(frame_at_month)      # calibrated P(churn within the horizon)
>>> model.explain(frame_at_month)[0]         # top drivers, in words
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from netretain.errors import NetretainError, arg
from netretain.predict.explain import describe
from netretain.predict.features import KEYS, TARGETS, label_name

SEED = 7
CALIBRATIONS = ("platt", "isotonic")
# Scoring uses every core (each row's score is independent, so the result does not depend on
# the thread count); training keeps one thread, the condition of a deterministic fit.
PREDICT_THREADS = 0  # 0: LightGBM's default, every core


class ModelError(NetretainError, ValueError):
    """A model cannot be fitted or used as asked."""


class NotFittedError(ModelError):
    """A model was used before `fit`."""


@dataclass(frozen=True)
class Driver:
    """One reason behind a score: the feature, its value, its push on the log-odds, in words."""

    feature: str
    value: Any
    contribution: float
    text: str


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """Every column of a feature frame that is a feature (not a key, label or amount ahead)."""
    return [c for c in frame.columns if c not in KEYS and not c.startswith(("label_", "moved_"))]


def labelled(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """The rows whose label for `target` is known."""
    if target not in TARGETS:
        raise ModelError(f"{arg('target')} must be one of {', '.join(TARGETS)}, not {target!r}")
    return frame[frame[label_name(target)].notna()]


class _Model:
    """What both models share: the target, the feature list, and the guard against no fit."""

    name = "model"

    def __init__(self, target: str = "churn", *, seed: int = SEED) -> None:
        self.target = target
        self.seed = seed

    def _check_fitted(self) -> None:
        if not hasattr(self, "features_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(frame)")

    def _learn_columns(self, frame: pd.DataFrame) -> None:
        self.features_ = feature_columns(frame)
        self.categorical_ = [c for c in self.features_ if not is_numeric(frame[c])]
        self.numeric_ = [c for c in self.features_ if c not in self.categorical_]

    def _rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.features_ if c not in frame.columns]
        if missing:
            raise ModelError(f"the frame lacks feature(s) the model was fitted on: {missing}")
        out = frame[self.numeric_].astype("float64")
        for c in self.categorical_:
            out[c] = pd.Categorical(frame[c].astype("object"), categories=self.levels_[c])
        return out[self.features_]

    def _learn_levels(self, frame: pd.DataFrame) -> None:
        self.levels_ = {
            c: sorted(str(v) for v in frame[c].dropna().unique()) for c in self.categorical_
        }

    def fit(self, frame: pd.DataFrame) -> _Model:
        """Learn from the labelled rows of a feature frame; returns self."""
        raise NotImplementedError

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """P(target within the horizon) for every row of a feature frame."""
        raise NotImplementedError


def level_codes(column: pd.Series, levels: list[str]) -> np.ndarray:
    """Each value's position among `levels` as a float, NaN when missing or not a level: the
    codes of `pd.Categorical(column, categories=levels)`, found by Arrow without Python objects."""
    values = pa.array(column, from_pandas=True)
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        codes = pd.Categorical(column.astype("object"), categories=levels).codes
        return np.where(codes < 0, np.nan, codes.astype(np.float64))
    found = pc.index_in(values, value_set=pa.array(levels, type=values.type))
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.float64)


def is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


class RiskModel(_Model):
    """LightGBM on the earlier months of the frame, calibrated on the latest `calibration_share`
    of them (Platt by default, or isotonic), so calibration never sees the training rows."""

    name = "lightgbm"

    def __init__(
        self,
        target: str = "churn",
        *,
        seed: int = SEED,
        calibration: str = "platt",
        calibration_share: float = 0.25,
        n_estimators: int = 150,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 40,
    ) -> None:
        super().__init__(target, seed=seed)
        if calibration not in CALIBRATIONS:
            raise ModelError(f"{arg('calibration')} must be platt or isotonic")
        self.calibration = calibration
        self.calibration_share = calibration_share
        self.params = {
            "objective": "binary",
            "learning_rate": learning_rate,
            "num_leaves": num_leaves,
            "min_child_samples": min_child_samples,
            "seed": seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": 1,
            "verbose": -1,
        }
        self.n_estimators = n_estimators

    def fit(self, frame: pd.DataFrame) -> RiskModel:
        """Fit the booster on the earlier months and the calibrator on the later ones."""
        rows = labelled(frame, self.target)
        months = sorted(rows["month_index"].unique())
        if len(months) < 2:
            raise ModelError("fitting needs labelled rows from at least two months")
        held = max(1, round(len(months) * self.calibration_share))
        cut = months[-held]
        train, calib = rows[rows["month_index"] < cut], rows[rows["month_index"] >= cut]
        self._learn_columns(rows)
        self._learn_levels(rows)
        y = train[label_name(self.target)].astype(int)
        data = lgb.Dataset(self._rows(train), y, categorical_feature=self.categorical_ or "auto")
        self.booster_ = lgb.train(self.params, data, num_boost_round=self.n_estimators)
        raw = np.asarray(self.booster_.predict(self._rows(calib), raw_score=True))
        self.calibrator_ = _calibrator(self.calibration, self.seed)
        _fit_calibrator(self.calibrator_, raw, calib[label_name(self.target)].astype(int))
        self.train_months_ = (int(months[0]), int(cut) - 1)
        self.calibration_months_ = (int(cut), int(months[-1]))
        self.base_rate_ = float(rows[label_name(self.target)].mean())
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        raw = np.asarray(
            self.booster_.predict(self._matrix(frame), raw_score=True, num_threads=PREDICT_THREADS)
        )
        return _calibrated(self.calibrator_, raw)

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """LightGBM's own per-row feature contributions (log-odds; last column: the bias)."""
        self._check_fitted()
        matrix = self._matrix(frame)
        return np.asarray(
            self.booster_.predict(matrix, pred_contrib=True, num_threads=PREDICT_THREADS)
        )

    def _matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows as the float matrix LightGBM reads (a category as its code among the fitted
        levels, missing as NaN), column by column without copying the frame: scoring a
        million accounts spends its time in the trees, not in pandas."""
        missing = [c for c in self.features_ if c not in frame.columns]
        if missing:
            raise ModelError(f"the frame lacks feature(s) the model was fitted on: {missing}")
        out = np.empty((len(frame), len(self.features_)), dtype=np.float64, order="F")
        for j, c in enumerate(self.features_):
            if c in self.levels_:
                out[:, j] = level_codes(frame[c], self.levels_[c])
            else:
                out[:, j] = frame[c].to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def explain(self, frame: pd.DataFrame, top: int = 3) -> list[list[Driver]]:
        """The `top` features pushing each row's score up the most, in words."""
        contrib = self.contributions(frame)[:, :-1]
        order = np.argsort(-contrib, axis=1)[:, :top]
        values = frame[self.features_].to_numpy(dtype=object)
        out = []
        for i, picks in enumerate(order):
            out.append(
                [
                    Driver(
                        self.features_[j],
                        values[i, j],
                        float(contrib[i, j]),
                        describe(self.features_[j], values[i, j]),
                    )
                    for j in picks
                    if contrib[i, j] > 0
                ]
            )
        return out

    @property
    def summary(self) -> pd.DataFrame:
        """Feature importance (total gain, share of it) and the fitted windows."""
        self._check_fitted()
        gain = self.booster_.feature_importance(importance_type="gain")
        table = pd.DataFrame({"feature": self.features_, "gain": gain})
        table["share"] = table["gain"] / max(float(table["gain"].sum()), 1e-12)
        return table.sort_values("gain", ascending=False).reset_index(drop=True)


class ChurnModel(RiskModel):
    """P(churn within the horizon)."""

    def __init__(self, **settings: Any) -> None:
        super().__init__("churn", **settings)


class ContractionModel(RiskModel):
    """P(contraction within the horizon)."""

    def __init__(self, **settings: Any) -> None:
        super().__init__("contraction", **settings)


class ExpansionModel(RiskModel):
    """P(expansion within the horizon)."""

    def __init__(self, **settings: Any) -> None:
        super().__init__("expansion", **settings)


class BaselineModel(_Model):
    """Logistic regression: median-imputed, standardised numbers and one-hot categories."""

    name = "logistic"

    def fit(self, frame: pd.DataFrame) -> BaselineModel:
        rows = labelled(frame, self.target)
        self._learn_columns(rows)
        self._learn_levels(rows)
        numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        onehot = OneHotEncoder(handle_unknown="ignore")
        prep = ColumnTransformer(
            [("num", numeric, self.numeric_), ("cat", onehot, self.categorical_)]
        )
        self.pipeline_ = Pipeline(
            [("prep", prep), ("fit", LogisticRegression(max_iter=2000, random_state=self.seed))]
        )
        x = self._rows(rows)
        for c in self.categorical_:
            x[c] = x[c].astype("object").fillna("(none)")
        self.pipeline_.fit(x, rows[label_name(self.target)].astype(int))
        self.base_rate_ = float(rows[label_name(self.target)].mean())
        return self

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        x = self._rows(frame)
        for c in self.categorical_:
            x[c] = x[c].astype("object").fillna("(none)")
        return np.asarray(self.pipeline_.predict_proba(x)[:, 1])

    @property
    def summary(self) -> pd.DataFrame:
        """The coefficients on the standardised features."""
        self._check_fitted()
        fit = self.pipeline_.named_steps["fit"]
        names = self.pipeline_.named_steps["prep"].get_feature_names_out()
        return pd.DataFrame({"feature": names, "coefficient": fit.coef_[0]})


def _calibrator(kind: str, seed: int) -> Any:
    if kind == "isotonic":
        return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    return LogisticRegression(random_state=seed)


def _fit_calibrator(calibrator: Any, raw: np.ndarray, y: pd.Series) -> None:
    if y.nunique() < 2:
        raise ModelError("the calibration months hold only one outcome: give more months")
    if isinstance(calibrator, IsotonicRegression):
        calibrator.fit(raw, y)
    else:
        calibrator.fit(raw.reshape(-1, 1), y)


def _calibrated(calibrator: Any, raw: np.ndarray) -> np.ndarray:
    if isinstance(calibrator, IsotonicRegression):
        return np.asarray(calibrator.predict(raw))
    return np.asarray(calibrator.predict_proba(raw.reshape(-1, 1))[:, 1])


MODELS: dict[str, type[_Model]] = {"lightgbm": RiskModel, "logistic": BaselineModel}


def make(name: str, target: str, seed: int = SEED) -> _Model:
    """A model by name ('lightgbm' or 'logistic') for a target."""
    return MODELS[name](target, seed=seed)
