"""Steps that run at the end of every ingest, inside its transaction: a failing step rolls the whole
ingest back. The revenue log and usage-derived tables plug in here.

    >>> from netretain.ledger import hooks
    >>> hooks.register(lambda ingested: print(ingested.ingest_id))
"""

from __future__ import annotations

from netretain.ledger.ingest import Ingested, IngestHook

__all__ = ["IngestHook", "Ingested", "register", "registered", "unregister"]
_REGISTERED: list[IngestHook] = []


def register(hook: IngestHook) -> IngestHook:
    """Run `hook` at the end of every ingest of every ledger opened from now on."""
    _REGISTERED.append(hook)
    return hook


def registered() -> tuple[IngestHook, ...]:
    """The steps every ledger runs, in the order they were registered."""
    return tuple(_REGISTERED)


def unregister(hook: IngestHook) -> None:
    """Stop running `hook` in ledgers opened from now on."""
    _REGISTERED.remove(hook)
