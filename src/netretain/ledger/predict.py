"""The service side of account intelligence: build the feature frame in the engine, fit and
score the models in `netretain.predict` on it. `Ledger` delegates its prediction methods here."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from netretain.predict.features import HORIZON, FeatureInputs, feature_table
from netretain.store import input_table

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger


def feature_inputs(ledger: Ledger) -> FeatureInputs:
    """The ledger's Sources plus the input rows that carry billing terms."""
    store = ledger.store
    kept = {
        kind: store.table(input_table(kind)) if store.has(input_table(kind)) else None
        for kind in ("subscriptions", "invoice_lines")
    }
    return FeatureInputs(ledger.sources, kept["subscriptions"], kept["invoice_lines"])


def features(
    ledger: Ledger,
    first: int | None = None,
    last: int | None = None,
    *,
    horizon: int = HORIZON,
    with_labels: bool = True,
) -> pd.DataFrame:
    """The feature frame (one row per paying customer and month-end), sorted by its keys."""
    sources = ledger.sources
    first = sources.first_month if first is None else first
    last = sources.horizon if last is None else last
    expr = feature_table(
        feature_inputs(ledger), first, last, horizon=horizon, with_labels=with_labels
    )
    expr = expr.order_by(["month_index", "customer_id"])
    return ledger.store.to_arrow(expr).to_pandas()
