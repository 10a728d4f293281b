"""The embedded default: one DuckDB file holds the whole ledger."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot as sg
import sqlglot.expressions as sge

from netretain.engines import DEFAULT_WAIT, hashing
from netretain.engines import duckdb_open as opening
from netretain.engines.duckdb_pending import Pending, drop_leftovers, empty_literal, ident
from netretain.engines.readers import file_format, open_stream
from netretain.errors import EngineError, LedgerError, arg
from netretain.store import Progress, Staged

POLL_SECONDS = 0.2
# A ledger file's default memory cap: an ingest at a million customers fits it with no loss of
# time (its pending tables are committed, so DuckDB evicts them instead of spilling them).
DEFAULT_MEMORY_GB = 3
DUCKDB_SHARE = 0.8  # DuckDB's own default: 80% of RAM, kept where that is less
_IN_SCHEMA = "database_name IN (current_database(), 'temp') AND schema_name = current_schema()"
_IS_VIEW = f"SELECT 1 FROM duckdb_views() WHERE NOT internal AND view_name = $1 AND {_IN_SCHEMA}"
_HAS_TABLE = (
    f"SELECT 1 FROM duckdb_tables() WHERE table_name = $1 AND {_IN_SCHEMA} UNION ALL {_IS_VIEW}"
)


class DuckDBStore:
    """Ledger tables in one DuckDB file (or in memory with path ':memory:').

    A writer (`read_only=False`) is the file's only user; readers share it. Each waits up to `wait`
    seconds for the other side (see duckdb_open). Only a writer with `create` makes a new file.
    """

    name = "duckdb"

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        read_only: bool = False,
        memory_limit: str | None = None,
        wait: float = DEFAULT_WAIT,
        create: bool = True,
        holder: str = "",
    ):
        self.path = str(path)
        self.read_only = read_only
        self.committed = False  # whether a transaction of this store has committed
        self._lock: opening.WriterLock | None = None
        self._holder = holder
        self.con = self._open(wait, create)
        self._quiet()
        if not read_only:
            drop_leftovers(self.raw)
        self._pending: Pending | None = None  # the open transaction's writes (duckdb_pending)
        self._snapshots = read_only  # its transactions only read (see `transaction`)
        self._in_snapshot = False
        self._seen: dict[str, ir.Table | None] = {}  # read-only: tables known to exist (`has`)
        limit = memory_limit or default_memory_limit(self.path)
        if limit:  # e.g. "3GB"; DuckDB spills what does not fit to a temp directory
            self.set_memory_limit(limit)

    def reader(self) -> DuckDBStore:
        """Another connection to this open database, for one of a server's concurrent requests:
        it takes no lock of its own (this process already holds the file) and reads committed
        data in its own transactions."""
        other = object.__new__(DuckDBStore)
        other.path, other.read_only, other.committed = self.path, self.read_only, False
        other._lock, other._pending = None, None
        other._snapshots, other._in_snapshot = True, False
        other._seen = {}
        other.con = ibis.duckdb.from_connection(self.raw.cursor())
        other._quiet()
        return other

    def _quiet(self) -> None:
        """DuckDB prints its own progress bar on long statements: never to a user's terminal or
        pipe (a face shows progress through `watching`)."""
        self.raw.execute("SET enable_progress_bar_print = false")

    def _open(self, wait: float, create: bool) -> ibis.BaseBackend:
        if self.path == ":memory:":
            return ibis.duckdb.connect(self.path)
        db = Path(self.path)
        if not db.exists():
            if self.read_only or not create:
                raise LedgerError(f"no ledger at {db}: create one with {arg('ingest')}")
        else:
            opening.check_header(db)
        if self.read_only:
            opening.wait_for_writer(db, wait)
        else:
            self._lock = opening.take_writer_lock(db, wait, self._holder)
        try:
            return opening.connect(db, self.read_only, wait, lambda: self._connect(db))
        except BaseException:
            self._release()
            raise

    def _connect(self, db: Path) -> ibis.BaseBackend:
        # no extension downloads: a foreign file must fail here, not after a network timeout
        return ibis.duckdb.connect(
            str(db),
            read_only=self.read_only,
            autoinstall_known_extensions=False,
            autoload_known_extensions=False,
        )

    def set_memory_limit(self, limit: str) -> None:
        """Cap DuckDB's memory, e.g. '8GB' (default: see default_memory_limit)."""
        try:
            self.raw.execute("SET memory_limit = ?", [limit])
        except duckdb.Error as exc:
            raise EngineError(f"memory limit {limit!r}: {exc}; use a size such as 3GB") from None

    @property
    def raw(self):  # the duckdb connection, for the few statements Ibis does not express
        return self.con.con

    def has(self, table: str) -> bool:
        # What Ibis's list_tables() finds (a table or view of this schema, or a temp one), without
        # reading all of information_schema: an ingest asks about 60 times, and this is ~3x faster.
        if table in self._seen:
            return True
        pending = None if self._pending is None else self._pending.has(table)
        if pending is not None:
            return pending
        found = self.raw.execute(_HAS_TABLE, [table]).fetchone() is not None
        if found and self.read_only:
            self._seen[table] = None
        return found

    def table(self, table: str) -> ir.Table:
        """The table, its schema read once by a reader: no writer can change a file that a
        reader holds open, and a statement asks for the same few tables several times."""
        known = self._seen.get(table)
        if known is None:
            known = self.con.table(table)
            if self.read_only:
                self._seen[table] = known
        return known

    def replace(self, table: str, expr: ir.Table) -> ir.Table:
        if self._pending is not None:
            self._pending.replace(table, expr)
            return self.con.table(table)
        if self.raw.execute(_IS_VIEW, [table]).fetchone() is not None:
            self.drop(table)  # a view kept by `view`: DROP TABLE (Ibis's overwrite) refuses it
        if empty_literal(expr):  # no 0-row INSERT: see _has_rows
            return self.con.create_table(table, schema=expr.schema(), overwrite=True)
        return self.con.create_table(table, expr, overwrite=True)

    def view(self, table: str, expr: ir.Table) -> ir.Table:
        """A view: nothing is written, and reading it costs what reading its columns costs.

        Its tables are named without the file's catalog (which follows the file's name), so the
        view still reads them after the file is copied or renamed.
        """
        query = sg.parse_one(self.con.compile(expr), dialect="duckdb")
        for name in query.find_all(sge.Table):
            name.set("catalog", None)
            name.set("db", None)
        sql = query.sql(dialect="duckdb")
        if self._pending is not None:
            self._pending.view(table, sql)
            return self.con.table(table)
        self.drop(table)
        self.raw.execute(f'CREATE VIEW "{table}" AS {sql}')
        return self.con.table(table)

    def append(self, table: str, expr: ir.Table) -> None:
        if self._pending is not None:
            self._pending.append(table, expr, self._append)
            return
        self._append(table, expr)

    def _append(self, table: str, expr: ir.Table) -> None:
        if not self.raw.execute(_HAS_TABLE, [table]).fetchone():
            self.con.create_table(
                table, expr if _has_rows(self.con, expr) else None, schema=expr.schema()
            )
            return
        target = self.con.table(table).schema()
        for name, dtype in expr.schema().items():
            if name not in target:
                self.raw.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {_duckdb_type(dtype)}')
        target = self.con.table(table).schema()
        aligned = expr.select(
            **{
                name: (expr[name] if name in expr.columns else ibis.null(dtype)).cast(dtype)
                for name, dtype in target.items()
            }
        )
        if _has_rows(self.con, aligned):
            self.con.insert(table, aligned)

    def replace_from(self, table: str, column: str, first: int, expr: ir.Table) -> None:
        """DELETE then INSERT (in a transaction: at its commit)."""
        if self._pending is not None:
            self._pending.replace_from(table, column, first, expr, self._append)
            return
        self.raw.execute(f'DELETE FROM "{table}" WHERE "{column}" >= $1', [first])
        self.append(table, expr)

    def stage_file(self, path: Path, table: str, progress: Progress | None = None) -> Staged:
        self._seen.clear()
        if file_format(path) == "parquet":
            return Staged(self._parquet_view(path, table, progress))
        stream = open_stream(path, progress)
        return Staged(self.stage(stream.reader, table), stream.malformed)

    def _parquet_view(self, path: Path, table: str, progress: Progress | None) -> ir.Table:
        """A Parquet file as a view: DuckDB reads it where it lies, in parallel, on every pass."""
        literal = str(path).replace("'", "''")
        self.raw.execute(
            f'CREATE OR REPLACE TEMP VIEW "{table}" AS '
            "SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _row "
            f"FROM read_parquet('{literal}', file_row_number = true)"
        )
        if progress is not None:
            size = path.stat().st_size
            progress(size, size)
        return self.con.table(table)

    def stage(self, reader: pa.RecordBatchReader, table: str) -> ir.Table:
        """Load Arrow batches into a temp table; DuckDB scans them as they stream."""
        self.raw.register("_netretain_stream", reader)
        try:
            self.raw.execute(
                f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT * FROM _netretain_stream'
            )
        finally:
            self.raw.unregister("_netretain_stream")
        return self.con.table(table)

    def temp(self, table: str, expr: ir.Table) -> ir.Table:
        """Materialise an intermediate result for the rest of this session."""
        self._seen.clear()
        return self.con.create_table(table, expr, temp=True, overwrite=True)

    def reused(self, table: str, expr: ir.Table) -> ir.Table:
        """Not materialised: scanning and checking rows again beats writing them all once."""
        return expr

    @contextmanager
    def distinct_texts(self) -> Iterator[None]:
        """FSST alone: DuckDB otherwise first tries each of its methods on each text column,
        which for distinct texts costs about as much as compressing them (the invoice lines'
        leaves at 1M: 9.9 s to write against 16.6 s, the same size)."""
        self.raw.execute("SET force_compression = 'fsst'")
        try:
            yield
        finally:
            self.raw.execute("RESET force_compression")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes land in committed pending tables, switched in at the end in one short DuckDB
        transaction (see duckdb_pending): the ingest's own rows are read in parallel. A reader's
        transaction is a DuckDB one: every read inside sees the same committed ledger."""
        if self._pending is not None or self._in_snapshot:
            yield
            return
        if self._snapshots:
            with self._snapshot():
                yield
            return
        self._pending = pending = Pending(self.con)
        try:
            yield
            pending.commit()
            self.committed = True
        except BaseException:
            with suppress(duckdb.Error):  # the first error is the one to report
                pending.discard()
            raise
        finally:
            self._pending = None

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A reader's transaction: one committed state of the ledger for every read inside."""
        self.raw.execute("BEGIN TRANSACTION")
        self._in_snapshot = True
        try:
            yield
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        else:
            self.raw.execute("COMMIT")
        finally:
            self._in_snapshot = False

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        return self.con.to_pyarrow(expr)

    def spans(
        self, table: str, column: str, spans: Sequence[tuple[int, int]], columns: Sequence[str]
    ) -> pa.Table:
        """One UNION ALL of range scans written here: Ibis took longer to compile the union than
        DuckDB took to run it (a statement's proofs read a dozen runs of a log of 13M leaves)."""
        name, key = ident(table), ident(column)
        chosen = ", ".join(ident(c) for c in columns)
        parts = [
            f"SELECT {chosen} FROM {name} WHERE {key} >= {int(lo)} AND {key} < {int(hi)}"
            for lo, hi in spans
        ] or [f"SELECT {chosen} FROM {name} WHERE false"]
        return self.raw.execute(" UNION ALL ".join(parts)).fetch_arrow_table()

    @contextmanager
    def watching(self, progress: Progress | None) -> Iterator[None]:
        """Poll DuckDB's progress of the running statement (per mille) while inside."""
        if progress is None:
            yield
            return
        self.raw.execute("SET enable_progress_bar = true")
        self.raw.execute("SET enable_progress_bar_print = false")
        done = threading.Event()

        def poll() -> None:
            while not done.wait(POLL_SECONDS):
                percent = self.raw.query_progress()
                if percent >= 0:
                    progress(int(percent * 10), 1000)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            yield
        finally:
            done.set()
            poller.join()
            progress(1000, 1000)

    def to_arrow_batches(self, expr: ir.Table) -> Iterator[pa.RecordBatch]:
        yield from self.con.to_pyarrow_batches(expr)

    def drop(self, table: str) -> None:
        self._seen.clear()
        if self._pending is not None and self._pending.drop(table):
            return
        kind = self.raw.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchall()
        what = "VIEW" if kind and kind[0][0] == "VIEW" else "TABLE"
        self.raw.execute(f'DROP {what} IF EXISTS "{table}"')

    def leaf_sha256(self, text: ir.StringValue) -> ir.StringValue:
        """Hex SHA-256(0x00 || UTF-8 text): an RFC 6962 leaf hash, in this engine's SQL."""
        return hashing.duckdb_leaf(text)

    def node_sha256(self, left: ir.StringValue, right: ir.StringValue) -> ir.StringValue:
        """Hex SHA-256(0x01 || left || right) of two hex node hashes, in this engine's SQL."""
        return hashing.duckdb_node(left, right)

    def close(self) -> None:
        """Let go of the file: other processes may write it (or read it) from now on."""
        try:
            self.con.disconnect()
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def default_memory_limit(path: str) -> str | None:
    """DEFAULT_MEMORY_GB for a ledger file, unless DuckDB's own default is less (a small
    machine); none in memory, where the tables themselves are in memory."""
    if path == ":memory:":
        return None
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{DEFAULT_MEMORY_GB}GB" if ram * DUCKDB_SHARE > DEFAULT_MEMORY_GB * 10**9 else None


def _has_rows(con, expr: ir.Table) -> bool:
    """Whether an INSERT of `expr` would add rows.

    DuckDB 1.4.4 silently drops a large INSERT (a row group or more) into a table when an earlier
    INSERT in the same transaction added no rows to it, so the store never runs a 0-row INSERT.
    """
    return bool(con.to_pyarrow(expr.limit(1).count().name("n").as_table()).column(0)[0].as_py())


def _duckdb_type(dtype) -> str:
    return ibis.backends.sql.compilers.duckdb.compiler.type_mapper.to_string(dtype)
