"""What the service layer needs from an engine: named tables, writes, an all-or-nothing transaction.

Each engine implements this once (engines/); the expressions above it are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from netretain.errors import Reject

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


@dataclass
class Staged:
    """A staged input file, and the lines the engine could not parse at all (kept as rejects)."""

    table: ir.Table
    malformed: list[Reject] = field(default_factory=list)


class Store(Protocol):
    """A place the ledger's tables live: a DuckDB file, a Spark warehouse, a PostgreSQL schema."""

    name: str
    con: BaseBackend

    def has(self, table: str) -> bool:
        """Whether a ledger table exists."""
        ...

    def table(self, table: str) -> ir.Table:
        """A ledger table as an Ibis expression."""
        ...

    def replace(self, table: str, expr: ir.Table) -> ir.Table:
        """Write an expression's rows as the table's new content."""
        ...

    def view(self, table: str, expr: ir.Table) -> ir.Table:
        """A table that only selects columns of stored tables: a view where the engine reads one
        as fast as a table (nothing to write), else written as `replace` writes it."""
        ...

    def append(self, table: str, expr: ir.Table) -> None:
        """Add rows, adding any columns the table lacks."""
        ...

    def replace_from(self, table: str, column: str, first: int, expr: ir.Table) -> None:
        """Delete the rows whose integer `column` is `first` or more, then add `expr`'s rows (of
        any value): an incremental rebuild rewrites a table from a month on, not whole."""
        ...

    def stage_file(self, path: Path, table: str, progress: Progress | None = None) -> Staged:
        """Load an input file into a scratch table with a `_row` column (the user's row number).

        The engine reads the file itself; rows never pass through Python one by one.
        """
        ...

    def temp(self, table: str, expr: ir.Table) -> ir.Table:
        """Materialise an intermediate result for the rest of this ingest."""
        ...

    def reused(self, table: str, expr: ir.Table) -> ir.Table:
        """An intermediate result read several times: materialised (as `temp`) where that is
        cheaper than computing it again, else returned as it is (DuckDB recomputes faster than
        it writes)."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Everything inside lands together or not at all."""
        ...

    def to_arrow(self, expr: ir.Expr) -> pa.Table:
        """Run an expression whose result is small, returning Arrow."""
        ...

    def spans(
        self, table: str, column: str, spans: Sequence[tuple[int, int]], columns: Sequence[str]
    ) -> pa.Table:
        """`columns` of the rows whose integer `column` lies in one of the half-open `spans`: each
        span read as a range of its own, which an engine finds from its min/max statistics (a
        customer's statement reads a few runs of a log of millions). In no particular order."""
        ...

    def to_arrow_batches(self, expr: ir.Table) -> Iterator[pa.RecordBatch]:
        """Stream a large result to the client (an export the user asked for), a part at a time."""
        ...

    def drop(self, table: str) -> None:
        """Remove a table if it exists."""
        ...

    def distinct_texts(self) -> AbstractContextManager[None]:
        """Writes inside are mostly long, distinct texts (the revenue log's leaves): an engine may
        compress them its cheapest way."""
        ...

    def watching(self, progress: Progress | None) -> AbstractContextManager[None]:
        """Report how far the engine is through each statement run inside, where it can tell."""
        ...

    def leaf_sha256(self, text: ir.StringValue) -> ir.StringValue:
        """Hex SHA-256(0x00 || UTF-8 text): the RFC 6962 leaf hash, in the engine's own SQL."""
        ...

    def node_sha256(self, left: ir.StringValue, right: ir.StringValue) -> ir.StringValue:
        """Hex SHA-256(0x01 || left || right) of two hex node hashes, in the engine's own SQL."""
        ...

    def close(self) -> None:
        """Let go of the ledger: its connection, and for a DuckDB file the writer's lock."""
        ...
