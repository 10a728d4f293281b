"""`netretain statement --html FILE`: a self-contained statement that verifies itself.

The file holds the statement JSON, the signer's public key, and statement.js, which checks every
signature and proof in the browser (WebCrypto) with no network, and says what it found.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from netretain.transparency.keys import raw_public
from netretain.web.templating import templates

STATIC = Path(__file__).parent / "static"


def payload(statement: Mapping[str, Any], public_key: Ed25519PublicKey) -> dict[str, Any]:
    """What the page's script reads: the statement and the raw public key (hex)."""
    return {"public_key": raw_public(public_key).hex(), "statement": dict(statement)}


def render_statement(statement: Mapping[str, Any], public_key: Ed25519PublicKey) -> str:
    """The statement as one HTML document with its verifier inline."""
    context = {
        "payload": payload(statement, public_key),
        "css": (STATIC / "style.css").read_text(encoding="utf-8"),
        "statement_js": (STATIC / "statement.js").read_text(encoding="utf-8"),
    }
    return templates.env.get_template("statement.html").render(context)


def write_statement(
    statement: Mapping[str, Any], public_key: Ed25519PublicKey, path: str | Path
) -> Path:
    """Write the HTML statement to `path` and return it."""
    target = Path(path)
    target.write_text(render_statement(statement, public_key), encoding="utf-8")
    return target
