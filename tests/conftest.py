"""Shared fixtures: a fresh in-memory ledger, small input files, and readers of exact results.

Money comes back as Decimal and months as 'YYYY-MM' labels, so every test can compare against
values computed by hand.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netretain import Ledger
from netretain.core.arith import month_label
from netretain.core.results import money
from netretain.definitions import Definition, from_mapping

# pytest-xdist's workers inherit the controller's terminal width as COLUMNS=80; the CLI's console
# reads COLUMNS once, at import, so the CLI tests' own wider COLUMNS would never reach it.
os.environ.pop("COLUMNS", None)

INVOICE_HEADER = (
    "line_id",
    "customer_id",
    "invoice_date",
    "type",
    "service_start",
    "service_end",
    "amount",
    "currency",
    "subscription_id",
)
SUBSCRIPTION_HEADER = (
    "subscription_id",
    "customer_id",
    "start_date",
    "end_date",
    "amount",
    "interval_months",
    "currency",
)
MRR_HEADER = ("customer_id", "month", "mrr", "currency")
FX_HEADER = ("month", "currency", "rate")
CUSTOMER_HEADER = ("customer_id", "name", "signup_date", "parent_id")
MOVEMENT_COLUMNS = ("new", "expansion", "contraction", "churn", "reactivation")

Row = Sequence[object]


class Inputs:
    """Writes small input files (CSV or Parquet) into one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def text(self, name: str, content: str) -> Path:
        """A file with exactly this text (for malformed CSV)."""
        path = self.directory / name
        path.write_text(content, encoding="utf-8")
        return path

    def csv(self, name: str, header: Sequence[str], rows: Iterable[Row]) -> Path:
        """A CSV file: the header is row 1, the first data row is row 2. None is an empty field."""
        path = self.directory / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow(["" if value is None else value for value in row])
        return path

    def parquet(self, name: str, table: pa.Table) -> Path:
        """A Parquet file holding an Arrow table as given (types included)."""
        path = self.directory / name
        pq.write_table(table, path)
        return path

    def invoice_lines(self, rows: Iterable[Row], name: str = "invoice_lines.csv") -> Path:
        """Rows of (line_id, customer, invoice_date, type, start, end, amount, currency[, sub])."""
        return self.csv(name, INVOICE_HEADER, [_pad(r, len(INVOICE_HEADER)) for r in rows])

    def subscriptions(self, rows: Iterable[Row], name: str = "subscriptions.csv") -> Path:
        """Rows of (subscription_id, customer_id, start, end, amount, interval_months, currency)."""
        return self.csv(name, SUBSCRIPTION_HEADER, rows)

    def mrr(self, rows: Iterable[Row], name: str = "mrr.csv") -> Path:
        """Rows of (customer_id, month, mrr, currency)."""
        return self.csv(name, MRR_HEADER, [_pad(r, len(MRR_HEADER)) for r in rows])

    def fx_rates(self, rows: Iterable[Row], name: str = "fx_rates.csv") -> Path:
        """Rows of (month, currency, rate)."""
        return self.csv(name, FX_HEADER, rows)

    def customers(self, rows: Iterable[Row], name: str = "customers.csv") -> Path:
        """Rows of (customer_id, name, signup_date, parent_id)."""
        return self.csv(name, CUSTOMER_HEADER, [_pad(r, len(CUSTOMER_HEADER)) for r in rows])


# Under pytest-xdist (`make test` runs two workers), each test file runs whole in one worker, and so
# do these folders, whose session fixtures are slow to build (the Spark JVM and every engine's copy
# of the company; the 3000-customer demo ledger): one worker builds each once.
WORKER_GROUPS = {
    # starts its own cluster and child session, so it runs beside the engines' worker
    "tests/engines/test_spark_cluster.py": "spark-cluster",
    "tests/engines/": "engines",
    "tests/predict/": "demo",
    "tests/forecast/": "demo",
}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With `--dist loadgroup`: files and WORKER_GROUPS as units of work, the largest first.
    (xdist's xdist_group marks do not reach its scheduler under pytest 9.2: xdist renames
    `item._nodeid`, which pytest no longer reads.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Groups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            group = next((g for d, g in WORKER_GROUPS.items() if nodeid.startswith(d)), None)
            return group or nodeid.split("::", 1)[0]

    return Groups(config, log)


def _pad(row: Row, width: int) -> list[object]:
    return [*row, *([None] * (width - len(row)))]


@pytest.fixture
def ledger() -> Ledger:
    """A fresh, empty in-memory ledger."""
    return Ledger()


@pytest.fixture
def inputs(tmp_path: Path) -> Inputs:
    """Input files written into this test's tmp_path."""
    return Inputs(tmp_path)


def ledger_from(inputs: Inputs, **rows: Iterable[Row]) -> Ledger:
    """A new ledger with these rows ingested (kind -> rows); fails on any reject."""
    ledger = Ledger()
    files = {kind: getattr(inputs, kind)(kind_rows) for kind, kind_rows in rows.items()}
    result = ledger.ingest(**files)
    assert result.rejects == [], [str(r) for r in result.rejects]
    return ledger


def definition(**overrides: Any) -> Definition:
    """ndr@1's knobs with some changed, under a custom name (never mistaken for ndr@1)."""
    base: dict[str, Any] = {"name": "test", "version": 1}
    return from_mapping(base | overrides)


def mrr_by_customer(
    ledger: Ledger, definition: Definition | None = None
) -> dict[str, dict[str, Decimal]]:
    """customer -> {month: MRR} for every row of the (dense) monthly MRR table."""
    rows = ledger.execute(ledger.mrr(definition)).to_pylist()
    out: dict[str, dict[str, Decimal]] = {}
    for row in sorted(rows, key=lambda r: (r["customer_id"], r["month_index"])):
        months = out.setdefault(row["customer_id"], {})
        months[month_label(row["month_index"])] = money(row["mrr_cents"])
    return out


def movement_rows(
    ledger: Ledger, customer: str, definition: Definition | None = None
) -> list[tuple[Any, ...]]:
    """(month, mrr, previous, new, expansion, contraction, churn, reactivation) for one customer."""
    table = ledger.customer_history(customer, definition).to_pylist()
    return [
        (
            month_label(r["month_index"]),
            money(r["mrr_cents"]),
            money(r["previous_cents"]),
            *(money(r[name]) for name in MOVEMENT_COLUMNS),
        )
        for r in table
    ]


def monthly_totals(
    ledger: Ledger, definition: Definition | None = None
) -> dict[str, dict[str, Any]]:
    """month -> the whole business's MRR, customers and movements (Ledger.movements)."""
    return {m.month: m.to_dict() for m in ledger.movements(definition=definition)}


def stored_tables(ledger: Ledger) -> list[str]:
    """The ledger's persistent tables (not the scratch tables an ingest leaves in its session)."""
    found = ledger.store.raw.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name"
    ).fetchall()
    return [name for (name,) in found if not name.startswith("ibis_")]


def state(ledger: Ledger, *, skip: Sequence[str] = ()) -> dict[str, list[str]]:
    """Every stored table's rows (sorted, as text), for before/after comparisons."""
    out: dict[str, list[str]] = {}
    for name in stored_tables(ledger):
        if name not in skip:
            rows = ledger.execute(ledger.table(name)).to_pylist()
            if name == "checksums":  # what it records of a skipped table changes with that table
                rows = [r for r in rows if r["table_name"] not in skip]
            out[name] = sorted(repr(sorted(r.items())) for r in rows)
    return out


def months(values: Mapping[str, str | int]) -> dict[str, Decimal]:
    """{month: '100.00'} written compactly, as Decimal money."""
    return {month: Decimal(str(value)).quantize(Decimal("0.01")) for month, value in values.items()}


def month_range(first: str, last: str) -> list[str]:
    """Every 'YYYY-MM' label from first to last inclusive."""
    start, end = (int(x[:4]) * 12 + int(x[5:7]) - 1 for x in (first, last))
    return [month_label(index) for index in range(start, end + 1)]


def mrr_rows(
    customer: str, first: str, last: str, amount: str, currency: str = "USD"
) -> list[tuple[str, str, str, str]]:
    """MRR input rows: `amount` for the customer in every month from first to last."""
    return [(customer, month, amount, currency) for month in month_range(first, last)]
