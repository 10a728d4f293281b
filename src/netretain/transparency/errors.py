"""Errors of the transparency log, rooted at NetretainError so callers catch them with the rest."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from netretain.errors import NetretainError

T = TypeVar("T")


class TransparencyError(NetretainError):
    """A log, key, head, statement or anchor cannot be built or read."""


class KeyFileError(TransparencyError):
    """A key file is missing, unreadable, of the wrong kind, or readable by others."""


class VerificationError(TransparencyError):
    """Something does not verify; the message names the first thing that failed and where."""


def verified(
    data: Mapping[str, Any] | str | bytes, what: str, check: Callable[[Mapping[str, Any]], T]
) -> T:
    """`check` a document given as JSON text or a mapping; malformed input is a
    VerificationError saying it is not a netretain `what`, never a KeyError."""
    try:
        return check(json.loads(data) if isinstance(data, str | bytes) else data)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise VerificationError(f"not a netretain {what}: {e!r}") from e
