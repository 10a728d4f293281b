"""The forecast and alerts in the web face: their API endpoints (schemas, and the same JSON as the
CLI) and, in Chromium, the Forecast page's fan charts and the alerts on the overview."""

from __future__ import annotations

from tests.web.conftest import (
    Demo,
    Served,
    Watched,
    charts_drawn,
    cli_json,
    get_json,
    shot,
    validate,
)


def test_forecast_endpoint_is_the_cli_json(demo: Demo, site: Served) -> None:
    data = validate("forecast", get_json(site, "/api/v1/forecast"))
    assert len(data["months"]) == 12
    assert data == cli_json("forecast", "--db", demo.db)


def test_alerts_endpoint_is_the_cli_json(demo: Demo, site: Served) -> None:
    data = validate("alerts", get_json(site, "/api/v1/alerts", since="2024-01"))
    assert data == cli_json("alerts", "--since", "2024-01", "--db", demo.db)


def test_openapi_lists_forecast_and_alerts(site: Served) -> None:
    paths = get_json(site, "/openapi.json")["paths"]
    assert "/api/v1/forecast" in paths and "/api/v1/alerts" in paths


def test_forecast_page_draws_its_fan_charts(site: Served, tab: Watched) -> None:
    response = tab.page.goto(site.url + "/forecast")
    assert response is not None and response.status == 200
    charts_drawn(tab.page, 3)
    assert tab.page.locator(".chart").count() == 3
    assert tab.page.locator("#forecast-table tbody tr").count() == 12
    # the 80% and 95% bands are drawn as filled areas in each chart
    assert tab.page.locator("#chart-forecast-ndr path.js-fill").count() >= 2
    assert tab.page.locator("a.current", has_text="Forecast").count() == 1
    shot(tab.page, "forecast")
    tab.clean()


def test_overview_shows_the_alerts(site: Served, tab: Watched) -> None:
    tab.page.goto(site.url + "/")
    section = tab.page.locator("#alerts")
    assert section.locator("h2").inner_text() == "Alerts"
    rows = section.locator("#alerts-table tbody tr").count()
    empty = section.locator("#no-alerts").count()
    assert (rows > 0) != (empty == 1)
    tab.clean()
