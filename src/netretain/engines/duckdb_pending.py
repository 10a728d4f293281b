"""A transaction's writes (an ingest's, a rebuild's) as committed tables, switched in by one short
DuckDB transaction at its end.

DuckDB 1.4 reads a table written in the open transaction on one thread and estimates it at 0
rows, so a rebuild inside the ingest's transaction ran slower than the same rebuild on committed
tables (46.7 s against 31.7 s at 1M). Here each write of the transaction lands in a committed
table of its own (`_nr_pending_N`) and a temp view under the table's name shows the transaction's
view of it: the expressions, and raw SQL by name, read the new rows as they would have inside the
transaction, in parallel and with real statistics. `commit` renames, deletes and inserts in one
DuckDB transaction; `discard` drops the pending tables. A process that dies in between leaves
only `_nr_pending_` tables, which the next writer drops: the ledger is as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import sqlglot as sg

PREFIX = "_nr_pending_"
Add = Callable[[str, ir.Table], None]  # the store's append into an existing table
_MAIN = "database_name = current_database() AND schema_name = current_schema()"


@dataclass
class Entry:
    """One table's change: `added` rows on top of the committed rows below `keep` (or none)."""

    kind: str  # "replace": `added` is the whole table; "append": committed rows + `added`;
    # "drop": gone at commit; "view": `sql` is the new view
    added: str | None = None
    keep: tuple[str, int] | None = None  # (column, first): committed rows with column < first
    sql: str = ""
    extra: list[str] = field(default_factory=list)  # columns `added` has and the table lacks


class Pending:
    """The tables one transaction of a DuckDB store has written, not yet switched in."""

    def __init__(self, con: ibis.BaseBackend) -> None:
        self.con = con
        self.raw = con.con
        self.entries: dict[str, Entry] = {}
        self._names = count()

    def has(self, table: str) -> bool | None:
        """Whether the transaction's ledger has the table; None when it has not touched it."""
        entry = self.entries.get(table)
        return None if entry is None else entry.kind != "drop"

    def replace(self, table: str, expr: ir.Table) -> None:
        added = self._write(expr)
        self._forget(table)
        self.entries[table] = Entry("replace", added)
        self._show(table)

    def view(self, table: str, sql: str) -> None:
        self._forget(table)
        self.entries[table] = Entry("view", sql=sql)
        self._show(table)

    def append(self, table: str, expr: ir.Table, add: Add) -> None:
        """Add rows: into the pending table, or a new one on top of the committed table."""
        entry = self.entries.get(table)
        if entry is None and _committed(self.raw, table):
            entry = self._on_top(table, keep=None)
        elif entry is None or entry.kind == "drop":
            self.replace(table, expr)
            return
        if entry.kind == "view":
            raise duckdb.CatalogException(f"{table} is a view: rows cannot be added to it")
        assert entry.added is not None
        add(entry.added, expr)
        if entry.kind == "append":
            entry.extra = _extra(self.raw, table, entry.added)
        self._show(table)

    def replace_from(self, table: str, column: str, first: int, expr: ir.Table, add: Add) -> None:
        """Rows with `column` >= `first` go: the pending ones now, the committed ones at commit."""
        entry = self.entries.get(table)
        if entry is None:
            entry = self._on_top(table, keep=(column, first))
        if entry.kind == "append":
            kept = entry.keep[1] if entry.keep else first
            entry.keep = (column, min(kept, first))
        if entry.added is not None:
            gone = f"DELETE FROM {ident(entry.added)} WHERE {ident(column)} >= $1"
            self.raw.execute(gone, [first])
        self.append(table, expr, add)

    def drop(self, table: str) -> bool:
        """Drop at commit a table of the ledger; False for a name the ledger does not hold."""
        committed = _committed(self.raw, table)
        if table not in self.entries and not committed:
            return False
        self._forget(table)
        if committed:
            self.entries[table] = Entry("drop")
        return True

    def commit(self) -> None:
        """Switch every change in, in one transaction: renames for new tables, a DELETE and an
        INSERT for rows added on top of committed ones."""
        self.raw.execute("BEGIN TRANSACTION")
        try:
            for table in self.entries:
                self.raw.execute(f"DROP VIEW IF EXISTS temp.main.{ident(table)}")
            views = {t: e for t, e in self.entries.items() if e.kind == "view"}
            for table, entry in self.entries.items():
                if table not in views:
                    self._switch(table, entry)
            for table, entry in views.items():
                _drop_committed(self.raw, table)
                self.raw.execute(f"CREATE VIEW {ident(table)} AS {entry.sql}")
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")
        self.entries.clear()

    def discard(self) -> None:
        """Drop every pending table and view: the committed ledger is untouched."""
        for table in list(self.entries):
            self._forget(table)
        self.entries.clear()

    def _switch(self, table: str, entry: Entry) -> None:
        if entry.kind in ("replace", "drop"):
            _drop_committed(self.raw, table)
            if entry.added is not None:
                self.raw.execute(f"ALTER TABLE {ident(entry.added)} RENAME TO {ident(table)}")
            return
        assert entry.added is not None
        columns = _columns(self.raw, entry.added)
        for name in entry.extra:  # before the DELETE: DuckDB refuses a commit that alters after
            self.raw.execute(f"ALTER TABLE {ident(table)} ADD COLUMN {ident(name)} {columns[name]}")
        if entry.keep is not None:
            column, first = entry.keep
            self.raw.execute(f"DELETE FROM {ident(table)} WHERE {ident(column)} >= $1", [first])
        # one INSERT, never of 0 rows (DuckDB 1.4.4 can drop a later large INSERT: see _has_rows)
        if self.raw.execute(f"SELECT EXISTS (FROM {ident(entry.added)})").fetchone()[0]:
            names = ", ".join(ident(c) for c in columns)
            self.raw.execute(
                f"INSERT INTO {ident(table)} ({names}) SELECT {names} FROM {ident(entry.added)}"
            )
        self.raw.execute(f"DROP TABLE {ident(entry.added)}")

    def _on_top(self, table: str, keep: tuple[str, int] | None) -> Entry:
        """An empty pending table of the committed table's columns, for the rows added to it
        (the store's append then aligns them, adding any new columns)."""
        added = f"{PREFIX}{next(self._names)}"
        committed = _committed_name(self.raw, table)
        self.raw.execute(f"CREATE TABLE {ident(added)} AS FROM {committed} LIMIT 0")
        self.entries[table] = entry = Entry("append", added, keep)
        return entry

    def _write(self, expr: ir.Table) -> str:
        name = f"{PREFIX}{next(self._names)}"
        if empty_literal(expr):  # its schema as declared, NOT NULL columns included
            self.con.create_table(name, schema=expr.schema())
        else:
            self.con.create_table(name, expr)
        return name

    def _forget(self, table: str) -> None:
        entry = self.entries.pop(table, None)
        if entry is None:
            return
        self.raw.execute(f"DROP VIEW IF EXISTS temp.main.{ident(table)}")
        if entry.added is not None:
            self.raw.execute(f"DROP TABLE IF EXISTS {ident(entry.added)}")

    def _show(self, table: str) -> None:
        """The temp view through which the table's name reads the transaction's rows."""
        entry = self.entries[table]
        if entry.kind == "view":
            body = entry.sql
        elif entry.kind == "replace":
            body = f"SELECT * FROM {ident(entry.added or '')}"
        else:
            body = self._on_top_sql(table, entry)
        self.raw.execute(f"CREATE OR REPLACE TEMP VIEW {ident(table)} AS {body}")

    def _on_top_sql(self, table: str, entry: Entry) -> str:
        committed = _committed_name(self.raw, table)
        own = [c for c in _columns(self.raw, entry.added or "") if c not in entry.extra]
        names = [ident(c) for c in own] + [f"NULL AS {ident(c)}" for c in entry.extra]
        where = ""
        if entry.keep is not None:
            where = f" WHERE {ident(entry.keep[0])} < {int(entry.keep[1])}"
        return (
            f"SELECT {', '.join(names)} FROM {committed}{where} "
            f"UNION ALL BY NAME SELECT * FROM {ident(entry.added or '')}"
        )


def empty_literal(expr: ir.Table) -> bool:
    """Whether an expression is an in-memory table with no rows."""
    op = expr.op()
    return isinstance(op, ops.InMemoryTable) and op.data.to_pyarrow(op.schema).num_rows == 0


def drop_leftovers(raw) -> None:
    """Drop the pending tables of a writer that died before its commit."""
    found = raw.execute(
        f"SELECT table_name FROM duckdb_tables() WHERE {_MAIN} AND starts_with(table_name, $1)",
        [PREFIX],
    ).fetchall()
    for (name,) in found:
        raw.execute(f"DROP TABLE IF EXISTS {ident(name)}")


def _committed(raw, table: str) -> bool:
    """Whether the file holds the table (or view) as last committed."""
    query = (
        f"SELECT 1 FROM duckdb_tables() WHERE table_name = $1 AND {_MAIN} "
        f"UNION ALL SELECT 1 FROM duckdb_views() WHERE view_name = $1 AND NOT internal "
        f"AND {_MAIN}"
    )
    return raw.execute(query, [table]).fetchone() is not None


def _drop_committed(raw, table: str) -> None:
    views = f"SELECT 1 FROM duckdb_views() WHERE view_name = $1 AND NOT internal AND {_MAIN}"
    what = "VIEW" if raw.execute(views, [table]).fetchone() else "TABLE"
    raw.execute(f"DROP {what} IF EXISTS {_committed_name(raw, table)}")


def _committed_name(raw, table: str) -> str:
    """The table's name in the file (a temp view of the same name hides it while pending)."""
    place = raw.execute("SELECT current_database(), current_schema()").fetchone()
    return f"{ident(place[0])}.{ident(place[1])}.{ident(table)}"


def _columns(raw, table: str) -> dict[str, str]:
    rows = raw.execute(
        f"SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = $1 AND {_MAIN} "
        "ORDER BY column_index",
        [table],
    ).fetchall()
    return dict(rows)


def _extra(raw, table: str, added: str) -> list[str]:
    """Columns of the pending table that the committed table lacks."""
    committed = _columns(raw, table)
    return [c for c in _columns(raw, added) if c not in committed]


def ident(name: str) -> str:
    """A table or column name quoted for DuckDB's SQL."""
    return sg.to_identifier(name, quoted=True).sql("duckdb")
