"""Account features, hand-computed on a small ledger: MRR history, terms, attributes, labels."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from netretain import Ledger
from netretain.core.arith import parse_month
from netretain.ledger import predict
from tests.conftest import Inputs, mrr_rows

SUB_HEADER = ("subscription_id", "customer_id", "start_date", "end_date", "amount")
SUB_HEADER += ("interval_months", "currency", "plan")
LINE_HEADER = ("line_id", "customer_id", "invoice_date", "type", "service_start", "service_end")
LINE_HEADER += ("amount", "currency", "plan")
CUSTOMER_HEADER = ("customer_id", "name", "segment")


def small_ledger(inputs: Inputs, b_end: str | None = None) -> Ledger:
    """A: MRR input that expands, contracts, churns. B: an annual subscription. D: quarterly
    invoice lines. C: MRR to 2024-09, so the ledger reaches that far."""
    a = [("A", m, v, "USD") for m, v in zip(
        ("2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"),
        ("100", "100", "150", "150", "120", "120"), strict=True)]  # fmt: skip
    ledger = Ledger()
    result = ledger.ingest(
        mrr=inputs.mrr([*a, *mrr_rows("C", "2024-01", "2024-09", "50")]),
        subscriptions=inputs.csv(
            "subscriptions.csv",
            SUB_HEADER,
            [("S1", "B", "2024-01-15", b_end, "1200.00", 12, "USD", "pro")],
        ),
        invoice_lines=inputs.csv(
            "invoice_lines.csv",
            LINE_HEADER,
            [
                (
                    "L1",
                    "D",
                    "2024-02-10",
                    "subscription",
                    "2024-02-10",
                    "2024-05-10",
                    "300.00",
                    "USD",
                    "basic",
                ),
            ],
        ),
        customers=inputs.csv("customers.csv", CUSTOMER_HEADER, [("A", "Acme", "SMB")]),
    )
    assert result.rejects == []
    return ledger


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """The small ledger, built once for this module's reading tests."""
    return small_ledger(Inputs(tmp_path_factory.mktemp("small")))


def rows_at(ledger: Ledger, month: str) -> dict[str, dict[str, Any]]:
    m = parse_month(month)
    frame = predict.features(ledger, m, m)
    return {r["customer_id"]: r for r in frame.to_dict("records")}


def test_mrr_history_features(small: Ledger) -> None:
    a = rows_at(small, "2024-04")["A"]
    assert a["mrr_cents"] == 15000 and a["tenure_months"] == 3
    assert a["mrr_change_3m"] == 5000 and a["mrr_growth_3m"] == pytest.approx(0.5)
    assert a["mrr_change_6m"] == 15000 and pd.isna(a["mrr_growth_6m"])
    assert (a["expansions"], a["contractions"], a["reactivations"]) == (1, 0, 0)
    assert (a["expansion_cents"], a["contraction_cents"]) == (5000, 0)
    assert a["months_since_last_movement"] == 1
    assert a["attr_segment"] == "SMB"


def test_terms_from_subscriptions_and_invoice_lines(small: Ledger) -> None:
    rows = rows_at(small, "2024-03")
    b, d = rows["B"], rows["D"]
    assert (b["billing_interval_months"], b["months_to_renewal"], b["plan"]) == (12, 10, "pro")
    assert b["mrr_cents"] == 10000
    assert (d["billing_interval_months"], d["months_to_renewal"], d["plan"]) == (3, 2, "basic")
    assert pd.isna(rows["A"]["plan"]) and pd.isna(rows["A"]["billing_interval_months"])


def test_labels_look_ahead_within_the_horizon(small: Ledger) -> None:
    ledger = small
    a = rows_at(ledger, "2024-03")["A"]
    assert (a["label_churn"], a["label_contraction"], a["label_expansion"]) == (0, 1, 0)
    assert a["moved_contraction"] == 3000
    a = rows_at(ledger, "2024-05")["A"]  # churns in 2024-07
    assert (a["label_churn"], a["moved_churn"], a["label_contraction"]) == (1, 12000, 0)
    c = rows_at(ledger, "2024-07")["C"]  # 2024-10 is past the ledger's last month
    assert pd.isna(c["label_churn"])


def test_a_renewal_never_reads_the_subscription_end(inputs: Inputs) -> None:
    """The end date of a subscription can record a later churn: it must not move the renewal."""
    ended = rows_at(small_ledger(inputs, b_end="2024-08-15"), "2024-03")["B"]
    assert ended["months_to_renewal"] == 10
