"""Honest backtests: fit only on snapshots whose outcome was known by the cut month, score the
snapshots from the cut on, and measure what a CS team would have got.

Train: months M with M + horizon <= cut (labels observed by the cut). Test: cut <= M <= the
ledger's last month - horizon. Metrics per model and target: AUC, PR-AUC, Brier score, a
calibration table, lift in the top decile, and the share of the MRR that then moved (churned,
contracted or expanded) held by the riskiest 10% of MRR.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from netretain.core.arith import month_label
from netretain.predict.features import TARGETS, label_name, moved_name
from netretain.predict.models import SEED, ModelError, labelled, make

MODEL_NAMES = ("lightgbm", "logistic")
TEST_MONTHS = 6
BINS = 10


def default_cut(frame: pd.DataFrame, horizon: int) -> int:
    """The cut that leaves TEST_MONTHS labelled months to score (fewer on a short ledger)."""
    months = sorted(frame.loc[frame[label_name("churn")].notna(), "month_index"].unique())
    if len(months) < horizon + 3:
        raise ModelError("the ledger is too short to backtest: it needs more labelled months")
    return int(months[-min(TEST_MONTHS, len(months) - horizon - 2)])


def split(frame: pd.DataFrame, cut: int, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): train rows' outcomes were all known by the cut; test rows start at it."""
    train = frame[frame["month_index"] + horizon <= cut]
    test = frame[frame["month_index"] >= cut]
    return train, test


def lift_top_decile(y: np.ndarray, p: np.ndarray) -> float | None:
    """The target's rate among the 10% highest scores over its rate overall."""
    if y.mean() == 0:
        return None
    top = np.argsort(-p, kind="stable")[: max(1, len(p) // 10)]
    return float(y[top].mean() / y.mean())


def mrr_caught_top_decile(p: np.ndarray, mrr: np.ndarray, moved: np.ndarray) -> float | None:
    """Of the MRR that moved, the share held by the riskiest accounts making up 10% of MRR."""
    if moved.sum() <= 0:
        return None
    order = np.argsort(-p, kind="stable")
    within = np.cumsum(mrr[order]) <= 0.10 * mrr.sum()
    return float(moved[order][within].sum() / moved.sum())


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> list[dict[str, Any]]:
    """Predicted against observed rate in equal-count bins of the score."""
    order = np.argsort(p, kind="stable")
    rows = []
    for part in np.array_split(order, bins):
        if len(part):
            rows.append(
                {
                    "predicted": float(p[part].mean()),
                    "observed": float(y[part].mean()),
                    "accounts": len(part),
                }
            )
    return rows


def scores(y: np.ndarray, p: np.ndarray, mrr: np.ndarray, moved: np.ndarray) -> dict[str, Any]:
    """Every metric of one model's scores on the test rows."""
    both = 0 < y.sum() < len(y)
    return {
        "auc": float(roc_auc_score(y, p)) if both else None,
        "pr_auc": float(average_precision_score(y, p)) if both else None,
        "brier": float(brier_score_loss(y, p)),
        "lift_top_decile": lift_top_decile(y, p),
        "mrr_caught_top_decile": mrr_caught_top_decile(p, mrr, moved),
        "base_rate": float(y.mean()),
        "calibration": calibration_table(y, p),
    }


def _span(months: pd.Series) -> dict[str, Any]:
    return {
        "from": month_label(int(months.min())),
        "to": month_label(int(months.max())),
        "months": int(months.nunique()),
    }


def backtest(
    frame: pd.DataFrame,
    *,
    cut: int | None = None,
    horizon: int,
    targets: Sequence[str] = TARGETS,
    models: Sequence[str] = MODEL_NAMES,
    shuffle_labels: bool = False,
    seed: int = SEED,
) -> dict[str, Any]:
    """Fit each model for each target on the train split and score the test split.

    `shuffle_labels` permutes the training labels: a model then has nothing to learn and its
    test AUC should fall to about 0.5 (the leakage check).
    """
    cut = default_cut(frame, horizon) if cut is None else cut
    train, test = split(frame, cut, horizon)
    out = []
    for target in targets:
        fit_rows, test_rows = labelled(train, target), labelled(test, target)
        if fit_rows.empty or test_rows.empty:
            raise ModelError(f"no labelled rows on one side of the cut {month_label(cut)}")
        if shuffle_labels:
            fit_rows = _shuffled(fit_rows, label_name(target), seed)
        y = test_rows[label_name(target)].to_numpy(dtype=int)
        mrr = test_rows["mrr_cents"].to_numpy(dtype=float)
        moved = test_rows[moved_name(target)].to_numpy(dtype=float)
        for name in models:
            model = make(name, target, seed).fit(fit_rows)
            p = model.predict_proba(test_rows)
            out.append(
                {
                    "name": name,
                    "target": target,
                    **scores(y, p, mrr, moved),
                    "train_months": _span(fit_rows["month_index"]),
                    "test_months": _span(test_rows["month_index"]),
                    "train_rows": len(fit_rows),
                    "test_rows": len(test_rows),
                }
            )
    return {
        "cut": month_label(cut),
        "horizon_months": horizon,
        "shuffled_labels": shuffle_labels,
        "models": out,
    }


def _shuffled(rows: pd.DataFrame, column: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = rows.copy()
    out[column] = rng.permutation(out[column].to_numpy())
    return out
