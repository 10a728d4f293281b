"""Opening a DuckDB ledger file: one writer at a time, readers that wait, what a failed open means.

DuckDB lets one process write a file, or several read it, never both. A writer takes an advisory
lock on `<db>.lock` (fcntl) and writes its pid and start time there; a reader that finds the lock
taken waits for it, and both retry DuckDB's own file lock while the other side holds the file.
After `wait` seconds they give up with a message naming the process in the way (issue 10).
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from netretain.errors import LedgerError, arg

POLL = 0.05
MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
_HELD = re.compile(r"Could not set lock on file .*?\(PID (\d+)\)")
T = TypeVar("T")


def lock_path(db: Path) -> Path:
    """The advisory lock file of a ledger file."""
    return db.with_name(db.name + ".lock")


@dataclass
class WriterLock:
    """The writer's hold on `<db>.lock`, released by `release` (or when the process ends)."""

    fd: int

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the descriptor drops the fcntl lock
            self.fd = -1


SERVER = "serve"  # the holder a dashboard server writes into the lock file


def take_writer_lock(db: Path, wait: float, holder: str = "") -> WriterLock:
    """Become the ledger's only writer, waiting up to `wait` seconds for another writer (not for
    a dashboard server, which holds the file for as long as it runs). `holder` names what holds
    it, for the others' messages."""
    fd = os.open(lock_path(db), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _retry(lambda: _lock_unless_served(db, fd, fcntl.LOCK_EX), _lock_taken, wait)
    except _Timeout:
        os.close(fd)
        raise LedgerError(updating(db)) from None
    except LedgerError:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    now = datetime.now().astimezone().isoformat()
    os.write(fd, f"{os.getpid()} {now} {holder}".strip().encode() + b"\n")
    return WriterLock(fd)


def _lock_unless_served(db: Path, fd: int, mode: int) -> None:
    """Take the lock now, or fail at once when a dashboard server holds it (no use waiting)."""
    try:
        fcntl.lockf(fd, mode | fcntl.LOCK_NB)
    except OSError:
        if _holder(db) == SERVER:
            raise LedgerError(served(db)) from None
        raise


def _holder(db: Path) -> str:
    """What the lock file says holds the ledger ('' when it does not say)."""
    try:
        words = lock_path(db).read_text(encoding="utf-8").split()
    except OSError:
        return ""
    return words[2] if len(words) > 2 else ""


def served(db: Path) -> str:
    """What to do when a dashboard server holds the ledger."""
    pid = (lock_path(db).read_text(encoding="utf-8").split() or ["?"])[0]
    return (
        f"the ledger {db} is held by a dashboard server (process {pid}): upload files through it "
        "(its Data page or POST /api/v1/ingest) and read it there, or stop the server first"
    )


def wait_for_writer(db: Path, wait: float) -> None:
    """Wait up to `wait` seconds while another process holds the writer's lock."""
    path = lock_path(db)
    if not path.exists():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        _retry(lambda: _lock_unless_served(db, fd, fcntl.LOCK_SH), _lock_taken, wait)
    except _Timeout:
        raise LedgerError(updating(db)) from None
    finally:
        os.close(fd)  # a reader holds no lock of its own: DuckDB's read lock keeps writers out


def updating(db: Path) -> str:
    """'the ledger is being updated by process N since HH:MM; try again', from the lock file."""
    try:
        pid, since = lock_path(db).read_text(encoding="utf-8").split()[:2]
        when = datetime.fromisoformat(since).strftime("%H:%M")
    except (OSError, ValueError):
        return f"the ledger {db} is being updated by another process; try again"
    return f"the ledger {db} is being updated by process {pid} since {when}; try again"


def connect(db: Path, read_only: bool, wait: float, make: Callable[[], T]) -> T:
    """Run `make` (the DuckDB connect), retrying for `wait` seconds while another process holds
    the file; a file that is not a readable DuckDB database is one LedgerError."""
    try:
        return _retry(make, _held_by, wait)
    except _Timeout as timeout:
        if read_only:
            raise LedgerError(updating(db)) from None
        raise LedgerError(
            f"the ledger {db} is open in process {timeout.detail}; "
            "try again when that command has finished (a dashboard server holding it takes "
            "uploads instead: its Data page or POST /api/v1/ingest)"
        ) from None
    except duckdb.Error as exc:
        raise LedgerError(damaged(db, _first_line(exc))) from None


def check_header(db: Path) -> None:
    """Refuse a file that is not a DuckDB database before DuckDB tries to read it."""
    with db.open("rb") as handle:
        head = handle.read(12)
    if len(head) < 12 or head[8:12] != MAGIC:
        what = "empty" if not head else "truncated" if len(head) < 12 else "zeroed or foreign"
        raise LedgerError(damaged(db, f"it is not a DuckDB database file ({what})"))


def damaged(db: Path, reason: str) -> str:
    """The one message for a ledger file that cannot be read."""
    return (
        f"the ledger {db} cannot be read: {reason}. The file is damaged or is not a netretain "
        f"ledger; the input files can rebuild it: ingest them into a new ledger ({arg('ingest')})"
    )


def is_damage(exc: BaseException) -> bool:
    """Whether a DuckDB error means the file's bytes are bad (not a query or a lock problem)."""
    text = str(exc)
    return isinstance(exc, duckdb.IOException) and (
        "Corrupt database file" in text or "Could not read enough bytes" in text
    )


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether a DuckDB error is its memory limit reached (a statement that could not spill)."""
    return isinstance(exc, duckdb.OutOfMemoryException)


def is_interrupt(exc: BaseException) -> bool:
    """Whether an error is Ctrl-C arriving while DuckDB ran a statement (it raises RuntimeError)."""
    return isinstance(exc, duckdb.InterruptException) or (
        type(exc) is RuntimeError and str(exc) == "Query interrupted"
    )


class _Timeout(Exception):
    def __init__(self, detail: str):
        self.detail = detail


def _lock_taken(exc: Exception) -> str | None:
    return "" if isinstance(exc, OSError) else None


def _held_by(exc: Exception) -> str | None:
    """The pid DuckDB names when another process holds the file, else None (not a lock error)."""
    found = _HELD.search(str(exc)) if isinstance(exc, duckdb.IOException) else None
    return found.group(1) if found else None


def _retry(attempt: Callable[[], T], busy: Callable[[Exception], str | None], wait: float) -> T:
    """`attempt` until it succeeds, while `busy` recognises its error, for `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return attempt()
        except Exception as exc:
            detail = busy(exc)
            if detail is None:
                raise
            if time.monotonic() >= deadline:
                raise _Timeout(detail) from None
        time.sleep(POLL)


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0].removeprefix("IO Error: ") if str(exc) else type(exc).__name__
