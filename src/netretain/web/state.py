"""The server's one ledger: a single writer, readers on consistent snapshots, a versioned cache.

DuckDB lets one process write a file. The server is that process: an ingest holds the write lock
while every reader opens its own connection and reads inside a transaction, so it sees the last
complete state (issue 11, "one ledger, many readers").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netretain import Ledger
from netretain.web import data

CACHE_ENTRIES = 512


class IngestBusy(Exception):
    """Another ingest holds the ledger; the caller should retry when it ends (HTTP 409)."""


@dataclass
class Settings:
    """What `netretain serve` was started with."""

    db: Path
    data_dir: Path
    api_key: str | None = None
    max_upload_bytes: int = 200 * 1024 * 1024


@dataclass
class LedgerState:
    """The ledger the server owns, its version (one more per ingest) and results per version."""

    settings: Settings
    version: int = 0
    _write: threading.Lock = field(default_factory=threading.Lock)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock)
    _cache: dict[tuple[int, Hashable], Any] = field(default_factory=dict)
    _writer: Ledger | None = None

    def open(self) -> None:
        """Open the ledger for writing once: this process now holds the file."""
        self._writer = Ledger(self.settings.db, holder="serve")

    def read(self, key: Hashable, compute: Callable[[Ledger], Any]) -> Any:
        """`compute(ledger)` on a consistent snapshot, cached for this ledger version."""
        version = self.version
        with self._cache_lock:
            if (version, key) in self._cache:
                return self._cache[(version, key)]
        if self._writer is None:
            self.open()
        assert self._writer is not None
        with data.snapshot(self._writer) as ledger:
            result = compute(ledger)
        if self.version == version:  # an ingest that ended meanwhile makes the result unsafe
            self._remember((version, key), result)
        return result

    def _remember(self, key: tuple[int, Hashable], result: Any) -> None:
        with self._cache_lock:
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache = {k: v for k, v in self._cache.items() if k[0] == self.version}
            self._cache[key] = result

    @contextmanager
    def writing(self) -> Iterator[Ledger]:
        """The writer ledger, for one ingest at a time; a second one gets IngestBusy at once."""
        if not self._write.acquire(blocking=False):
            raise IngestBusy("an ingest is already running on this ledger; retry when it ends")
        try:
            if self._writer is None:
                self.open()
            assert self._writer is not None
            yield self._writer
        finally:
            self.version += 1
            with self._cache_lock:
                self._cache.clear()
            self._write.release()

    @property
    def busy(self) -> bool:
        """Whether an ingest is running now."""
        return self._write.locked()
