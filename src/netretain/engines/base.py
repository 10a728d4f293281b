"""Helpers several engines share to implement the `Store` protocol (netretain.store)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from netretain.store import Progress


@contextmanager
def unwatched(progress: Progress | None) -> Iterator[None]:
    """`Store.watching` for an engine that cannot tell how far a statement is."""
    yield


def batches_of(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    """The batches of a reader, for engines that load batch by batch."""
    yield from reader
