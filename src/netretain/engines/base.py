"""Helpers several engines share to implement the `Store` protocol (netretain.store)."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import ibis.expr.types as ir
import pyarrow as pa

from netretain.store import Progress, Store


@contextmanager
def unwatched(progress: Progress | None) -> Iterator[None]:
    """`Store.watching` for an engine that cannot tell how far a statement is."""
    yield


def batches_of(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The batches of a reader, for engines that load batch by batch."""
    yield from reader


def union_of_spans(
    store: Store, table: str, column: str, spans: Sequence[tuple[int, int]], columns: Sequence[str]
) -> ir.Table:
    """`Store.spans` as one Ibis union of range filters (one filter OR-ing the spans would make
    an engine read the whole table)."""
    t = store.table(table)
    parts = [t.filter((t[column] >= lo) & (t[column] < hi)).select(*columns) for lo, hi in spans]
    if not parts:
        return t.filter(False).select(*columns)
    return functools.reduce(lambda a, b: a.union(b), parts)
