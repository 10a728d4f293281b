"""PostgreSQL: ledger tables in one schema, an ingest in one real transaction.

Ibis's postgres backend runs every statement inside psycopg's `connection.transaction()` on an
autocommit connection. Our `transaction()` opens the outer `connection.transaction()`, so Ibis's
blocks become savepoints and nothing commits before we do. Input files are streamed to the server
with COPY FROM STDIN: a CSV file as its raw lines (the server numbers them with an identity column
and splits them with `nr_csv_fields`), a Parquet file as Arrow batches written as CSV.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import ibis
import ibis.common.exceptions as com
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.csv as pacsv

from netretain.engines import hashing
from netretain.engines.base import union_of_spans, unwatched
from netretain.engines.postgres_sql import FUNCTIONS, compiler
from netretain.engines.readers import csv_header, file_format, open_stream
from netretain.errors import EngineError, IngestError, Reject, UnsupportedError, arg
from netretain.store import Progress, Staged

CHUNK = 1 << 20
# One CSV line per row: delimiter and quote are control bytes that never occur in a CSV export.
RAW_LINES = "(FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02', ENCODING 'UTF8')"


def connect(url: str):
    """A psycopg autocommit connection, or EngineError saying how to reach or start the server."""
    try:
        import psycopg
    except ImportError:
        raise EngineError(
            "PostgreSQL support is not installed: pip install 'netretain[postgres]'"
        ) from None
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        where = _redact(url)
        raise EngineError(
            f"cannot reach PostgreSQL at {where}: {' '.join(str(exc).split())} Start the server "
            "(e.g. `pg_ctlcluster 15 main start`) or fix "
            f"{arg('postgres_url')} / NETRETAIN_POSTGRES_URL"
        ) from None


def _redact(url: str) -> str:
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.rsplit('@', 1)[1]}"
    return url.split("password=")[0].strip() or "the given URL"


def quote(name: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


class PostgresStore:
    """Ledger tables in a PostgreSQL schema (created if missing), with netretain's SQL functions."""

    name = "postgres"

    def __init__(self, url: str, *, schema: str = "netretain"):
        self.schema = schema
        self.raw = connect(url)
        with self.raw.transaction():
            self.raw.execute("SELECT pg_advisory_xact_lock(hashtext('netretain.functions'))")
            self.raw.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
            self.raw.execute("SELECT set_config('search_path', %s, false)", (quote(schema),))
            # LLVM JIT spends minutes on the wide expressions of the ledger's queries.
            self.raw.execute("SELECT set_config('jit', 'off', false)")
            self.raw.execute(FUNCTIONS)
        self.con = ibis.postgres.from_connection(self.raw)
        self.con.compiler = compiler()
        self._in_transaction = False

    def _sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        with self.raw.cursor() as cursor, self.raw.transaction():
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def has(self, table: str) -> bool:
        return self._sql("SELECT to_regclass(%s) IS NOT NULL", (quote(table),))[0][0]

    def table(self, table: str) -> ir.Table:
        return self.con.table(table)

    def replace(self, table: str, expr: ir.Table) -> ir.Table:
        with _named_errors():
            return self.con.create_table(table, expr, overwrite=True)

    def view(self, table: str, expr: ir.Table) -> ir.Table:
        return self.replace(table, expr)

    def append(self, table: str, expr: ir.Table) -> None:
        if not self.has(table):
            self.replace(table, expr)
            return
        target = self.con.table(table).schema()
        for name, dtype in expr.schema().items():
            if name not in target:
                sql_type = self.con.compiler.type_mapper.to_string(dtype)
                self._sql(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(name)} {sql_type}")
        target = self.con.table(table).schema()
        aligned = expr.select(
            **{
                name: (expr[name] if name in expr.columns else ibis.null(dtype)).cast(dtype)
                for name, dtype in target.items()
            }
        )
        with _named_errors():
            self.con.insert(table, aligned)

    def replace_from(self, table: str, column: str, first: int, expr: ir.Table) -> None:
        """DELETE then INSERT, in the open transaction."""
        self._sql(f"DELETE FROM {quote(table)} WHERE {quote(column)} >= %s", (first,))
        self.append(table, expr)

    def stage_file(self, path: Path, table: str, progress: Progress | None = None) -> Staged:
        path = Path(path)
        with self.transaction():
            if file_format(path) == "csv":
                return self._stage_csv(path, table, progress)
            return Staged(self._stage_parquet(path, table, progress))

    def _stage_csv(self, path: Path, table: str, progress: Progress | None) -> Staged:
        names = csv_header(path)
        lines = quote(f"{table}_lines")
        self._sql(f"DROP TABLE IF EXISTS pg_temp.{lines}")
        self._sql(
            f"CREATE TEMP TABLE {lines} (_row bigint GENERATED ALWAYS AS IDENTITY, line text)"
        )
        self._copy(f"COPY {lines} (line) FROM STDIN {RAW_LINES}", _chunks(path, progress), path)
        split = (
            f"SELECT _row, line, nr_csv_fields(line) AS f FROM {lines} "
            "WHERE _row > 1 AND line !~ '^,*$'"  # a blank line or only commas is no row
        )
        columns = ", ".join(f"f[{i + 1}] AS {quote(n)}" for i, n in enumerate(names))
        self._sql(f"DROP TABLE IF EXISTS pg_temp.{quote(table)}")
        self._sql(
            f"CREATE TEMP TABLE {quote(table)} AS SELECT {columns}, _row FROM ({split}) s "
            f"WHERE cardinality(f) = {len(names)}"
        )
        bad = self._sql(
            f"SELECT _row, line, cardinality(f) FROM ({split}) s "
            f"WHERE f IS NULL OR cardinality(f) <> {len(names)} ORDER BY _row"
        )
        self._sql(f"DROP TABLE {lines}")
        malformed = [
            Reject(str(path), row, "*", _reason(len(names), n), line) for row, line, n in bad
        ]
        return Staged(self.table(table), malformed)

    def _stage_parquet(self, path: Path, table: str, progress: Progress | None) -> ir.Table:
        stream = open_stream(path, progress)
        schema = ibis.Schema.from_pyarrow(stream.reader.schema)
        columns = ", ".join(
            f"{quote(n)} {self.con.compiler.type_mapper.to_string(t)}" for n, t in schema.items()
        )
        self._sql(f"DROP TABLE IF EXISTS pg_temp.{quote(table)}")
        self._sql(f"CREATE TEMP TABLE {quote(table)} ({columns})")
        names = ", ".join(quote(n) for n in schema.names)
        copy = f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT csv, ENCODING 'UTF8')"
        self._copy(copy, _csv_batches(stream.reader), path)
        return self.table(table)

    def _copy(self, statement: str, chunks: Iterator[bytes], path: Path) -> None:
        import psycopg

        try:
            with (
                self.raw.cursor() as cursor,
                self.raw.transaction(),
                cursor.copy(statement) as copy,
            ):
                for chunk in chunks:
                    copy.write(chunk)
        except psycopg.errors.DataError as exc:
            message = f"{path}: PostgreSQL could not load the file: {exc}"
            raise IngestError(message, file=str(path)) from None

    def temp(self, table: str, expr: ir.Table) -> ir.Table:
        with _named_errors():
            return self.con.create_table(table, expr, temp=True, overwrite=True)

    def distinct_texts(self) -> AbstractContextManager[None]:
        return nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:
            yield
            return
        registered = set(self.con._memtables)
        self._in_transaction = True
        try:
            with self.raw.transaction():
                yield
        except BaseException:
            for memtable in set(self.con._memtables) - registered:
                self.con._memtables.discard(memtable)  # their temp tables were rolled back
            raise
        finally:
            self._in_transaction = False

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        with _named_errors():
            return self.con.to_pyarrow(expr)

    def reused(self, table: str, expr: ir.Table) -> ir.Table:
        return self.temp(table, expr)

    watching = staticmethod(unwatched)  # no per-statement progress from this engine

    def spans(
        self, table: str, column: str, spans: Sequence[tuple[int, int]], columns: Sequence[str]
    ) -> pa.Table:
        return self.to_arrow(union_of_spans(self, table, column, spans, columns))

    def to_arrow_batches(self, expr: ir.Table) -> Iterator[pa.RecordBatch]:
        with _named_errors():
            yield from self.con.to_pyarrow_batches(expr)

    def drop(self, table: str) -> None:
        self._sql(f"DROP TABLE IF EXISTS {quote(table)}")

    def leaf_sha256(self, text: ir.StringValue) -> ir.StringValue:
        """Hex SHA-256(0x00 || UTF-8 text): an RFC 6962 leaf hash, in this engine's SQL."""
        return hashing.postgres_leaf(text)

    def node_sha256(self, left: ir.StringValue, right: ir.StringValue) -> ir.StringValue:
        """Hex SHA-256(0x01 || left || right) of two hex node hashes, in this engine's SQL."""
        return hashing.postgres_node(left, right)

    def close(self) -> None:
        self.con.disconnect()


@contextmanager
def _named_errors() -> Iterator[None]:
    try:
        yield
    except (com.OperationNotDefinedError, com.UnsupportedOperationError) as exc:
        raise UnsupportedError(f"PostgreSQL cannot compute this expression: {exc}") from exc


def _chunks(path: Path, progress: Progress | None) -> Iterator[bytes]:
    total = path.stat().st_size
    done = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            done += len(chunk)
            if progress is not None:
                progress(done, total)
            yield chunk


def _csv_batches(reader: pa.RecordBatchReader) -> Iterator[bytes]:
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in reader:
        buffer = io.BytesIO()
        pacsv.write_csv(batch, buffer, write_options=options)
        yield buffer.getvalue()


def _reason(expected: int, found: int | None) -> str:
    if found is None:
        return "a quoted value is not closed (PostgreSQL reads no line breaks inside quotes)"
    return f"expected {expected} fields, found {found}"
