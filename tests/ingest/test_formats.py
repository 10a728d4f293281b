"""Parquet input works like CSV; DataFrames too; customers only in revenue files exist (issue 3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netretain import Ledger, Reject
from tests.conftest import Inputs, mrr_by_customer

S = "subscription"
LINES = [
    ("L1", "C1", "2024-01-15", S, "2024-01-15", "2024-04-15", "300.00", "USD", "S1"),
    ("L2", "C2", "2024-01-01", "usage", "2024-01-01", "2024-02-01", "45.50", "EUR", None),
    ("L3", "C2", "2024-02-01", "one_time", None, None, "999.00", "EUR", None),
    ("L4", "C3", "2024-02-15", S, "2024-02-15", "2024-03-01", "15.00", "USD", None),
]
RATES = [("2024-01", "EUR", "1.10")]
# The ledger ends in 2024-02, the last month a recurring service period starts.
EXPECTED = {
    "C1": {"2024-01": "100", "2024-02": "100"},
    "C2": {"2024-01": "50.05", "2024-02": "0"},  # EUR 45.50 x 1.10
    "C3": {"2024-02": "29"},  # 15 days of February's 29: $15 is $29 a month
}


def expected() -> dict[str, dict[str, Decimal]]:
    return {
        c: {m: Decimal(v).quantize(Decimal("0.01")) for m, v in months.items()}
        for c, months in EXPECTED.items()
    }


def date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def typed_lines() -> pa.Table:
    """LINES as a typed Arrow table: dates, DECIMAL(18,2) amounts, text ids."""
    columns = list(zip(*LINES, strict=True))
    return pa.table(
        {
            "line_id": pa.array(columns[0], pa.string()),
            "customer_id": pa.array(columns[1], pa.string()),
            "invoice_date": pa.array([date(d) for d in columns[2]], pa.date32()),
            "type": pa.array(columns[3], pa.string()),
            "service_start": pa.array([date(d) for d in columns[4]], pa.date32()),
            "service_end": pa.array([date(d) for d in columns[5]], pa.date32()),
            "amount": pa.array([Decimal(a) for a in columns[6]], pa.decimal128(18, 2)),
            "currency": pa.array(columns[7], pa.string()),
            "subscription_id": pa.array(columns[8], pa.string()),
        }
    )


def stored_lines(ledger: Ledger) -> list[dict[str, Any]]:
    rows = ledger.execute(ledger.table("input_invoice_lines")).to_pylist()
    return sorted(({k: v for k, v in r.items() if k != "_file"} for r in rows), key=str)


def test_typed_parquet_is_read_like_csv(inputs: Inputs) -> None:
    from_csv = Ledger()
    from_csv.ingest(invoice_lines=inputs.invoice_lines(LINES), fx_rates=inputs.fx_rates(RATES))
    from_parquet = Ledger()
    result = from_parquet.ingest(
        invoice_lines=inputs.parquet("lines.parquet", typed_lines()),
        fx_rates=inputs.fx_rates(RATES),
    )
    assert (result.accepted, result.rejected) == (5, 0)
    assert mrr_by_customer(from_parquet) == mrr_by_customer(from_csv) == expected()
    # Same rows stored, except that Parquet rows are numbered from 1 (a CSV's from 2).
    csv_rows = stored_lines(from_csv)
    for row in csv_rows:
        row["_row"] -= 1
    assert stored_lines(from_parquet) == csv_rows


def test_parquet_text_columns_are_parsed_and_rejected_like_csv(
    ledger: Ledger, inputs: Inputs
) -> None:
    text = pa.table(
        {
            "line_id": ["P1", "P2", "P3"],
            "customer_id": ["C1", "C1", "C2"],
            "type": [S, S, S],
            "service_start": ["2024-01-01", "2024-01-01", "2024-01-01"],
            "service_end": ["2024-02-01", "2024-02-01", "2024-02-01"],
            "amount": ["10.00", "1O.00", "20.00"],
        }
    )
    path = inputs.parquet("text.parquet", text)
    result = ledger.ingest(invoice_lines=path)
    reason = "not a number (use digits and a dot, e.g. 1200.50)"
    assert result.rejects == [Reject(str(path), 2, "amount", reason, "1O.00")]
    january = {c: m["2024-01"] for c, m in mrr_by_customer(ledger).items()}
    assert january == {"C1": Decimal("10.00"), "C2": Decimal("20.00")}


def test_ingest_frames_takes_dataframes(ledger: Ledger) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["F1", "F1", "F2"],
            "month": ["2024-01", "2024-02", "2024-01"],
            "mrr": ["100.00", "120.00", "80.00"],
        }
    )
    result = ledger.ingest_frames(mrr=frame)
    assert (result.accepted, result.rejected) == (3, 0)
    assert mrr_by_customer(ledger) == {
        "F1": {"2024-01": Decimal("100.00"), "2024-02": Decimal("120.00")},
        "F2": {"2024-01": Decimal("80.00"), "2024-02": Decimal("0.00")},
    }


def test_customers_only_in_revenue_files_are_created_on_the_fly(
    ledger: Ledger, inputs: Inputs
) -> None:
    customers = inputs.csv(
        "customers.csv",
        ("customer_id", "name", "segment"),
        [("C1", "Acme", "Enterprise")],
    )
    ledger.ingest(customers=customers, invoice_lines=inputs.invoice_lines(LINES[:1] + LINES[3:]))
    rows = ledger.execute(ledger.table("customers")).to_pylist()
    by_id = {r["customer_id"]: r for r in rows}
    assert set(by_id) == {"C1", "C3"}
    assert (by_id["C1"]["name"], by_id["C1"]["segment"]) == ("Acme", "Enterprise")
    assert (by_id["C3"]["name"], by_id["C3"]["segment"], by_id["C3"]["parent_id"]) == (
        None,
        None,
        None,
    )


def test_parquet_rows_are_numbered_across_row_groups(ledger: Ledger, tmp_path) -> None:
    n = 2_500
    table = pa.table(
        {
            "line_id": [f"P{i}" for i in range(1, n + 1)],
            "customer_id": ["C1"] * n,
            "type": [S if i != 1_777 else "bogus" for i in range(1, n + 1)],
            "service_start": [dt.date(2024, 1, 1)] * n,
            "service_end": [dt.date(2024, 2, 1)] * n,
            "amount": pa.array([Decimal("1.00")] * n, pa.decimal128(18, 2)),
        }
    )
    path = tmp_path / "lines.parquet"
    pq.write_table(table, path, row_group_size=300)  # the bad row is in the sixth group
    result = ledger.ingest(invoice_lines=path)
    reason = "unknown type: use subscription, one_time, usage"
    assert result.rejects == [Reject(str(path), 1_777, "type", reason, "bogus")]
    assert result.accepted == n - 1


def test_padding_is_trimmed_and_blank_text_is_missing(ledger: Ledger, inputs: Inputs) -> None:
    text = pa.table(
        {
            "line_id": [" P1", "P2\t", "P3", "P4", "\r\nP5\x0b\x0c"],
            "customer_id": ["C1 ", "C1", " \t ", "", "C2"],
            "type": [S] * 5,
            "service_start": ["2024-01-01"] * 5,
            "service_end": ["2024-02-01"] * 5,
            "amount": ["10.00", " 5.00 ", "1.00", "1.00", "7.00"],
        }
    )
    path = inputs.parquet("padded.parquet", text)
    result = ledger.ingest(invoice_lines=path)
    assert [(r.row, r.column, r.reason) for r in result.rejects] == [
        (3, "customer_id", "missing customer"),
        (4, "customer_id", "missing customer"),
    ]
    stored = {r["line_id"]: r["customer_id"] for r in stored_lines(ledger)}
    assert stored == {"P1": "C1", "P2": "C1", "P5": "C2"}


def test_a_file_rewritten_during_the_ingest_is_refused(
    ledger: Ledger, tmp_path, monkeypatch
) -> None:
    from netretain.errors import IngestError
    from netretain.ledger import ingest as pipeline

    path = tmp_path / "lines.parquet"
    pq.write_table(typed_lines(), path)
    original = pipeline._record

    def record_then_rewrite(*args, **kwargs):
        original(*args, **kwargs)
        pq.write_table(typed_lines().slice(0, 1), path)  # another export lands mid-ingest

    monkeypatch.setattr(pipeline, "_record", record_then_rewrite)
    with pytest.raises(IngestError, match="changed while it was being ingested"):
        ledger.ingest(invoice_lines=path)
    monkeypatch.setattr(pipeline, "_record", original)
    result = ledger.ingest(invoice_lines=path)  # nothing of the refused attempt was kept
    assert (result.accepted, result.rejected) == (1, 0)
