"""The errors netretain raises: one root, so callers can catch all the library means to say.

A message names the caller's arguments with `arg("strict")`: the library spells them as Python
arguments (strict=True); each face renders them as its own words (`--strict`) with `render`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_ARG = re.compile("\u27e6([a-z_]+)\u27e7")
# How the library names an argument in a message, where that is not just its name.
LIBRARY_SPELLING = {
    "strict": "strict=True",
    "replace": "replace=True",
    "by_amount": "by_amount=True",
    "customer_movements": "Ledger.customer_movements(movement='churn', start=..., end=...)",
    "ingest": "Ledger.ingest",
    "check": "Ledger.check()",
    "rebuild": "Ledger.rebuild()",
    "verify": "Ledger.verify()",
    "memory_limit": 'open_store(..., memory_limit="8GB")',
}


def arg(name: str) -> str:
    """An argument named in a message, for each face to spell its own way."""
    return f"\u27e6{name}\u27e7"


class NetretainError(Exception):
    """Root of every error netretain raises on purpose."""

    def render(self, spelling: Mapping[str, str] | None = None) -> str:
        """The message with each argument spelled as `spelling` says (else as in Python)."""
        words = {**LIBRARY_SPELLING, **(spelling or {})}
        text = super().__str__()
        return _ARG.sub(lambda m: words.get(m.group(1), m.group(1)), text)

    def __str__(self) -> str:
        return self.render()


class DefinitionError(NetretainError, ValueError):
    """A metric definition is malformed or unknown."""


class LedgerError(NetretainError):
    """The ledger cannot answer: no data, an unknown month, a missing table."""


class NotFoundError(LedgerError):
    """A month, customer or table the ledger does not have (a web face answers 404)."""


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
