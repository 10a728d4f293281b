"""The API key for writes, the Content-Security-Policy, and who may bind where."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Request
from fastapi.security import APIKeyHeader

from netretain import NetretainError

API_KEY_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False)
# Plotly sets inline styles on the SVG it draws, hence 'unsafe-inline' for styles only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class AuthError(NetretainError):
    """A write without a valid API key: 401 when none was sent, 403 when it is wrong."""

    def __init__(self, message: str, status: int):
        self.status = status
        super().__init__(message)


def check_key(expected: str | None, given: str | None) -> None:
    """Refuse a write unless the key matches, in constant time; the key is never echoed."""
    if expected is None:
        raise AuthError("writes are disabled: start the server with --api-key to allow them", 403)
    if not given:
        raise AuthError("this write needs the API key in the X-API-Key header", 401)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise AuthError("wrong API key", 403)


def request_key(request: Request) -> str | None:
    """The key a request carries, from the header or (for the upload form) a form field."""
    return request.headers.get("x-api-key")


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse to listen beyond this machine without an API key."""
    if not is_loopback(host) and not api_key:
        raise NetretainError(
            f"refusing to listen on {host} without an API key: "
            "set NETRETAIN_API_KEY or --api-key, or bind 127.0.0.1"
        )
