"""The dashboard in a real browser: Debian's chromium driven by Playwright, against a real server.

Every page loads with no console error and draws its charts; the as-of picker changes the
figures; a drill-down lands on exactly the customers behind a figure; uploads show each reject;
a write without the key is refused; a customer name is shown as text. A screenshot of every page
goes to tests/artifacts/.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.ingest.usage_cases import USAGE, USAGE_COUNTS, USAGE_REJECTS
from tests.web.conftest import (
    API_KEY,
    BAD_LINES,
    GOOD_LINE,
    Served,
    Watched,
    charts_drawn,
    get_json,
    lines_csv,
    shot,
)

PAGES = {
    "overview": "/",
    "cohorts": "/cohorts?metric=gdr",
    "segments": "/segments?by=segment&by=region",
    "customers": "/customers",
    "customer": "/customers/C0000001",
    "behind": "/behind?change=churn",
    "definitions": "/definitions",
    "data": "/data",
}
CHARTS = {"overview": 3, "cohorts": 1, "segments": 1, "customer": 1}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads_clean_and_draws_its_charts(site: Served, tab: Watched, name: str) -> None:
    response = tab.page.goto(site.url + PAGES[name])
    assert response is not None and response.status == 200
    charts_drawn(tab.page, CHARTS.get(name, 0))
    assert tab.page.locator(".chart").count() == CHARTS.get(name, 0)
    shot(tab.page, name)
    tab.clean()


def figure(page: Page, key: str) -> str:
    return page.locator(f"#figure-{key} .value").inner_text()


def test_changing_the_as_of_month_changes_the_figures(site: Served, tab: Watched) -> None:
    tab.page.goto(site.url + "/")
    latest = figure(tab.page, "ndr")
    with tab.page.expect_navigation():
        tab.page.select_option("#as-of", "2024-03")
    assert "as_of=2024-03" in tab.page.url
    assert tab.page.locator("#as-of-shown").inner_text() == "2024-03"
    expected = get_json(site, "/api/v1/report", as_of="2024-03")["ndr"]
    assert figure(tab.page, "ndr") == f"{expected:.1%}" != latest
    tab.clean()


def column_sum(page: Page, table: str, column: str) -> Decimal:
    cells = page.locator(f"#{table} td[data-col='{column}']")
    return sum(
        (Decimal(v) for v in cells.evaluate_all("c => c.map(e => e.dataset.value)")), Decimal(0)
    )


def click_point(page: Page, chart: str, trace: int, point: int) -> None:
    """Click the middle of one drawn bar or waterfall step, as a person would."""
    bars = page.locator(f"#{chart} g.trace").nth(trace).locator("g.point")
    bars.nth(point).scroll_into_view_if_needed()
    box = bars.nth(point).bounding_box()
    assert box is not None and box["height"] > 0
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)  # Plotly finds the point on hover; the click then reports it
    page.locator(f"#{chart} .hoverlayer .hovertext").first.wait_for()
    with page.expect_navigation():
        page.mouse.click(x, y)


def test_a_movement_bar_drills_down_to_exactly_its_customers(site: Served, tab: Watched) -> None:
    tab.page.goto(site.url + "/")
    charts_drawn(tab.page, 3)
    moves = get_json(site, "/api/v1/movements")
    biggest = max(range(len(moves)), key=lambda i: moves[i]["churn"])  # a bar wide enough to hit
    month = moves[biggest]
    churn_index = 4  # new, expansion, reactivation, contraction, churn
    click_point(tab.page, "chart-movements", churn_index, biggest)
    assert "movement=churn" in tab.page.url and f"month={month['month']}" in tab.page.url
    assert tab.page.locator("#customers-table tbody tr").count() > 1
    shown = column_sum(tab.page, "customers-table", "churn")
    assert shown == Decimal(str(month["churn"]))
    tab.clean()


def test_a_bridge_step_drills_down_to_the_customers_behind_it(site: Served, tab: Watched) -> None:
    tab.page.goto(site.url + "/")
    charts_drawn(tab.page, 3)
    report = get_json(site, "/api/v1/report")
    click_point(tab.page, "chart-bridge", 0, 3)  # starting MRR, expansion, contraction, churn
    assert "change=churn" in tab.page.url
    total = tab.page.locator("#behind-total strong").get_attribute("data-value")
    assert Decimal(total) == Decimal(str(report["churn_mrr"]))
    assert column_sum(tab.page, "behind-table", "amount") == Decimal(total)
    shot(tab.page, "drill-down")
    tab.clean()


def upload(tab: Watched, served: Served, path: Path, key: str, kind: str = "invoice_lines") -> None:
    tab.page.goto(served.url + "/data")
    tab.page.select_option("select[name=kind]", kind)
    tab.page.set_input_files("input[name=file]", str(path))
    if key:
        tab.page.fill("input[name=api_key]", key)
    with tab.page.expect_navigation(timeout=180_000):  # an ingest on a loaded machine
        tab.page.click("#upload-form button")


def test_an_upload_with_bad_rows_shows_each_reject(
    writable: Served, tab: Watched, tmp_path: Path
) -> None:
    path = tmp_path / "lines.csv"
    path.write_bytes(lines_csv(GOOD_LINE, *BAD_LINES))
    upload(tab, writable, path, API_KEY)
    rows = tab.page.locator("#upload-rejects tbody tr")
    assert rows.count() == 2
    assert "not a number" in rows.nth(0).inner_text() and "12,5x" in rows.nth(0).inner_text()
    assert "not a date" in rows.nth(1).inner_text()
    assert "1 row(s) accepted, 2 rejected" in tab.page.locator("#upload-result").inner_text()
    shot(tab.page, "data-upload")
    tab.clean()


def test_the_upload_form_takes_usage_events(writable: Served, tab: Watched) -> None:
    """The form offers every kind the CLI ingests; a usage file shows its rejects (issue 12)."""
    upload(tab, writable, USAGE, API_KEY, kind="usage_events")
    rows = tab.page.locator("#upload-rejects tbody tr")
    assert rows.count() == len(USAGE_REJECTS)
    assert "must not be negative" in tab.page.locator("#upload-rejects").inner_text()
    accepted, _, rejected = USAGE_COUNTS
    result = tab.page.locator("#upload-result").inner_text()
    assert f"{accepted} row(s) accepted, {rejected} rejected" in result
    assert tab.page.locator("select[name=kind] option", has_text="plans").count() == 1
    tab.clean()


def test_a_write_without_the_key_is_refused(writable: Served, tab: Watched, tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_bytes(lines_csv(GOOD_LINE))
    tab.page.on("console", lambda m: None)
    upload(tab, writable, path, "")
    assert "API key" in tab.page.locator("#error-message").inner_text()
    assert {r["ingest_id"] for r in get_json(writable, "/api/v1/ingests")} == {1}


def test_a_customer_name_with_a_script_tag_is_shown_as_text(
    writable: Served, tab: Watched, tmp_path: Path
) -> None:
    name = "<script>alert('owned')</script> & Co"
    customers = tmp_path / "customers.csv"
    customers.write_text(f'customer_id,name,signup_date,parent_id\nZ1,"{name}",2024-12-01,\n')
    lines = tmp_path / "lines.csv"
    lines.write_bytes(lines_csv("Z1L,Z1,2024-12-01,subscription,2024-12-01,2025-01-01,50.00,USD"))
    files = {
        "customers": ("customers.csv", customers.read_bytes(), "text/csv"),
        "invoice_lines": ("lines.csv", lines.read_bytes(), "text/csv"),
    }
    posted = writable.client.post("/api/v1/ingest", files=files, headers={"X-API-Key": API_KEY})
    assert posted.status_code == 200 and posted.json()["rejected"] == 0, posted.text
    tab.page.goto(writable.url + "/customers/Z1")
    assert tab.page.locator("#customer-name").inner_text() == name
    assert tab.page.locator("main script:not([type='application/json'])").count() == 0
    shot(tab.page, "customer-escaped")
    tab.clean()
