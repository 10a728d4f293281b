"""Errors of the connectors: a source that refuses, fails or answers what netretain cannot map."""

from netretain.errors import NetretainError


class ConnectorError(NetretainError):
    """A source (Stripe, PostgreSQL) refused or failed; the message never holds a secret.
    `status` is the HTTP status a web source answered, if any."""

    status: int | None = None
