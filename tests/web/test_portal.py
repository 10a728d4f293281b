"""The customer portal over HTTP and in Chromium: a token for one customer shows that customer's
statement, verified in the page; another customer's URL is 403; expired and forged tokens 401."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netretain.transparency.keys import init_keys, load_private_key
from netretain.transparency.statement import verify_statement
from netretain.transparency.tokens import issue_token
from tests.web.conftest import Demo, Served, Watched, copy_ledger, serve, shot, validate

A, B = "C0000001", "C0000002"


@pytest.fixture(scope="module")
def portal_site(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server over a copy of the demo ledger and its signing key (beside it, as ingest left)."""
    folder = tmp_path_factory.mktemp("portal")
    db = copy_ledger(demo.db, folder / "ledger.duckdb")
    for suffix in (".key", ".pub"):
        shutil.copy2(f"{demo.db}{suffix}", f"{db}{suffix}")
    with serve(db, folder / "data") as served:
        yield served


def key(served: Served):
    return load_private_key(Path(f"{served.settings.db}.key"))


def token(served: Served, customer: str, seconds: int = 3600, now: float | None = None) -> str:
    return issue_token(customer, key(served), seconds, now)[0]


def test_own_statement_is_200_and_verifies(portal_site: Served) -> None:
    t = token(portal_site, A)
    page = portal_site.client.get(f"/portal/{A}", params={"token": t})
    assert page.status_code == 200 and 'id="statement-data"' in page.text
    assert "/static/statement.js" in page.text and "expires" in page.text
    data = portal_site.client.get(f"/api/v1/portal/{A}/statement", params={"token": t})
    assert data.status_code == 200
    done = verify_statement(validate("statement", data.json()), key(portal_site).public_key())
    assert done.customer_id == A and done.records and done.history
    assert {(r["row"] or {}).get("customer_id") for r in done.records} == {A}


@pytest.mark.parametrize("path", ["/portal/{}", "/api/v1/portal/{}/statement"])
def test_a_token_for_a_on_bs_url_is_403(portal_site: Served, path: str) -> None:
    response = portal_site.client.get(path.format(B), params={"token": token(portal_site, A)})
    assert response.status_code == 403
    assert B not in response.text.replace(f"/{B}", "")  # nothing of B's is shown


def forged(served: Served, tmp_path: Path) -> str:
    other = load_private_key(init_keys(tmp_path / "other").private)
    return issue_token(A, other, 3600)[0]


def edited(served: Served) -> str:
    payload, signature = token(served, A).split(".")
    return f"{payload[:-2]}xx.{signature}"


@pytest.mark.parametrize(
    ("make", "path"),
    [
        (lambda s, p: token(s, A, 60, now=time.time() - 3600), "/portal/{}"),
        (lambda s, p: token(s, A, 60, now=time.time() - 3600), "/api/v1/portal/{}/statement"),
        (forged, "/portal/{}"),
        (forged, "/api/v1/portal/{}/statement"),
        (lambda s, p: edited(s), "/portal/{}"),
        (lambda s, p: "", "/portal/{}"),
        (lambda s, p: "not-a-token", "/api/v1/portal/{}/statement"),
    ],
)
def test_expired_forged_and_missing_tokens_are_401(portal_site, tmp_path, make, path) -> None:
    response = portal_site.client.get(path.format(A), params={"token": make(portal_site, tmp_path)})
    assert response.status_code == 401, response.text
    assert "statement-data" not in response.text


def test_the_page_verifies_the_statement_in_chromium(portal_site: Served, tab: Watched) -> None:
    url = f"{portal_site.url}/portal/{A}?token={token(portal_site, A)}"
    response = tab.page.goto(url)
    assert response is not None and response.status == 200
    tab.page.wait_for_function(
        "document.getElementById('verification').dataset.state !== 'checking'", timeout=30_000
    )
    banner = tab.page.locator("#verification")
    assert banner.get_attribute("data-state") == "verified", banner.inner_text()
    assert "Verified in your browser" in banner.inner_text()
    assert tab.page.locator("#customer-id").inner_text() == A
    assert tab.page.locator("#history-table tbody tr").count() > 0
    assert tab.page.locator("#facts-revenue tbody tr").count() > 0
    shot(tab.page, "portal")
    tab.clean()


def test_another_customers_page_shows_refused_in_chromium(portal_site, tab: Watched) -> None:
    response = tab.page.goto(f"{portal_site.url}/portal/{B}?token={token(portal_site, A)}")
    assert response is not None and response.status == 403
    assert tab.page.locator("#verification").count() == 0
    assert "another customer" in tab.page.content()
