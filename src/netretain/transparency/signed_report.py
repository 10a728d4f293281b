"""Signed reports: a report's figures, its definition's sha256 and a tree head, in one signature.

JSON: {"definition_sha256", "head": <signed head>, "key_id", "report": <figures>, "signature",
"v": 1}.
The signature covers "netretain signed report v1" || 0x00 || the canonical JSON of everything but
`key_id` and `signature`. Figures are stored in their canonical form (Decimals as strings), so the
file holds exactly what was signed and one changed digit fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from netretain.canonical import canonical_bytes
from netretain.transparency.errors import VerificationError, verified
from netretain.transparency.heads import SignedHead, TreeHead, verify_head
from netretain.transparency.keys import REPORT_DOMAIN, key_id, sign, signature_ok

REPORT_VERSION = 1


@dataclass(frozen=True)
class VerifiedReport:
    """A report whose figures, definition and head the key vouches for."""

    figures: dict[str, Any]
    definition_sha256: str
    head: TreeHead


def _body(figures: Any, definition_sha256: str, head: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "definition_sha256": definition_sha256,
        "head": dict(head),
        "report": figures,
        "v": REPORT_VERSION,
    }


def sign_report(
    figures: Mapping[str, Any], definition_sha256: str, head: SignedHead, key: Ed25519PrivateKey
) -> dict[str, Any]:
    """Bind `figures` (a report's to_dict()), the definition hash and `head` in one signature."""
    _check_definition(figures, definition_sha256)
    body = _body(json.loads(canonical_bytes(figures)), definition_sha256, head.to_dict())
    signature = sign(key, REPORT_DOMAIN, canonical_bytes(body))
    return {**body, "key_id": key_id(key.public_key()), "signature": signature.hex()}


def verify_report(
    data: Mapping[str, Any] | str | bytes, public_key: Ed25519PublicKey
) -> VerifiedReport:
    """The report, if `public_key` signed it and its head; VerificationError naming what fails."""
    return verified(data, "signed report", lambda doc: _verify(doc, public_key))


def _verify(signed: Mapping[str, Any], public_key: Ed25519PublicKey) -> VerifiedReport:
    if signed.get("v") != REPORT_VERSION:
        raise VerificationError(f"unknown signed report version {signed.get('v')!r}")
    if signed.get("key_id") != key_id(public_key):
        raise VerificationError("the report was signed by another key")
    body = _body(signed["report"], signed["definition_sha256"], signed["head"])
    try:
        signature = bytes.fromhex(signed["signature"])
    except ValueError as e:
        raise VerificationError("the report's signature is not hex") from e
    if not signature_ok(public_key, REPORT_DOMAIN, canonical_bytes(body), signature):
        raise VerificationError("bad signature: the report, its definition or its head changed")
    head = verify_head(SignedHead.from_dict(signed["head"]), public_key)
    _check_definition(signed["report"], signed["definition_sha256"])
    return VerifiedReport(dict(signed["report"]), signed["definition_sha256"], head)


def _check_definition(figures: Mapping[str, Any], definition_sha256: str) -> None:
    """A report that names its definition must name the one being signed."""
    stamped = (figures.get("definition") or {}).get("sha256")
    if stamped is not None and stamped != definition_sha256:
        raise VerificationError(
            f"the report was made by definition {stamped[:12]}..., not {definition_sha256[:12]}..."
        )
