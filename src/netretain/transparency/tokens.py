"""Portal tokens: a customer id and an expiry, signed with the ledger's Ed25519 key.

A token is base64url(payload) "." base64url(signature), unpadded; the payload is the canonical JSON
of {"customer_id", "expires", "issued", "v": 1} (times in whole UTC seconds since the epoch) and
the signature covers "netretain portal token v1" || 0x00 || payload, so a token can never pass
for a head, a report or a statement. The server checks it with the public key alone.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from netretain.canonical import canonical_bytes
from netretain.transparency.errors import VerificationError
from netretain.transparency.keys import sign, signature_ok

TOKEN_VERSION = 1
TOKEN_DOMAIN = "netretain portal token v1"
UNITS = {"m": 60, "h": 3600, "d": 86400}
LONGEST = 366 * 86400  # a link lives at most a year: a leaked link should not live for ever


class TokenRefused(VerificationError):
    """A token that is malformed, forged or expired (HTTP 401: no valid credential)."""


class TokenForAnother(VerificationError):
    """A valid token for another customer than the one asked for (HTTP 403)."""


@dataclass(frozen=True)
class Token:
    """What a valid token grants: one customer's statement until `expires`."""

    customer_id: str
    issued: int
    expires: int


def lifetime(text: str) -> int:
    """Seconds in '7d', '12h' or '30m'; refused if not positive or over a year."""
    number, unit = text[:-1], text[-1:]
    if unit not in UNITS or not number.isdigit() or int(number) <= 0:
        raise ValueError(f"{text!r} is not a lifetime like 7d, 12h or 30m")
    seconds = int(number) * UNITS[unit]
    if seconds > LONGEST:
        raise ValueError(f"{text!r} is longer than a year")
    return seconds


def issue_token(
    customer_id: str, key: Ed25519PrivateKey, seconds: int, now: float | None = None
) -> tuple[str, Token]:
    """A token letting whoever holds it see `customer_id`'s statement for `seconds`."""
    issued = int(time.time() if now is None else now)
    claims = Token(customer_id, issued, issued + seconds)
    payload = canonical_bytes({**vars(claims), "v": TOKEN_VERSION})
    signature = sign(key, TOKEN_DOMAIN, payload)
    return f"{_b64(payload)}.{_b64(signature)}", claims


def check_token(
    token: str, public_key: Ed25519PublicKey, customer_id: str, now: float | None = None
) -> Token:
    """The token's claims if `public_key` signed it, it has not expired and it names
    `customer_id`; TokenRefused or TokenForAnother otherwise. Never echoes the token."""
    claims = _claims(token, public_key)
    if (time.time() if now is None else now) >= claims.expires:
        raise TokenRefused("this link has expired: ask for a new one")
    if claims.customer_id != customer_id:
        raise TokenForAnother("this link is for another customer's statement")
    return claims


def _claims(token: str, public_key: Ed25519PublicKey) -> Token:
    try:
        payload_text, signature_text = token.split(".")
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except (ValueError, binascii.Error) as e:
        raise TokenRefused("not a netretain portal link token") from e
    if not signature_ok(public_key, TOKEN_DOMAIN, payload, signature):
        raise TokenRefused("the link's signature is not valid")
    data: dict[str, Any] = json.loads(payload)
    if data.get("v") != TOKEN_VERSION:
        raise TokenRefused(f"unknown token version {data.get('v')!r}")
    return Token(str(data["customer_id"]), int(data["issued"]), int(data["expires"]))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
