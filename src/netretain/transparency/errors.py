"""Errors of the transparency log, rooted at NetretainError so callers catch them with the rest."""

from __future__ import annotations

from netretain.errors import NetretainError


class TransparencyError(NetretainError):
    """A log, key, head, statement or anchor cannot be built or read."""


class KeyFileError(TransparencyError):
    """A key file is missing, unreadable, of the wrong kind, or readable by others."""


class VerificationError(TransparencyError):
    """Something does not verify; the message names the first thing that failed and where."""
