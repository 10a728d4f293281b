"""How much an expansion is worth: the median expansion within the horizon, as a share of the MRR
before it, over the accounts that expanded (their outcome known by the scoring month)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from netretain.predict.features import label_name, moved_name


def expansion_size(frame: pd.DataFrame, month: int, horizon: int) -> dict[str, Any]:
    """{'median_share_of_mrr', 'expansions_seen'} over the snapshots M + horizon <= `month`
    of a labelled feature frame whose accounts expanded."""
    known = frame[(frame["month_index"] + horizon <= month) & (frame[label_name("expansion")] == 1)]
    if known.empty:
        return {"median_share_of_mrr": 0.0, "expansions_seen": 0}
    share = known[moved_name("expansion")].astype(float) / known["mrr_cents"].astype(float)
    return {"median_share_of_mrr": float(share.median()), "expansions_seen": len(known)}
