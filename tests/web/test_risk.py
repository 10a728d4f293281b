"""The Risk page and its API: the same ranked lists as `netretain risk` and `expansion`, in a real
browser (Debian's chromium via Playwright) and over HTTP."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from tests.web.conftest import Demo, Served, Watched, cli_json, get_json, shot, validate


def test_the_risk_api_is_the_cli_risk_list(site: Served, demo: Demo) -> None:
    api = validate("risk", get_json(site, "/api/v1/risk", as_of="2024-10", top=5))
    cli = cli_json("risk", "--db", demo.db, "--as-of", "2024-10", "--top", "5")
    assert api == cli
    assert len(api["accounts"]) == 5 and api["model"]["source"] == "fitted now"
    every = get_json(site, "/api/v1/risk", as_of="2024-10", top=0)
    assert len(every["accounts"]) > 5
    grown = validate("expansion", get_json(site, "/api/v1/expansion", as_of="2024-10", top=5))
    assert grown == cli_json("expansion", "--db", demo.db, "--as-of", "2024-10", "--top", "5")


def test_the_risk_csv_is_shaped_for_a_crm(site: Served) -> None:
    response = site.client.get("/api/v1/risk", params={"as_of": "2024-10", "format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["account_id", "owner", "score", "expected_mrr_at_risk", "reason"]
    assert len(rows) == 20 and rows[0]["reason"]


def test_the_risk_page_lists_the_api_accounts_with_their_drivers(
    site: Served, tab: Watched
) -> None:
    response = tab.page.goto(site.url + "/risk?as_of=2024-10")
    assert response is not None and response.status == 200
    assert tab.page.locator("#risk-as-of").inner_text() == "2024-10"
    api = get_json(site, "/api/v1/risk", as_of="2024-10")
    rows = tab.page.locator("#risk-table tbody tr")
    assert rows.count() == len(api["accounts"]) == 20
    ids = tab.page.locator("#risk-table td[data-col='customer_id']").all_inner_texts()
    assert ids == [a["customer_id"] for a in api["accounts"]]
    at_risk = tab.page.locator("#risk-table td[data-col='expected_mrr_at_risk']")
    shown = [Decimal(v) for v in at_risk.evaluate_all("c => c.map(e => e.dataset.value)")]
    assert shown == [Decimal(str(a["expected_mrr_at_risk"])) for a in api["accounts"]]
    first = rows.nth(0).locator("ul.drivers li").all_inner_texts()
    assert first == api["accounts"][0]["drivers"] and first
    assert tab.page.locator("#expansion-table tbody tr").count() == 20
    assert "fitted now" in tab.page.locator("p.model").first.inner_text()
    assert tab.page.locator("nav a.current").inner_text() == "Risk"
    shot(tab.page, "risk")
    tab.clean()
