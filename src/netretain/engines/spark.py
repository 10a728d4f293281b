"""Spark: ledger tables as Parquet directories in a warehouse, queried through one Spark session.

Every table is a temp view over its Parquet directories (see `warehouse.py` for the atomic commit).
Input files are read by Spark itself: Parquet rows are numbered by `_metadata.row_index`, CSV lines
by their split's byte offset and position (`spark_csv.py`). Only small results reach Python.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import ibis
import ibis.common.exceptions as com
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq
from ibis.backends.pyspark.datatypes import PySparkSchema
from ibis.backends.sql.dialects import PySpark

from netretain.engines import hashing
from netretain.engines.base import union_of_spans, unwatched
from netretain.engines.readers import file_format
from netretain.engines.warehouse import Manifest, TableEntry, Warehouse
from netretain.errors import EngineError, UnsupportedError
from netretain.store import Progress, Staged

# Set on every store's session: what the core's arithmetic relies on.
SEMANTICS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "true",  # overflow and bad casts raise instead of giving NULL
    "spark.sql.decimalOperations.allowPrecisionLoss": "false",  # keep scale past 38 digits
    "spark.sql.execution.arrow.pyspark.enabled": "true",  # small literal tables via Arrow
}
# Defaults for a session netretain starts itself: small local data, no UI.
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    **SEMANTICS,
}
COMPACT_AFTER = 8  # an appended table is rewritten as one directory past this many parts
STAGING = "staging"  # under the warehouse: driver-local input files copied for the executors


def _spark_escapes() -> None:
    """Spark SQL reads \\b \\n \\r \\t and \\uXXXX in a string literal but not \\a \\v \\f, which
    sqlglot writes for BEL, VT and FF (Spark reads the letters a, v, f). A leaf's JSON escapes
    search for those characters, so they are written as \\u escapes."""
    for char in "\x07\x0b\x0c":
        PySpark.ESCAPED_SEQUENCES[char] = f"\\u{ord(char):04x}"


_spark_escapes()


def _literal_rows(expr: ir.Table) -> pa.Table | None:
    """The Arrow rows of an in-memory table, possibly under a projection that only casts columns."""
    op = expr.op()
    if isinstance(op, ops.InMemoryTable):
        return op.data.to_pyarrow(op.schema)
    return None


def _align_arrow(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    """Rows cast to a table's schema, missing columns as nulls."""
    columns = [
        rows[f.name].cast(f.type) if f.name in rows.column_names else pa.nulls(len(rows), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def spark_session(master: str = "local[*]", conf: dict[str, str] | None = None) -> Any:
    """The process's Spark session (created on first use), or EngineError saying what is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "Spark support is not installed: pip install 'netretain[spark]' (needs Java 17)"
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise EngineError(
            "Spark needs a Java runtime and none was found: install Java 17 "
            "(apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    builder = SparkSession.builder.master(master).appName("netretain")
    for key, value in {**LOCAL_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise EngineError(f"could not start Spark with master {master!r}: {exc}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkStore:
    """Ledger tables as Parquet under `warehouse/`, committed together by a manifest rename."""

    name = "spark"

    def __init__(self, warehouse: str | Path, *, session: Any = None, master: str = "local[*]"):
        self.master = master  # the master asked for (a running session keeps its own)
        base = session if session is not None else spark_session(master)
        self.session = base.newSession()  # own temp views; shares the SparkContext
        for key, value in SEMANTICS.items():
            self.session.conf.set(key, value)
        self.con = ibis.pyspark.connect(self.session)
        self.warehouse = Warehouse(warehouse)
        self._committed = self.warehouse.read()
        self._pending: Manifest | None = None
        self._written: set[str] = set()
        self._temps: dict[str, Any] = {}
        self._copies: list[Path] = []  # input files copied into STAGING, deleted at the end
        for table in self._committed.tables:
            self._register(table, self._committed)

    @property
    def manifest(self) -> Manifest:
        return self._pending if self._pending is not None else self._committed

    def has(self, table: str) -> bool:
        return table in self.manifest.tables or table in self._temps

    def table(self, table: str) -> ir.Table:
        return self.con.table(table)

    def dataframe(self, expr: ir.Expr) -> Any:
        """The Spark DataFrame of an expression (memtables registered first)."""
        table = expr.as_table()
        try:
            self.con._run_pre_execute_hooks(table)
            return self.session.sql(self.con.compile(table))
        except (com.OperationNotDefinedError, com.UnsupportedOperationError) as exc:
            raise UnsupportedError(f"Spark cannot compute this expression: {exc}") from exc

    def replace(self, table: str, expr: ir.Table) -> ir.Table:
        with self.transaction():
            part, schema = self._write(table, expr)
            self._set(table, TableEntry([part], schema))
        return self.table(table)

    def view(self, table: str, expr: ir.Table) -> ir.Table:
        return self.replace(table, expr)

    def append(self, table: str, expr: ir.Table) -> None:
        if not self.has(table):
            self.replace(table, expr)
            return
        existing = self.table(table).schema()
        target = dict(existing.items())
        target.update({n: t for n, t in expr.schema().items() if n not in existing})
        literal = _literal_rows(expr)
        if literal is not None:
            aligned = ibis.memtable(_align_arrow(literal, ibis.schema(target).to_pyarrow()))
        else:
            aligned = expr.select(
                **{
                    name: (expr[name] if name in expr.columns else ibis.null(dtype)).cast(dtype)
                    for name, dtype in target.items()
                }
            )
        with self.transaction():
            entry = self.manifest.tables[table]
            part, schema = self._write(table, aligned)
            parts = [*entry.parts, part]
            self._set(table, TableEntry(parts, schema))
            if len(parts) > COMPACT_AFTER:
                self.replace(table, self.table(table))

    def replace_from(self, table: str, column: str, first: int, expr: ir.Table) -> None:
        """Parquet parts cannot delete rows: the table is rewritten as its kept rows plus `expr`."""
        kept = self.table(table)
        kept = kept.filter(kept[column] < first)
        added = expr.select(**{c: expr[c].cast(t) for c, t in kept.schema().items()})
        self.replace(table, ibis.union(kept, added, distinct=False))

    def stage_file(self, path: Path, table: str, progress: Progress | None = None) -> Staged:
        from netretain.engines import spark_csv

        path = self._readable(Path(path).absolute())
        total = path.stat().st_size
        if progress is not None:
            progress(0, total)
        if file_format(path) == "csv":
            frame, malformed = spark_csv.stage_csv(self.session, path)
        else:
            frame, malformed = spark_csv.stage_parquet(self.session, path), []
        self._keep_temp(table, frame)
        if progress is not None:
            progress(total, total)
        return Staged(self.table(table), malformed)

    def _readable(self, path: Path) -> Path:
        """The file at a path every executor can read. A file in the driver's temporary directory
        (a CSV transcoded to UTF-8, a data frame written out) is on the driver's disk only, so on
        a cluster it is copied into the warehouse, which every executor sees, until the end of
        the transaction."""
        if self.session.sparkContext.master.startswith("local"):
            return path
        if not path.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve()):
            return path
        target = self.warehouse.root / STAGING / f"{uuid.uuid4().hex[:12]}-{path.name}"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, target)
        self._copies.append(target)
        return target

    def _discard_copies(self) -> None:
        for copy in self._copies:
            copy.unlink(missing_ok=True)
        self._copies = []

    def temp(self, table: str, expr: ir.Table) -> ir.Table:
        """Cache lazily: computed by its first use and reused after (a job fewer than eager)."""
        frame = self.dataframe(expr).persist()
        self._keep_temp(table, frame)
        return self.table(table)

    def distinct_texts(self) -> AbstractContextManager[None]:
        return nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._pending is not None:
            yield
            return
        self._pending = self._committed.copy()
        self._written = set()
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        else:
            self._commit()

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        table = expr.as_table()
        result = self.dataframe(table).toArrow()
        result = result.rename_columns(table.columns).cast(table.schema().to_pyarrow())
        return expr.__pyarrow_result__(result)

    def spans(
        self, table: str, column: str, spans: Sequence[tuple[int, int]], columns: Sequence[str]
    ) -> pa.Table:
        return self.to_arrow(union_of_spans(self, table, column, spans, columns))

    def to_arrow_batches(self, expr: ir.Table) -> Iterator[pa.RecordBatch]:
        """One partition at a time, in order, from a disk-cached result: the driver never holds
        the whole of it (Ibis's own batches collect everything first)."""
        from pyspark import StorageLevel
        from pyspark.sql.functions import spark_partition_id

        schema = expr.schema().to_pyarrow()
        frame = self.dataframe(expr).persist(StorageLevel.DISK_ONLY)
        try:
            tagged = frame.withColumn("_nr_part", spark_partition_id())
            for part in range(frame.rdd.getNumPartitions()):
                chunk = tagged.where(tagged["_nr_part"] == part).drop("_nr_part").toArrow()
                yield from chunk.rename_columns(expr.columns).cast(schema).to_batches()
        finally:
            frame.unpersist()

    def reused(self, table: str, expr: ir.Table) -> ir.Table:
        return self.temp(table, expr)

    watching = staticmethod(unwatched)  # no per-statement progress from this engine

    def drop(self, table: str) -> None:
        if table in self._temps:
            self._drop_temp(table)
        if table in self.manifest.tables:
            with self.transaction():
                self.manifest.tables.pop(table)
                self.session.catalog.dropTempView(table)

    def leaf_sha256(self, text: ir.StringValue) -> ir.StringValue:
        """Hex SHA-256(0x00 || UTF-8 text): an RFC 6962 leaf hash, in this engine's SQL."""
        return hashing.spark_leaf(text)

    def node_sha256(self, left: ir.StringValue, right: ir.StringValue) -> ir.StringValue:
        """Hex SHA-256(0x01 || left || right) of two hex node hashes, in this engine's SQL."""
        return hashing.spark_node(left, right)

    def close(self) -> None:
        for table in list(self._temps):
            self._drop_temp(table)
        self._discard_copies()

    def _write(self, table: str, expr: ir.Table) -> tuple[str, dict[str, Any]]:
        """Write rows as a new Parquet directory; literal tables are written by Arrow, not a job."""
        part = self.warehouse.new_part(table)
        self._written.add(part)
        literal = _literal_rows(expr)
        if literal is not None:
            Path(self.warehouse.path(part)).mkdir(parents=True)
            pq.write_table(literal, f"{self.warehouse.path(part)}/part-00000.parquet")
            return part, PySparkSchema.from_ibis(expr.schema()).jsonValue()
        frame = self.dataframe(expr)
        frame.write.mode("errorifexists").parquet(self.warehouse.path(part))
        return part, frame.schema.jsonValue()

    def _set(self, table: str, entry: TableEntry) -> None:
        if table in self._temps:
            self._drop_temp(table)
        self.manifest.tables[table] = entry
        self._register(table, self.manifest)

    def _register(self, table: str, manifest: Manifest) -> None:
        from pyspark.sql.types import StructType

        entry = manifest.tables[table]
        schema = StructType.fromJson(entry.schema)
        paths = [self.warehouse.path(p) for p in entry.parts]
        self.session.read.schema(schema).parquet(*paths).createOrReplaceTempView(table)

    def _keep_temp(self, table: str, frame: Any) -> None:
        if table in self._temps:
            self._drop_temp(table)
        self._temps[table] = frame
        frame.createOrReplaceTempView(table)

    def _drop_temp(self, table: str) -> None:
        frame = self._temps.pop(table)
        self.session.catalog.dropTempView(table)
        frame.unpersist()
        if table in self.manifest.tables:
            self._register(table, self.manifest)

    def _commit(self) -> None:
        pending, base = self._pending, self._committed
        assert pending is not None
        try:
            self._committed = self.warehouse.commit(pending, base.generation)
        except BaseException:
            self._rollback()
            raise
        self._pending = None
        self.warehouse.discard((base.referenced() | self._written) - pending.referenced())
        self._written = set()
        self._discard_copies()

    def _rollback(self) -> None:
        """Forget this transaction's writes; show what is committed on disk (maybe by another)."""
        pending = self._pending
        self._pending = None
        self._committed = self.warehouse.read()
        self.warehouse.discard(self._written - self._committed.referenced())
        self._written = set()
        self._discard_copies()
        for table in pending.tables if pending else {}:
            if table not in self._committed.tables and table not in self._temps:
                self.session.catalog.dropTempView(table)
        for table in self._committed.tables:
            if table not in self._temps:
                self._register(table, self._committed)
