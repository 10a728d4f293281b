"""The generated company's tables and a streaming writer for CSV or Parquet files."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

WRITE_BATCH_ROWS = 500_000
CSV_BATCH_ROWS = 65_536


@dataclass(frozen=True)
class SyntheticCompany:
    """A synthetic subscription business in netretain's input formats, and its hidden health."""

    customers: pa.Table
    subscriptions: pa.Table
    invoice_lines: pa.Table
    fx_rates: pa.Table
    plans: pa.Table
    usage_events: pa.Table
    # The hidden health per customer-month (customer_id, month, health) that drove churn,
    # contraction, expansion and usage: never an input, kept for checking what a model recovers.
    health: pa.Table
    bad_invoice_lines: list[dict[str, str]] = field(default_factory=list)

    def tables(self) -> dict[str, pa.Table]:
        """The input tables by their file stem (the health is not one of them)."""
        return {
            "customers": self.customers,
            "subscriptions": self.subscriptions,
            "invoice_lines": self.invoice_lines,
            "fx_rates": self.fx_rates,
            "plans": self.plans,
            "usage_events": self.usage_events,
        }

    def write_health(self, path: Path) -> Path:
        """Write the hidden health as Parquet (kept apart from the inputs)."""
        _write_parquet(self.health, Path(path))
        return Path(path)

    def write(
        self, directory: Path, *, format: Literal["csv", "parquet"] = "csv"
    ) -> dict[str, Path]:
        """Write each table in batches (bounded memory); CSV invoice lines end with the bad rows."""
        if format not in ("csv", "parquet"):
            raise ValueError(f"format must be 'csv' or 'parquet', got {format!r}")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, table in self.tables().items():
            path = directory / f"{name}.{format}"
            if format == "csv":
                _write_csv(table, path)
            else:
                _write_parquet(table, path)
            paths[name] = path
        if format == "csv" and self.bad_invoice_lines:
            _append_raw_rows(
                paths["invoice_lines"], self.invoice_lines.schema, self.bad_invoice_lines
            )
        return paths


def _batches(table: pa.Table) -> list[pa.RecordBatch]:
    return table.to_batches(max_chunksize=WRITE_BATCH_ROWS)


def _write_csv(table: pa.Table, path: Path) -> None:
    """Stream a table to CSV: ISO dates, empty strings for nulls, quotes only where needed."""
    options = pacsv.WriteOptions(
        quoting_style="needed", quoting_header="none", batch_size=CSV_BATCH_ROWS
    )
    with pacsv.CSVWriter(path, table.schema, write_options=options) as writer:
        for batch in _batches(table):
            writer.write_batch(batch)


def _write_parquet(table: pa.Table, path: Path) -> None:
    """Stream a table to Parquet, one row group per batch."""
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        for batch in _batches(table):
            writer.write_batch(batch, row_group_size=WRITE_BATCH_ROWS)


def _append_raw_rows(path: Path, schema: pa.Schema, rows: list[dict[str, str]]) -> None:
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=schema.names, lineterminator="\n")
        writer.writerows(rows)
