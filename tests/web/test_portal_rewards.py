"""The portal's loyalty part over HTTP and in Chromium: a customer sees their own tier, points and
rewards and redeems one; a token for A can neither read nor spend B's points (403)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from netretain.incentives.grants import IncentiveGrant
from netretain.ledger.incentives import record_incentives
from netretain.transparency.keys import load_private_key
from netretain.transparency.tokens import issue_token
from tests.web.conftest import Demo, Served, Watched, copy_ledger, get_json, serve, shot, validate

A, B = "C0000001", "C0000002"


@pytest.fixture
def rewards_site(demo: Demo, tmp_path: Path) -> Iterator[Served]:
    """A server over a private copy of the demo ledger and its key: redeeming writes."""
    db = copy_ledger(demo.db, tmp_path / "ledger.duckdb")
    for suffix in (".key", ".pub"):
        shutil.copy2(f"{demo.db}{suffix}", f"{db}{suffix}")
    with serve(db, tmp_path / "data") as served:
        yield served


def token(served: Served, customer: str) -> str:
    key = load_private_key(Path(f"{served.settings.db}.key"))
    return issue_token(customer, key, 3600)[0]


def loyalty_of(served: Served, customer: str) -> dict:
    path = f"/api/v1/portal/{customer}/loyalty"
    return validate("portal-loyalty", get_json(served, path, token=token(served, customer)))


def test_own_loyalty_and_nobody_elses(rewards_site: Served) -> None:
    mine = loyalty_of(rewards_site, A)
    assert mine["customer_id"] == A and mine["account"]["customer_id"] == A
    assert mine["account"]["points"] == mine["account"]["earned"] > 0
    assert [r["id"] for r in mine["rewards"]] == ["discount-50", "discount-150", "early-access"]
    assert mine["offers"] == [] and mine["redemptions"] == []
    theirs_before = loyalty_of(rewards_site, B)
    with_a = {"token": token(rewards_site, A)}
    read = rewards_site.client.get(f"/api/v1/portal/{B}/loyalty", params=with_a)
    spent = rewards_site.client.post(f"/api/v1/portal/{B}/rewards/early-access", params=with_a)
    form = rewards_site.client.post(
        f"/portal/{B}/redeem", data={**with_a, "reward": "early-access"}
    )
    assert (read.status_code, spent.status_code, form.status_code) == (403, 403, 403)
    assert B not in read.text.replace(f"/{B}", "") and "points" not in read.text
    assert loyalty_of(rewards_site, B) == theirs_before  # nothing of B's was spent
    forged = rewards_site.client.get(f"/api/v1/portal/{A}/loyalty", params={"token": "x.y"})
    assert forged.status_code == 401


def test_redeeming_over_the_api_spends_points_once(rewards_site: Served) -> None:
    before = loyalty_of(rewards_site, A)["account"]
    path = f"/api/v1/portal/{A}/rewards/early-access"
    done = rewards_site.client.post(path, params={"token": token(rewards_site, A)})
    assert done.status_code == 200, done.text
    validate("rewards-redeem", done.json())
    assert done.json()["points"] == 100 and done.json()["customer_id"] == A
    after = loyalty_of(rewards_site, A)
    assert after["account"]["points"] == before["points"] - 100
    assert after["account"]["earned"] == before["earned"]
    assert [r["reward"] for r in after["redemptions"]] == ["early-access"]
    too_dear = rewards_site.client.post(
        f"/api/v1/portal/{A}/rewards/discount-150", params={"token": token(rewards_site, A)}
    )
    assert after["account"]["points"] == 335  # the demo's C0000001 earned 435 by 2024-12
    assert too_dear.status_code == 400 and "335 points; discount-150 needs 500" in too_dear.text


def test_the_page_shows_tier_points_and_redeems_in_chromium(rewards_site, tab: Watched) -> None:
    before = loyalty_of(rewards_site, A)["account"]
    theirs = loyalty_of(rewards_site, B)
    tab.page.goto(f"{rewards_site.url}/portal/{A}?token={token(rewards_site, A)}")
    assert tab.page.locator("#loyalty-tier").inner_text() == before["tier"]
    assert tab.page.locator("#loyalty-points").inner_text() == str(before["points"])
    assert tab.page.locator("#rewards-table tbody tr").count() == 3
    assert "No open offers" in tab.page.locator("#no-offers").inner_text()
    tab.page.locator('tr[data-reward="early-access"] button').click()
    tab.page.wait_for_selector("#redeemed")
    assert "early-access" in tab.page.locator("#redeemed").inner_text()
    assert tab.page.locator("#loyalty-points").inner_text() == str(before["points"] - 100)
    assert tab.page.locator("#redemptions-table tbody tr").count() == 1
    assert A in tab.page.url and B not in tab.page.content()
    shot(tab.page, "portal-rewards")
    tab.page.wait_for_function(
        "document.getElementById('verification').dataset.state !== 'checking'", timeout=30_000
    )
    tab.clean()
    assert loyalty_of(rewards_site, B) == theirs  # B's standing is untouched


def offer(customer: str, ident: str, end: dt.date) -> IncentiveGrant:
    return IncentiveGrant(ident, customer, "offer", "save-offer@1", dt.date(2024, 6, 1), end,
                          Decimal("20.00"), "USD")  # fmt: skip


def test_open_offers_are_the_customers_own_running_ones(rewards_site, tab: Watched) -> None:
    with rewards_site.ledger.writing() as writer:  # as `netretain campaign start` records them
        record_incentives(writer, [
            offer(A, "c1:A", dt.date(2025, 2, 1)),  # runs past 2024-12: open
            offer(A, "c0:A", dt.date(2024, 9, 1)),  # ended
            offer(B, "c1:B", dt.date(2025, 2, 1)),  # B's
        ])  # fmt: skip
    mine = loyalty_of(rewards_site, A)["offers"]
    assert mine == [
        {"offer": "save-offer@1", "start_month": "2024-06", "end_month": "2025-02", "mrr": 20.0}
    ]
    tab.page.goto(f"{rewards_site.url}/portal/{A}?token={token(rewards_site, A)}")
    items = tab.page.locator("#offers-list li")
    assert items.count() == 1
    assert items.inner_text() == "save-offer@1: 20.00 USD off a month, 2024-06 to 2025-02"
