"""Stream an input file as Arrow record batches, numbering rows as a user sees them.

CSV row numbers are physical lines with the header as row 1, so the first record is row 2 (as in a
spreadsheet); Parquet rows are numbered from 1. A CSV line with the wrong number of fields is set
aside as a reject and the rows after it keep their true numbers. Nothing holds a whole file in
Python.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from netretain.errors import IngestError, Reject
from netretain.store import Progress

BLOCK_SIZE = 16 << 20


def file_format(path: Path) -> str:
    """csv or parquet, from the file's ending."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise IngestError(f"{path}: unknown file type {suffix!r}; use .csv or .parquet", file=str(path))


def csv_header(path: Path) -> list[str]:
    """The header row's column names, stripped."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise IngestError(f"{path}: the file is empty; a header row is required", file=str(path))
    return [name.strip() for name in header]


@dataclass
class Stream:
    """A file's rows as Arrow batches (plus `_row`), and the lines that could not be parsed."""

    path: Path
    reader: pa.RecordBatchReader
    malformed: list[Reject] = field(default_factory=list)


def _physical_rows(ordinals: np.ndarray, skipped: list[int]) -> np.ndarray:
    """Shift record ordinals past the skipped physical lines before them."""
    rows = ordinals.copy()
    for line in sorted(skipped):
        rows[rows >= line] += 1
    return rows


def open_stream(path: str | Path, progress: Progress | None = None) -> Stream:
    """Open a CSV or Parquet file for streaming; CSV columns all arrive as text."""
    path = Path(path)
    if not path.exists():
        raise IngestError(f"{path}: no such file", file=str(path))
    if file_format(path) == "csv":
        return _csv_stream(path, progress)
    return _parquet_stream(path, progress)


def _csv_stream(path: Path, progress: Progress | None) -> Stream:
    names = csv_header(path)
    if len(set(names)) != len(names):
        raise IngestError(f"{path}: the header repeats a column name: {names}", file=str(path))
    total = path.stat().st_size
    skipped: list[int] = []
    malformed: list[Reject] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        line = int(row.number) if row.number is not None else -1
        skipped.append(line)
        reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
        malformed.append(Reject(str(path), line, "*", reason, row.text))
        return "skip"

    with path.open(newline="", encoding="utf-8-sig") as header:
        as_written = next(csv.reader(header))  # " amount": the reader's name; amount is ours
    handle = path.open("rb")
    reader = pacsv.open_csv(
        handle,
        read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE, use_threads=False),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(as_written, pa.string()), strings_can_be_null=False
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
    )

    def batches() -> Iterator[pa.RecordBatch]:
        ordinal = 2
        try:
            for batch in reader:
                ordinals = np.arange(ordinal, ordinal + batch.num_rows, dtype=np.int64)
                ordinal += batch.num_rows
                rows = _physical_rows(ordinals, [s for s in skipped if s > 0])
                if progress is not None:
                    progress(min(handle.tell(), total), total)
                yield batch.rename_columns(names).append_column("_row", pa.array(rows))
        finally:
            handle.close()

    fields = [f.with_name(n) for f, n in zip(reader.schema, names, strict=True)]
    schema = pa.schema([*fields, pa.field("_row", pa.int64())])
    return Stream(path, pa.RecordBatchReader.from_batches(schema, batches()), malformed)


def _parquet_stream(path: Path, progress: Progress | None) -> Stream:
    parquet = pq.ParquetFile(path)
    total = path.stat().st_size
    count = max(parquet.metadata.num_rows, 1)

    def batches() -> Iterator[pa.RecordBatch]:
        first = 1
        for batch in parquet.iter_batches(batch_size=1 << 20):
            rows = pa.array(np.arange(first, first + batch.num_rows, dtype=np.int64))
            first += batch.num_rows
            if progress is not None:
                progress(int(total * (first - 1) / count), total)
            yield batch.append_column("_row", rows)

    schema = parquet.schema_arrow.append(pa.field("_row", pa.int64()))
    return Stream(path, pa.RecordBatchReader.from_batches(schema, batches()))
