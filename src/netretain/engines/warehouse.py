"""A Parquet warehouse whose committed state is one small manifest file, switched by atomic rename.

Each table is a list of Parquet directories (one per write; appends add a directory). A transaction
edits a copy of the manifest; commit writes it to a temporary file, fsyncs it and renames it over
`manifest.json`, so readers see the whole ingest or none of it. Directories a rollback abandons or
a commit stops referencing are deleted afterwards (a crashed writer can leave orphans in data/).
One writer at a time: a commit refuses to overwrite a manifest another process committed meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netretain.errors import EngineError

MANIFEST = "manifest.json"
DATA = "data"


@dataclass
class TableEntry:
    """Where one table's rows live (directories relative to the warehouse) and its Spark schema."""

    parts: list[str]
    schema: dict[str, Any]


@dataclass
class Manifest:
    """The warehouse's tables at one generation."""

    generation: int = 0
    tables: dict[str, TableEntry] = field(default_factory=dict)

    def copy(self) -> Manifest:
        tables = {k: TableEntry(list(v.parts), v.schema) for k, v in self.tables.items()}
        return Manifest(self.generation, tables)

    def referenced(self) -> set[str]:
        return {part for entry in self.tables.values() for part in entry.parts}

    def to_json(self) -> str:
        tables = {k: {"parts": v.parts, "schema": v.schema} for k, v in sorted(self.tables.items())}
        return json.dumps({"generation": self.generation, "tables": tables}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        tables = {k: TableEntry(v["parts"], v["schema"]) for k, v in raw["tables"].items()}
        return cls(int(raw["generation"]), tables)


class Warehouse:
    """The directory layout and the commit protocol; knows nothing about Spark."""

    def __init__(self, root: str | Path):
        self.root = Path(root).absolute()
        (self.root / DATA).mkdir(parents=True, exist_ok=True)

    def read(self) -> Manifest:
        """The committed manifest (empty for a new warehouse)."""
        path = self.root / MANIFEST
        if not path.exists():
            return Manifest()
        return Manifest.from_json(path.read_text())

    def new_part(self, table: str) -> str:
        """A fresh directory name for one write of `table`, relative to the root."""
        return f"{DATA}/{table}-{uuid.uuid4().hex[:12]}"

    def path(self, part: str) -> str:
        return str(self.root / part)

    def commit(self, manifest: Manifest, base_generation: int) -> Manifest:
        """Atomically publish `manifest` as the next generation after `base_generation`."""
        with self._lock():
            current = self.read().generation
            if current != base_generation:
                raise EngineError(
                    f"the warehouse {self.root} changed during this ingest (generation "
                    f"{base_generation} -> {current}): another process wrote to it; run it again"
                )
            published = manifest.copy()
            published.generation = base_generation + 1
            tmp = self.root / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
            with tmp.open("w") as handle:
                handle.write(published.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.root / MANIFEST)
            _fsync_dir(self.root)
        return published

    def discard(self, parts: set[str]) -> None:
        """Delete data directories: those a rollback abandoned or a commit stopped referencing."""
        for part in parts:
            shutil.rmtree(self.root / part, ignore_errors=True)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with (self.root / ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
