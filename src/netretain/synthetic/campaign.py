"""A simulated campaign with a known true effect (issue 17): extra MRR rows that, ingested into
the demo company's ledger, change what its treated accounts do after the campaign's start.

`save`: each treated account that churns in the window keeps paying its last MRR through the
window's end with this probability. `uplift`: every treated account's MRR in the window rises by
this share. The true effect on the treated (each outcome's rate with the effect minus without,
the same accounts) comes back with the rows, so a test can check that `campaign results` finds it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from netretain.core.arith import month_label


@dataclass(frozen=True)
class CampaignEffect:
    """The `mrr` input rows that apply the effect, and the true effect on the treated."""

    rows: pd.DataFrame  # customer_id, month, mrr, currency: an `mrr` input file
    truth: dict[str, float]  # churn, contraction, expansion (rate differences), ndr


def simulate_campaign(
    history: pd.DataFrame,
    *,
    start: int,
    last: int,
    save: float = 0.0,
    uplift: float = 0.0,
    seed: int = 0,
    currency: str = "USD",
) -> CampaignEffect:
    """The effect on the treated accounts' MRR (`history`: customer_id, month_index, mrr_cents
    for months start..last; a month missing is zero) from the month after `start` on."""
    wide = (
        history.pivot_table(
            index="customer_id", columns="month_index", values="mrr_cents", aggfunc="sum"
        )
        .reindex(columns=range(start, last + 1))
        .fillna(0)
        .astype("int64")
    )
    before = wide.to_numpy()
    after = before.copy()
    rng = np.random.default_rng(seed)
    saved = rng.random(len(wide)) < save
    for i in np.flatnonzero(saved & (before[:, -1] == 0) & (before[:, 0] > 0)):
        gone = int(np.argmax(before[i, 1:] == 0)) + 1  # the first month at zero after start
        after[i, gone:] = before[i, gone - 1]
    after[:, 1:] = np.rint(after[:, 1:] * (1 + uplift)).astype("int64")
    extra = after - before
    rows = [
        {
            "customer_id": customer,
            "month": month_label(start + int(j)),
            "mrr": f"{extra[i, j] / 100:.2f}",
            "currency": currency,
        }
        for i, customer in enumerate(wide.index)
        for j in np.flatnonzero(extra[i] > 0)
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "month", "mrr", "currency"])
    return CampaignEffect(frame, _truth(before, after))


def _truth(before: np.ndarray, after: np.ndarray) -> dict[str, float]:
    """Each outcome's rate among the treated with the effect minus without it."""

    def rates(paths: np.ndarray) -> dict[str, float]:
        s, e = paths[:, 0], paths[:, -1]
        return {
            "churn": float(np.mean(e == 0)),
            "contraction": float(np.mean((e > 0) & (e < s))),
            "expansion": float(np.mean(e > s)),
            "ndr": float(e.sum() / s.sum()),
        }

    with_, without = rates(after), rates(before)
    return {k: with_[k] - without[k] for k in with_}
