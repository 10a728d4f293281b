"""The errors netretain raises: one root, so callers can catch all the library means to say."""

from __future__ import annotations

from dataclasses import dataclass


class NetretainError(Exception):
    """Root of every error netretain raises on purpose."""


class DefinitionError(NetretainError, ValueError):
    """A metric definition is malformed or unknown."""


class LedgerError(NetretainError):
    """The ledger cannot answer: no data, an unknown month, a missing table."""


class EngineError(NetretainError):
    """An engine is missing, unreachable, or cannot run an operation."""


class UnsupportedError(EngineError):
    """A definition or view asks for something an engine or method cannot compute."""


@dataclass(frozen=True)
class Reject:
    """One reason one input row was refused."""

    file: str
    row: int
    column: str
    reason: str
    value: str | None = None

    def __str__(self) -> str:
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{self.file}, row {self.row}, column {self.column}: {self.reason}{shown}"


class IngestError(NetretainError):
    """Input that cannot be ingested; holds the file, row, column and reason where known."""

    def __init__(self, message: str, *, rejects: tuple[Reject, ...] = (), file: str | None = None):
        self.rejects = rejects
        self.file = file
        super().__init__(message)
