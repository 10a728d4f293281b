"""Saved risk models (issue 12): `netretain train` fits and keeps them in the ledger's `models`
table; scoring loads the latest one that fits the question and says which, and flags one fitted
on another version of the ledger (data ingested since, or another definition) instead of using it
silently. Nothing retrains on its own: retraining is `netretain train` again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from netretain.canonical import sha256_hex
from netretain.core.arith import month_label
from netretain.core.tables import literal_table
from netretain.definitions import default
from netretain.errors import arg
from netretain.ledger import check as checking
from netretain.predict import backtest as bt
from netretain.predict import saved
from netretain.predict.features import TARGETS
from netretain.predict.models import ModelError, RiskModel, feature_columns
from netretain.predict.results import Prediction
from netretain.predict.uplift import expansion_size
from netretain.store.catalogue import MODELS

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger

TABLE = "models"
JSON_COLUMNS = (
    "features",
    "definition",
    "ledger_version",
    "libraries",
    "metrics",
    "expansion_size",
)


def ledger_version(ledger: Ledger) -> dict[str, Any]:
    """What the ledger's data is: its last ingest and a digest of every ingested file's sha256."""
    rows = ledger.ingests().select(["ingest_id", "kind", "sha256"]).to_pylist()
    rows.sort(key=lambda r: (r["ingest_id"], r["kind"], r["sha256"] or ""))
    last = max((r["ingest_id"] for r in rows), default=0)
    return {"last_ingest_id": int(last), "digest": sha256_hex(rows)}


def definition_stamp() -> dict[str, Any]:
    """The definition the ledger's stored movements (and so the features and labels) follow."""
    return default().stamp()


def train(
    ledger: Ledger, until: str | None, *, horizon: int, sample: int | None = None
) -> Prediction:
    """Fit the three risk models on data up to `until` (snapshots M with M + horizon <= until)
    and save them with their window, features, stamps, library versions and backtest metrics.
    `sample` fits on about that many customers (a large ledger's feature frame is large)."""
    from netretain.ledger import predict

    month = ledger.month(until)
    if sample is not None and sample < 1:
        raise ModelError(f"{arg('sample')} must be a positive number of customers")
    frame = (
        predict.features(ledger, last=month, horizon=horizon)
        if sample is None
        else predict.sampled_features(ledger, month, horizon=horizon, customers=sample)
    )
    rows = frame[frame["month_index"] + horizon <= month]
    if rows.empty:
        raise ModelError(f"no snapshot has its outcome known by {month_label(month)}")
    fitted = {t: RiskModel(t).fit(rows) for t in TARGETS}
    notes: list[str] = []
    try:
        metrics = bt.backtest(rows, horizon=horizon)["models"]
    except ModelError as exc:
        metrics = []
        notes.append(f"no backtest metrics: {exc}")
    record = {
        "model_id": _next_id(ledger),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "until": month_label(month),
        "horizon_months": horizon,
        "train_from": month_label(int(rows["month_index"].min())),
        "train_to": month_label(int(rows["month_index"].max())),
        "customers": int(rows["customer_id"].nunique()),
        "features": feature_columns(rows),
        "definition": definition_stamp(),
        "ledger_version": ledger_version(ledger),
        "libraries": saved.libraries(),
        "metrics": metrics,
        "expansion_size": expansion_size(rows, month, horizon),
    }
    _save(ledger, record, saved.dumps(fitted))
    return Prediction(
        as_of=record["until"],
        definition=record["definition"],
        currency=ledger.currency,
        warnings=tuple(notes),
        content={k: v for k, v in record.items() if k not in ("until", "definition")},
    )


def _next_id(ledger: Ledger) -> int:
    store = ledger.store
    if not store.has(TABLE):
        return 1
    t = store.table(TABLE)
    top = store.to_arrow(t.aggregate(top=t.model_id.max())).to_pylist()[0]["top"]
    return int(top or 0) + 1


def _save(ledger: Ledger, record: dict[str, Any], models: str) -> None:
    row = {k: [json.dumps(v) if k in JSON_COLUMNS else v] for k, v in record.items()}
    row["models"] = [models]
    with ledger.store.transaction():
        ledger.store.append(TABLE, literal_table(row, MODELS))
        checking.refresh(ledger.store, TABLE)


def listing(ledger: Ledger) -> list[dict[str, Any]]:
    """Every saved model, newest first, without its fitted bytes."""
    store = ledger.store
    if not store.has(TABLE):
        return []
    t = store.table(TABLE)
    rows = store.to_arrow(t.drop("models").order_by(t.model_id.desc())).to_pylist()
    current = (ledger_version(ledger), definition_stamp())
    return [_described(r, current) for r in rows]


def _described(row: dict[str, Any], current: tuple[dict[str, Any], dict[str, Any]]) -> dict:
    out = {k: json.loads(v) if k in JSON_COLUMNS and v is not None else v for k, v in row.items()}
    out["current"] = not _drift(out, *current)
    return out


def _drift(about: dict[str, Any], version: dict[str, Any], definition: dict[str, Any]) -> list:
    """Why a saved model does not describe the ledger as it is now (empty: it does)."""
    why = []
    if about["ledger_version"] != version:
        why.append(
            f"data was ingested since (model on ingest {about['ledger_version']['last_ingest_id']}"
            f", ledger now at ingest {version['last_ingest_id']})"
        )
    if about["definition"].get("sha256") != definition.get("sha256"):
        why.append(f"it follows definition {about['definition'].get('name')} of another version")
    return why


def latest(ledger: Ledger, month: int, horizon: int) -> tuple[dict[str, Any], dict] | None:
    """The newest saved model for this horizon trained until `month` or before, with its fitted
    models by target; None when there is none."""
    store = ledger.store
    if not store.has(TABLE):
        return None
    t = store.table(TABLE)
    picked = t.filter((t.horizon_months == horizon) & (t.until <= month_label(month)))
    rows = store.to_arrow(picked.order_by(t.model_id.desc()).limit(1)).to_pylist()
    if not rows:
        return None
    row = rows[0]
    fitted = saved.loads(row.pop("models"))
    about = {k: json.loads(v) if k in JSON_COLUMNS and v is not None else v for k, v in row.items()}
    return about, fitted


def saved_for(ledger: Ledger, month: int, horizon: int) -> Chosen | None:
    """The latest saved model that may score month `month` (trained until it or before), with
    notes when the ledger has changed since it was trained; None when there is none."""
    found = latest(ledger, month, horizon)
    if found is None:
        return None
    about, fitted = found
    why = _drift(about, ledger_version(ledger), definition_stamp())
    notes = tuple(
        f"saved model {about['model_id']} (trained until {about['until']}) is not current: {w}; "
        "retrain with netretain train"
        for w in why
    )
    info = {
        "source": "saved",
        "id": int(about["model_id"]),
        "trained_until": about["until"],
        "created_at": about["created_at"],
    }
    return Chosen(fitted, info, notes, about.get("expansion_size") or {})


def fitted_now(frame: pd.DataFrame, month: int, horizon: int) -> Chosen:
    """Models fitted on the outcomes known by `month`, said to be so (nothing is saved)."""
    rows = frame[frame["month_index"] + horizon <= month]
    fitted = {t: RiskModel(t).fit(rows) for t in TARGETS}
    note = (
        f"no saved {horizon}-month model trained until {month_label(month)} or before: "
        "fitted now (save one with netretain train)"
    )
    info = {"source": "fitted now", "id": None, "trained_until": None, "created_at": None}
    return Chosen(fitted, info, (note,), expansion_size(frame, month, horizon))


@dataclass(frozen=True)
class Chosen:
    """The models that score a month, what they are, notes on them, and the expansion size
    (median share of MRR) they expect."""

    fitted: dict[str, RiskModel]
    info: dict[str, Any]
    notes: tuple[str, ...]
    expansion_size: dict[str, Any]
