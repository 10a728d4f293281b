"""The portal's loyalty part (issue 17): one customer's tier, points, rewards and open offers, and
redeeming a reward, all under the same signed link token as the statement (web/portal.py), so a
token for one customer never reads or spends another's points (403)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from netretain.core.results import plain
from netretain.ledger import loyalty
from netretain.web.api import read
from netretain.web.portal import TOKEN, granted, loyalty_of
from netretain.web.state import LedgerState

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["portal"])


def loyalty_for(request: Request, customer_id: str) -> dict[str, Any]:
    """The portal's loyalty view of one customer, cached per ledger version."""
    return read(request, loyalty_of, customer_id)


def spend(request: Request, customer_id: str, reward: str) -> loyalty.Redemption:
    """Redeem on the server's writer ledger, one write at a time (409 while another runs)."""
    state: LedgerState = request.app.state.ledger
    with state.writing() as writer:
        return loyalty.redeem(writer, customer_id, reward)


@api_router.get("/portal/{customer_id}/loyalty")
def portal_loyalty(request: Request, customer_id: str, token: str = TOKEN) -> dict[str, Any]:
    """Tier, points, rewards (each marked affordable or not), redemptions and open offers."""
    granted(request, customer_id, token)
    return loyalty_for(request, customer_id)


@api_router.post("/portal/{customer_id}/rewards/{reward}")
def portal_redeem_api(request: Request, customer_id: str, reward: str, token: str = TOKEN
                      ) -> dict[str, Any]:  # fmt: skip
    """Spend the customer's points on `reward`; 400 with the reason if they are too few."""
    granted(request, customer_id, token)
    return plain(spend(request, customer_id, reward).to_dict())


@router.post("/portal/{customer_id}/redeem")
def portal_redeem(
    request: Request, customer_id: str, token: str = Form(""), reward: str = Form(...)
) -> RedirectResponse:
    """The page's Redeem button: redeem, then back to the portal saying what was redeemed."""
    granted(request, customer_id, token)
    done = spend(request, customer_id, reward)
    query = urlencode({"token": token, "redeemed": done.reward})
    return RedirectResponse(f"/portal/{customer_id}?{query}#loyalty", status_code=303)
