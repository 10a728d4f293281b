"""The benchmark's hand-written baselines compute exactly netretain's figures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from benchmarks.contenders import duckdb_sql, netretain_runs, pandas_report
from benchmarks.data import Dataset, ensure_dataset
from benchmarks.figures import Disagreement, Figures, compare
from netretain import Ledger
from netretain.synthetic.arrow import (
    CUSTOMERS_SCHEMA,
    FX_RATES_SCHEMA,
    INVOICE_LINES_SCHEMA,
    SUBSCRIPTIONS_SCHEMA,
)

BASELINES = {"duckdb-sql": duckdb_sql.run, "pandas": pandas_report.run}


def reference(dataset: Dataset, ledger_path: Path) -> Figures:
    """netretain's figures for a dataset, from a fresh ledger."""
    ledger = Ledger(ledger_path)
    assert netretain_runs.ingest(ledger, dataset)["rejected"] == 0
    return netretain_runs.full_report(ledger)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, Figures]:
    """A generated company of 200 customers over 24 months, and netretain's figures for it."""
    root = tmp_path_factory.mktemp("company")
    dataset, _ = ensure_dataset(200, months=24, seed=11, root=root)
    return dataset, reference(dataset, root / "ledger.duckdb")


def _table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def edge_case_files(directory: Path) -> Dataset:
    """Month-end periods, a leap day, a missing FX month, an exact half cent, a credit line, an
    unbilled open subscription, a reactivation and a customer missing from the customers file."""
    from datetime import date
    from decimal import Decimal as D

    def line(
        n: int,
        customer: str,
        kind: str,
        start: date | None,
        end: date | None,
        amount: str,
        currency: str = "USD",
        sub: str | None = None,
    ) -> dict:
        return {
            "line_id": f"L{n}",
            "customer_id": customer,
            "invoice_date": start or date(2024, 5, 3),
            "type": kind,
            "service_start": start,
            "service_end": end,
            "amount": D(amount),
            "currency": currency,
            "quantity": None,
            "plan": None,
            "subscription_id": sub,
        }

    d = date
    lines = [
        line(1, "C1", "subscription", d(2024, 1, 31), d(2024, 2, 29), "100.00", sub="S1"),
        line(2, "C1", "subscription", d(2024, 2, 29), d(2024, 3, 31), "100.00", sub="S1"),
        line(3, "C1", "subscription", d(2024, 3, 31), d(2024, 7, 15), "350.00", sub="S1"),
        line(4, "C2", "subscription", d(2024, 1, 15), d(2025, 1, 15), "1200.00", "EUR"),
        line(5, "C3", "subscription", d(2024, 2, 10), d(2024, 5, 10), "300.00", "GBP"),
        line(6, "C3", "subscription", d(2024, 8, 10), d(2024, 11, 10), "330.00", "GBP"),
        line(7, "C4", "usage", d(2024, 3, 1), d(2024, 4, 1), "100.10", "EUR"),
        line(8, "C4", "usage", d(2024, 4, 1), d(2024, 5, 1), "100.30", "EUR"),
        line(9, "C5", "subscription", d(2024, 1, 1), d(2024, 7, 1), "600.00"),
        line(10, "C5", "subscription", d(2024, 3, 1), d(2024, 4, 1), "-150.00"),
        line(11, "C5", "one_time", None, None, "5000.00"),
        line(12, "C7", "usage", d(2024, 6, 20), d(2024, 7, 20), "77.77"),
        line(13, "C7", "usage", d(2024, 9, 5), d(2024, 10, 1), "12.34"),
    ]
    subscriptions = [
        {
            "subscription_id": "S1",
            "customer_id": "C1",
            "start_date": d(2024, 1, 31),
            "end_date": None,
            "amount": D("100.00"),
            "interval_months": 1,
            "currency": "USD",
            "quantity": 1,
            "plan": "starter",
        },
        {
            "subscription_id": "S2",
            "customer_id": "C6",
            "start_date": d(2024, 3, 1),
            "end_date": None,
            "amount": D("300.00"),
            "interval_months": 3,
            "currency": "USD",
            "quantity": 1,
            "plan": "growth",
        },
        {
            "subscription_id": "S3",
            "customer_id": "C6",
            "start_date": d(2024, 2, 14),
            "end_date": d(2024, 12, 1),
            "amount": D("99.99"),
            "interval_months": 12,
            "currency": "EUR",
            "quantity": 1,
            "plan": "growth",
        },
    ]
    segments = {
        "C1": "SMB",
        "C2": "Enterprise",
        "C3": "SMB",
        "C4": "Mid-Market",
        "C5": "SMB",
        "C6": "Enterprise",
    }
    customers = [
        dict.fromkeys(CUSTOMERS_SCHEMA.names) | {"customer_id": c, "segment": s}
        for c, s in segments.items()
    ]
    rates = [
        ("2024-01", "EUR", "1.08"),
        ("2024-03", "EUR", "1.15"),
        ("2024-05", "EUR", "1.1"),
        ("2024-01", "GBP", "1.27"),
        ("2024-07", "GBP", "1.2712345"),
        ("2024-01", "USD", "2"),
    ]
    fx = [{"month": m, "currency": c, "rate": D(r)} for m, c, r in rates]
    tables = {
        "invoice_lines": (lines, INVOICE_LINES_SCHEMA),
        "subscriptions": (subscriptions, SUBSCRIPTIONS_SCHEMA),
        "customers": (customers, CUSTOMERS_SCHEMA),
        "fx_rates": (fx, FX_RATES_SCHEMA),
    }
    dataset = Dataset("edge", 7, 12, 0, directory)
    directory.mkdir(parents=True, exist_ok=True)
    for kind, (rows, schema) in tables.items():
        pq.write_table(_table(rows, schema), dataset.paths[kind])
    return dataset


@pytest.fixture(scope="module")
def edge_cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, Figures]:
    """Hand-made files that hit each rule's corner, and netretain's figures for them."""
    root = tmp_path_factory.mktemp("edge")
    dataset = edge_case_files(root / "files")
    return dataset, reference(dataset, root / "ledger.duckdb")


@pytest.mark.parametrize("baseline", sorted(BASELINES))
def test_baseline_agrees_on_a_generated_company(company, baseline) -> None:
    dataset, expected = company
    assert expected.trend.num_rows == 12 and expected.movements.num_rows == 24
    compare(expected, BASELINES[baseline](dataset), contender=baseline)


@pytest.mark.parametrize("baseline", sorted(BASELINES))
def test_baseline_agrees_on_edge_cases(edge_cases, baseline) -> None:
    dataset, expected = edge_cases
    assert pc.sum(expected.movements.column("reactivation")).as_py() > 0
    compare(expected, BASELINES[baseline](dataset), contender=baseline)


def test_a_one_cent_difference_fails_loudly(company) -> None:
    _, expected = company
    moves = expected.movements
    shifted = pc.add(moves.column("expansion"), 1)
    changed = moves.set_column(moves.column_names.index("expansion"), "expansion", shifted)
    with pytest.raises(Disagreement, match="expansion"):
        compare(expected, dataclasses.replace(expected, movements=changed), contender="test")
