"""Stream an input file as Arrow record batches, numbering rows as a user sees them.

CSV row numbers are physical lines with the header as row 1, so the first record is row 2 (as in a
spreadsheet), also after blank lines and values with line breaks; Parquet rows are numbered from 1.
A blank line (or one of only commas) is no row; a CSV line with the wrong number of fields is set
aside as a reject and the rows after it keep their true numbers. Before staging, a CSV file is
checked to be UTF-8 (or transcoded from UTF-16 by its BOM, or from the encoding the caller names)
and comma-separated. Nothing holds a whole file in Python.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from netretain.errors import IngestError, Reject, arg
from netretain.store import Progress

BLOCK_SIZE = 16 << 20
CHUNK = 1 << 22
# Byte order marks, longest first (a UTF-32 LE mark starts like a UTF-16 LE one).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
DELIMITERS = {";": "a semicolon", "\t": "a tab", "|": "a vertical bar"}


def file_format(path: Path) -> str:
    """csv or parquet, from the file's ending."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise IngestError(f"{path}: unknown file type {suffix!r}; use .csv or .parquet", file=str(path))


def csv_header(path: Path, label: str | None = None) -> list[str]:
    """The header row's column names, stripped; a file that is not comma-separated is refused."""
    label = label or str(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        if handle.readline().count('"') % 2:
            raise IngestError(
                f"{label}: the header row opens a quote it never closes; fix the header row",
                file=label,
            )
        handle.seek(0)
        header = next(csv.reader(handle), None)
    if not header:
        raise IngestError(f"{label}: the file is empty; a header row is required", file=label)
    if len(header) == 1:
        for delimiter, name in DELIMITERS.items():
            if delimiter in header[0]:
                raise IngestError(
                    f"{label}: the delimiter is {name}, not a comma; "
                    "save the file as comma-separated CSV",
                    file=label,
                )
    names = [name.strip() for name in header]
    if len(set(names)) != len(names):
        raise IngestError(f"{label}: the header repeats a column name: {names}", file=label)
    return names


def bom_encoding(path: Path) -> str | None:
    """The encoding a file's byte order mark names (UTF-16/32), if it has one."""
    with path.open("rb") as handle:
        start = handle.read(4)
    return next((name for bom, name in BOMS if start.startswith(bom)), None)


def utf8_csv(path: Path, into: Path, *, encoding: str | None = None, label: str = "") -> Path:
    """A CSV file as UTF-8: the file itself when it is, else a transcoded copy under `into`.

    The encoding is the caller's, else the one the BOM names, else UTF-8, which is checked: the
    first line that is not valid UTF-8 refuses the file, naming the line and the byte.
    """
    label = label or str(path)
    if file_format(path) != "csv":
        return path
    name = encoding or bom_encoding(path) or "utf-8"
    try:
        codec = codecs.lookup(name)
    except LookupError:
        raise IngestError(
            f"{label}: unknown encoding {name!r}; use a name such as latin-1 or utf-16", file=label
        ) from None
    if codec.name in ("utf-8", "utf-8-sig"):
        _check_utf8(path, label)
        return path
    decoder = codec.incrementaldecoder()
    target = into / f"{path.stem}.utf8.csv"
    _transcode(path, target, decoder, name, label)
    return target


def _decode_error(label: str, name: str, line: int, offset: int, byte: int) -> IngestError:
    advice = (
        f"if it is in another encoding, say which with {arg('encoding')}, e.g. latin-1"
        if name == "utf-8"
        else "check the encoding"
    )
    return IngestError(
        f"{label}: row {line} is not valid {name} (byte 0x{byte:02x} at offset {offset}); {advice}",
        file=label,
    )


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _check_utf8(path: Path, label: str) -> None:
    """Refuse a file with bytes that are not UTF-8, naming the physical line of the first one."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines = 0, 0
    for chunk in _chunks(path):
        if (nul := chunk.find(b"\0")) >= 0:  # never text: binary data, or UTF-16 without a BOM
            line = lines + chunk.count(b"\n", 0, nul) + 1
            raise _decode_error(label, "utf-8", line, offset + nul, 0)
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = lines + exc.object.count(b"\n", 0, exc.start) + 1
            byte = exc.object[exc.start]
            raise _decode_error(label, "utf-8", line, offset + exc.start, byte) from None
        offset += len(chunk)
        lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _decode_error(label, "utf-8", lines + 1, offset - 1, 0) from None


def _transcode(
    path: Path, target: Path, decoder: codecs.IncrementalDecoder, name: str, label: str
) -> None:
    """Write `path` decoded with `decoder` to `target` as UTF-8, a chunk at a time."""
    lines, offset = 0, 0
    with target.open("w", encoding="utf-8", newline="") as out:
        try:
            for chunk in _chunks(path):
                text = decoder.decode(chunk)
                if (nul := text.find("\0")) >= 0:
                    line = lines + text.count("\n", 0, nul) + 1
                    raise _decode_error(label, name, line, offset, 0)
                out.write(text.removeprefix("\ufeff") if offset == 0 else text)
                lines += text.count("\n")
                offset += len(chunk)
            out.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as exc:
            byte = exc.object[exc.start] if exc.start < len(exc.object) else 0
            raise _decode_error(label, name, lines + 1, offset + exc.start, byte) from None
        except UnicodeError as exc:  # e.g. UTF-16 asked for, but the file has no BOM
            raise IngestError(f"{label}: not {name}: {exc}", file=label) from None


@dataclass
class Stream:
    """A file's rows as Arrow batches (plus `_row`), and the lines that could not be parsed.

    `malformed` is complete once the batches have been read.
    """

    path: Path
    reader: pa.RecordBatchReader
    malformed: list[Reject] = field(default_factory=list)


def _physical_rows(ordinals: np.ndarray, skipped: list[int]) -> np.ndarray:
    """Shift record ordinals past the skipped records before them."""
    rows = ordinals.copy()
    for line in sorted(skipped):
        rows[rows >= line] += 1
    return rows


@dataclass
class _Lines:
    """Records (numbered from the header, 1) whose values hold line breaks, and how many."""

    records: list[int] = field(default_factory=list)
    breaks: list[int] = field(default_factory=list)

    def add(self, records: np.ndarray, breaks: np.ndarray) -> None:
        self.records.extend(records.tolist())
        self.breaks.extend(breaks.tolist())

    def physical(self, records: np.ndarray) -> np.ndarray:
        """Each record's first physical line: its number plus the line breaks before it."""
        if not self.records:
            return records
        order = np.argsort(self.records, kind="stable")
        at = np.asarray(self.records, dtype=np.int64)[order]
        before = np.concatenate([[0], np.cumsum(np.asarray(self.breaks, dtype=np.int64)[order])])
        return records + before[np.searchsorted(at, records, side="left")]


def open_stream(path: str | Path, progress: Progress | None = None) -> Stream:
    """Open a CSV or Parquet file for streaming; CSV columns all arrive as text."""
    path = Path(path)
    if not path.exists():
        raise IngestError(f"{path}: no such file", file=str(path))
    if file_format(path) == "csv":
        return _csv_stream(path, progress)
    return _parquet_stream(path, progress)


def _line_breaks(batch: pa.RecordBatch) -> np.ndarray:
    """Line breaks inside each row's values (a quoted value may span lines)."""
    total = np.zeros(batch.num_rows, dtype=np.int64)
    for column in batch.columns:
        total += pc.count_substring(column, "\n").fill_null(0).to_numpy(zero_copy_only=False)
    return total


def _blank(batch: pa.RecordBatch) -> pa.Array:
    """Rows with no value at all: a blank line, or one of only commas."""
    empty = [pc.equal(column, "") for column in batch.columns]
    blank = empty[0]
    for more in empty[1:]:
        blank = pc.and_(blank, more)
    return blank


def _csv_stream(path: Path, progress: Progress | None) -> Stream:
    names = csv_header(path)
    total = path.stat().st_size
    invalid: list[pacsv.InvalidRow] = []
    lines = _Lines()
    malformed: list[Reject] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(row)
        if row.number is not None and "\n" in row.text:
            lines.add(np.array([row.number]), np.array([row.text.count("\n")]))
        return "skip"

    with path.open(newline="", encoding="utf-8-sig") as header:
        as_written = next(csv.reader(header))  # " amount": the reader's name; amount is ours
    handle = path.open("rb")
    try:
        reader = pacsv.open_csv(
            handle,
            read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE, use_threads=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(as_written, pa.string()), strings_can_be_null=False
            ),
            parse_options=pacsv.ParseOptions(
                invalid_row_handler=on_invalid, newlines_in_values=True, ignore_empty_lines=False
            ),
        )
    except pa.ArrowInvalid as error:
        handle.close()
        raise _unreadable(path, error) from None

    def batches() -> Iterator[pa.RecordBatch]:
        ordinal = 2
        try:
            for batch in reader:
                ordinals = np.arange(ordinal, ordinal + batch.num_rows, dtype=np.int64)
                ordinal += batch.num_rows
                records = _physical_rows(ordinals, [r.number for r in invalid if r.number])
                breaks = _line_breaks(batch)
                lines.add(records[breaks > 0], breaks[breaks > 0])
                rows = pa.array(lines.physical(records))
                if progress is not None:
                    progress(min(handle.tell(), total), total)
                numbered = batch.rename_columns(names).append_column("_row", rows)
                yield numbered.filter(pc.invert(_blank(batch)))
            malformed.extend(_rejects(path, invalid, lines))
        except pa.ArrowInvalid as error:
            raise _unreadable(path, error) from None
        finally:
            handle.close()

    fields = [f.with_name(n) for f, n in zip(reader.schema, names, strict=True)]
    schema = pa.schema([*fields, pa.field("_row", pa.int64())])
    return Stream(path, pa.RecordBatchReader.from_batches(schema, batches()), malformed)


def _unreadable(path: Path, error: pa.ArrowInvalid) -> IngestError:
    """A CSV file whose structure the reader cannot follow (most often a quote opened in the
    header and never closed): one message, since no row can be told from the next."""
    reason = str(error).removeprefix("CSV parse error: ")
    return IngestError(
        f"{path}: cannot be read as CSV ({reason}); check the header row and that every quote "
        "is closed",
        file=str(path),
    )


def _rejects(path: Path, invalid: list[pacsv.InvalidRow], lines: _Lines) -> list[Reject]:
    """The lines with the wrong number of fields, at their physical line numbers."""
    numbers = np.array([r.number or -1 for r in invalid], dtype=np.int64)
    physical = lines.physical(numbers) if len(numbers) else numbers
    return [
        Reject(
            str(path),
            int(line) if row.number else -1,
            "*",
            f"expected {row.expected_columns} fields, found {row.actual_columns}",
            row.text,
        )
        for row, line in zip(invalid, physical, strict=True)
    ]


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
