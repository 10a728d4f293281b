"""Segment tables, size bands, plan at window start, trend and bridge, computed by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from netretain import Ledger
from netretain.definitions import default
from netretain.errors import LedgerError
from tests.conftest import Inputs, definition

SIX = definition(window_months=6)


def by_key(rows, *names):
    return {tuple(r[n] for n in names): r for r in rows}


def test_segment_table(tiny):
    table = tiny.segments(by="segment", as_of="2025-01")
    assert table.as_of == "2025-01" and table.by == ("segment",)
    rows = by_key(table.rows, "segment")
    smb, ent = rows[("SMB",)], rows[("Enterprise",)]
    assert smb == {
        "segment": "SMB",
        "definition": default().stamp(),
        "currency": "USD",
        "ndr": pytest.approx(100 / 300),
        "gdr": pytest.approx(100 / 300),
        "logo_retention": 0.5,
        "starting_mrr": Decimal("300.00"),
        "ending_mrr": Decimal("100.00"),
        "expansion_mrr": Decimal("0.00"),
        "contraction_mrr": Decimal("0.00"),
        "churn_mrr": Decimal("200.00"),
        "customers_start": 2,
        "customers_retained": 1,
        "small": True,
    }
    assert ent["ndr"] == pytest.approx(2100 / 1800)
    assert ent["gdr"] == pytest.approx(1600 / 1800)
    assert (ent["expansion_mrr"], ent["contraction_mrr"]) == (Decimal("500.00"), Decimal("200.00"))
    assert [r["segment"] for r in table.rows] == ["Enterprise", "SMB"]


def test_combined_attributes_and_size_bands(tiny):
    rows = by_key(tiny.segments(by="segment,region", as_of="2025-01").rows, "segment", "region")
    assert set(rows) == {
        ("SMB", "NA"),
        ("SMB", "EMEA"),
        ("Enterprise", "NA"),
        ("Enterprise", "EMEA"),
    }
    assert rows[("Enterprise", "EMEA")]["contraction_mrr"] == Decimal("200.00")
    bands = tiny.segments(by="size_band", as_of="2025-01").rows
    # 100 and 200 a month are under 12k a year; 800 is 9,600 a year; 1000 is exactly 12k.
    assert [(r["size_band"], r["customers_start"]) for r in bands] == [("<12k", 3), ("12k-25k", 1)]


def test_unknown_attribute_names_the_known_ones(tiny):
    with pytest.raises(LedgerError, match=r"unknown attribute.*colour.*segment"):
        tiny.segments(by="colour")


def test_plan_at_start_reads_the_lines_then_the_customers_table(tmp_path):
    inputs = Inputs(tmp_path)
    header = ("line_id", "customer_id", "type", "service_start", "service_end", "amount", "plan")
    lines = inputs.csv(
        "lines.csv",
        header,
        [
            ("L1", "X", "subscription", "2024-01-01", "2024-07-01", "600.00", "starter"),
            ("L2", "X", "subscription", "2024-07-01", "2025-01-01", "1200.00", "growth"),
            ("L3", "X", "subscription", "2025-01-01", "2025-02-01", "200.00", "growth"),
            ("L4", "Y", "subscription", "2024-01-01", "2025-01-01", "1200.00", ""),
            ("L5", "Y", "subscription", "2025-01-01", "2025-02-01", "100.00", ""),
        ],
    )
    customers = inputs.csv(
        "customers.csv", ("customer_id", "plan"), [("X", "growth"), ("Y", "scale")]
    )
    ledger = Ledger()
    assert ledger.ingest(customers=customers, invoice_lines=lines).rejects == []
    july = by_key(
        ledger.segments(by="plan_at_start", as_of="2024-07", definition=SIX).rows, "plan_at_start"
    )
    assert {k[0]: r["starting_mrr"] for k, r in july.items()} == {
        "starter": Decimal("100.00"),  # X's plan in January, though it is on growth now
        "scale": Decimal("100.00"),  # Y's lines carry no plan: the customers table's
    }
    jan = ledger.segments(by="plan_at_start", as_of="2025-01", definition=SIX).rows
    assert {r["plan_at_start"] for r in jan} == {"growth", "scale"}


def test_trend_is_every_as_of_month_of_one_pass(tiny):
    rows = tiny.trend(definition=SIX)
    assert [r["as_of"] for r in rows] == [f"2024-{m:02d}" for m in range(7, 13)] + ["2025-01"]
    first = rows[0]  # cohort of 2024-01: A, B, C, D; B has gone by July
    assert first["ndr"] == pytest.approx(1900 / 2100)
    assert first["definition"]["name"] == "test" and first["currency"] == "USD"
    assert "months" not in first and "small" not in first
    last = tiny.trend(by="segment", start="2025-01", end="2025-01", definition=SIX)
    assert [(r["as_of"], r["segment"]) for r in last] == [
        ("2025-01", "Enterprise"),
        ("2025-01", "SMB"),
    ]
    assert last[0]["ndr"] == pytest.approx(2400 / 2100)


def test_trend_matches_the_report(tiny):
    for row in tiny.trend(definition=SIX)[::6]:
        report = tiny.report(row["as_of"], SIX).to_dict()
        # the report's own context (window, total MRR, ...) is not a trend row's
        only = ("months", "message", "total_mrr", "window", "differences", "warnings")
        assert {k: row[k] for k in report if k not in only} == {
            k: v for k, v in report.items() if k not in only
        }


def test_bridge(tiny):
    (bridge,) = tiny.bridge(as_of="2025-01")
    steps = [(s["step"], s["amount"], s["running"]) for s in bridge.steps()]
    assert steps == [
        ("starting MRR", Decimal("2100.00"), Decimal("2100.00")),
        ("expansion", Decimal("500.00"), Decimal("2600.00")),
        ("contraction", Decimal("-200.00"), Decimal("2400.00")),
        ("churn", Decimal("-200.00"), Decimal("2200.00")),
        ("ending MRR", Decimal("2200.00"), Decimal("2200.00")),
    ]
    assert bridge.to_dict()["ndr"] == pytest.approx(2200 / 2100)
    per_segment = {b.segment["segment"]: b.retention for b in tiny.bridge("2025-01", by="segment")}
    assert per_segment["SMB"].churn_mrr == Decimal("200.00")
    assert per_segment["Enterprise"].ending_mrr == Decimal("2100.00")


def test_parent_accounts_roll_up_with_the_parents_attributes(tmp_path):
    inputs = Inputs(tmp_path)
    customers = inputs.csv(
        "customers.csv",
        ("customer_id", "parent_id", "segment"),
        [("P", "", "Enterprise"), ("K", "P", "SMB"), ("S", "", "SMB")],
    )
    months = ["2024-01", "2024-02", "2024-03"]
    rows = [("P", m, "1000.00", "USD") for m in months] + [
        ("K", m, "100.00", "USD") for m in months
    ]
    rows += [("S", "2024-01", "50.00", "USD"), ("S", "2024-02", "50.00", "USD")]
    ledger = Ledger()
    assert ledger.ingest(customers=customers, mrr=inputs.mrr(rows)).rejects == []
    parent = definition(window_months=2, account_level="parent")
    rows = by_key(ledger.segments(by="segment", as_of="2024-03", definition=parent).rows, "segment")
    assert rows[("Enterprise",)]["starting_mrr"] == Decimal("1100.00")  # P with its child K
    assert rows[("Enterprise",)]["customers_start"] == 1
    assert rows[("SMB",)]["churn_mrr"] == Decimal("50.00")
    own = definition(window_months=2)
    flat = by_key(ledger.segments(by="segment", as_of="2024-03", definition=own).rows, "segment")
    assert flat[("SMB",)]["starting_mrr"] == Decimal("150.00")  # K counted as itself


def test_an_attribute_named_like_an_output_field_is_refused() -> None:
    import pandas as pd

    from netretain import Ledger, LedgerError

    ledger = Ledger()
    ledger.ingest_frames(
        customers=pd.DataFrame({"customer_id": ["A"], "ndr": ["high"]}),
        invoice_lines=pd.DataFrame(
            {
                "line_id": ["1"],
                "customer_id": ["A"],
                "type": ["subscription"],
                "service_start": ["2024-01-01"],
                "service_end": ["2025-01-01"],
                "amount": ["1200.00"],
            }
        ),
    )
    with pytest.raises(LedgerError, match="ndr share a name with an output field"):
        ledger.segments(by=["ndr"])
