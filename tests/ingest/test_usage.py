"""Usage events and plan allowances: validated, rejected, stored and summed per month (DuckDB).

The same fixture files are checked on Spark and PostgreSQL in tests/engines/test_usage_ingest.py.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netretain import Ledger
from netretain.core.arith import month_label
from tests.ingest.usage_cases import (
    PLAN_COUNTS,
    PLAN_REJECTS,
    PLANS,
    STORED_TIMES,
    USAGE,
    USAGE_COUNTS,
    USAGE_MONTHLY,
    USAGE_REJECTS,
    reject_rows,
)

CUSTOMERS = "customer_id,name\nC0000001,Acme\nC0000002,Globex\n"


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS)
    ledger = Ledger(tmp_path / "l.duckdb")
    ledger.ingest(customers=path)
    return ledger


def counts(result: object, kind: str) -> tuple[int, int, int]:
    f = next(f for f in result.files if f.kind == kind)  # type: ignore[attr-defined]
    return f.accepted, f.unchanged, f.rejected


def monthly(ledger: Ledger, metric: str) -> list[tuple[str, str, float]]:
    t = ledger.store.to_arrow(ledger.store.table("usage_monthly")).to_pylist()
    return sorted(
        (r["customer_id"], month_label(r["month_index"]), r["quantity"])
        for r in t
        if r["metric"] == metric
    )


def test_bad_usage_rows_are_rejected_with_file_row_column_reason(ledger: Ledger) -> None:
    result = ledger.ingest(usage_events=USAGE, plans=PLANS)
    assert reject_rows(result, USAGE) == sorted(USAGE_REJECTS)
    assert reject_rows(result, PLANS) == sorted(PLAN_REJECTS)
    assert counts(result, "usage_events") == USAGE_COUNTS
    assert counts(result, "plans") == PLAN_COUNTS
    stored = ledger.store.to_arrow(ledger.store.table("input_usage_events")).to_pylist()
    assert sorted(r["date"] for r in stored) == STORED_TIMES
    assert monthly(ledger, "exports") == USAGE_MONTHLY
    refused = ledger.store.to_arrow(ledger.store.table("refused_usage_events")).num_rows
    assert refused == USAGE_COUNTS[2]


def test_reingest_is_idempotent_and_replace_corrects(ledger: Ledger, tmp_path: Path) -> None:
    ledger.ingest(usage_events=USAGE)
    again = ledger.ingest(usage_events=USAGE)
    assert again.files[0].skipped
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("customer_id,date,metric,quantity\nC0000002,2024-01-07,exports,9\n")
    refused = ledger.ingest(usage_events=fixed)
    assert counts(refused, "usage_events") == (0, 0, 1)
    assert "ingest it again with replace" in refused.rejects[0].reason
    replaced = ledger.ingest(usage_events=fixed, replace=True)
    assert replaced.files[0].replaced == 1
    expected = [("C0000001", "2024-01", 5.5), ("C0000002", "2024-01", 10.0)]
    assert monthly(ledger, "exports") == expected


def test_usage_in_the_same_ingest_as_its_customers_is_known(tmp_path: Path) -> None:
    customers, usage = tmp_path / "c.csv", tmp_path / "u.csv"
    customers.write_text("customer_id\nC1\n")
    usage.write_text("customer_id,date,metric,quantity\nC1,2024-03-31T23:59:59Z,api_calls,7\n")
    ledger = Ledger(tmp_path / "l.duckdb")
    result = ledger.ingest(usage_events=usage, customers=customers)
    assert result.rejected == 0
    assert monthly(ledger, "api_calls") == [("C1", "2024-03", 7.0)]


def test_typed_parquet_usage(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "usage.parquet"
    table = pa.table(
        {
            "customer_id": ["C0000001", "C0000001", "C0000002"],
            "date": pa.array([19725, 19726, 19727], type=pa.date32()),
            "metric": ["api_calls"] * 3,
            "quantity": [1.5, float("nan"), 2.0],
        }
    )
    pq.write_table(table, path)
    result = ledger.ingest(usage_events=path)
    assert [(r.row, r.column, r.reason) for r in result.rejects] == [
        (2, "quantity", "not a number")
    ]
    expected = [("C0000001", "2024-01", 1.5), ("C0000002", "2024-01", 2.0)]
    assert monthly(ledger, "api_calls") == expected
