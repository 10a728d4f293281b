"""The customer portal: a link with a signed, expiring token shows one customer their own statement,
checked in their browser by statement.js. No other page is reachable with a portal token.

Tokens are Ed25519-signed with the ledger's own key (transparency/tokens.py), so the operator needs
no second secret and the server checks them with the public key. A missing, forged or expired token
is 401; a valid token used on another customer's URL is 403.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from netretain import Ledger
from netretain.core.results import plain
from netretain.ledger import loyalty, proofs
from netretain.transparency.errors import VerificationError
from netretain.transparency.tokens import Token, TokenForAnother, check_token
from netretain.web.api import read
from netretain.web.security import AuthError
from netretain.web.statement_html import payload
from netretain.web.templating import templates

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["portal"])
TOKEN = Query("", description="The token from `netretain portal-link`.")


def public_key(request: Request) -> Ed25519PublicKey:
    """The server's ledger key (beside the ledger, or NETRETAIN_KEY), as its ledger holds it."""
    return read(request, ledger_key)


def ledger_key(ledger: Ledger) -> Ed25519PublicKey:
    """The key a ledger signs its heads, statements and portal tokens with."""
    return ledger.public_key()


def granted(request: Request, customer_id: str, token: str) -> Token:
    """The token's claims for this customer; AuthError 401 (no valid token) or 403 (another's)."""
    if not token:
        raise AuthError("this page needs the link's token: ask your vendor for a portal link", 401)
    try:
        return check_token(token, public_key(request), customer_id)
    except TokenForAnother as e:
        raise AuthError(str(e), 403) from e
    except VerificationError as e:  # TokenRefused: malformed, forged or expired
        raise AuthError("this link is not valid: ask your vendor for a new one", 401) from e


def customer_statement(ledger: Ledger, customer_id: str) -> dict[str, Any]:
    """The statement the portal shows, signed with the ledger's key (a reader keeps it)."""
    return proofs.statement(ledger, customer_id)


def loyalty_of(ledger: Ledger, customer_id: str) -> dict[str, Any]:
    """One customer's tier, points, rewards and offers, as JSON (ledger/loyalty.py)."""
    return plain(loyalty.portal_view(ledger, customer_id))


def statement_for(request: Request, customer_id: str) -> dict[str, Any]:
    return read(request, customer_statement, customer_id)


@router.get("/portal/{customer_id}", response_class=HTMLResponse)
def portal(request: Request, customer_id: str, token: str = TOKEN, redeemed: str = ""):
    """One customer's statement, usage and spend, with every proof checked in the page, and
    their loyalty tier, points, rewards and offers (issue 17)."""
    claims = granted(request, customer_id, token)
    statement = statement_for(request, customer_id)
    context = {
        "payload": payload(statement, public_key(request)),
        "customer_id": customer_id,
        "token": token,
        "expires": datetime.fromtimestamp(claims.expires, UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "loyalty": read(request, loyalty_of, customer_id),
        "redeemed": redeemed,
    }
    return templates.TemplateResponse(request, "portal.html", context)


@api_router.get("/portal/{customer_id}/statement")
def portal_statement(request: Request, customer_id: str, token: str = TOKEN) -> dict[str, Any]:
    """The same statement as JSON, for `netretain verify-statement` or the docs' script."""
    granted(request, customer_id, token)
    return statement_for(request, customer_id)
