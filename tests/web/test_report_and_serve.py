"""`netretain report --html` (one file, no network, the same figures) and `netretain serve`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from tests.web.conftest import (
    CLEAN_ENV,
    Demo,
    Served,
    Watched,
    cli_json,
    copy_ledger,
    free_port,
    get_json,
    shot,
)

SCRIPT = Path(sys.executable).parent / "netretain"


def test_the_html_report_opens_offline_with_the_cli_figures(
    demo: Demo, browser: Browser, tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    expected = cli_json("report", "--db", demo.db, "--as-of", "2024-09", "--html", target)
    context = browser.new_context(offline=True)
    tab = Watched(context.new_page())
    tab.page.goto(target.as_uri())
    tab.page.wait_for_function("document.querySelectorAll('.chart svg.main-svg').length >= 3")
    for key in ("ndr", "gdr", "logo_retention"):
        shown = tab.page.locator(f"#figure-{key} .value").get_attribute("data-value")
        assert float(shown) == expected[key]
    cells = tab.page.locator("#report-table td[data-col='churn_mrr']").get_attribute("data-value")
    assert float(cells) == expected["churn_mrr"]
    assert "<script src=" not in target.read_text(encoding="utf-8")
    shot(tab.page, "html-report")
    tab.clean()
    context.close()


def run_serve(*args: object) -> subprocess.CompletedProcess[str]:
    argv = [str(SCRIPT), "serve", *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, env=CLEAN_ENV, timeout=60)


def test_serve_refuses_another_address_without_a_key(demo: Demo) -> None:
    result = run_serve("--db", demo.db, "--host", "0.0.0.0", "--port", free_port())
    assert result.returncode == 1
    assert "refusing to listen on 0.0.0.0 without an API key" in result.stderr


@pytest.mark.parametrize("host", ["127.0.0.1"])
def test_serve_answers_and_never_prints_the_key(demo: Demo, tmp_path: Path, host: str) -> None:
    db = copy_ledger(demo.db, tmp_path / "ledger.duckdb")
    port = free_port()
    key = "very-secret-key-123"
    argv = [str(SCRIPT), "serve", "--db", str(db), "--host", host, "--port", str(port)]
    env = {**CLEAN_ENV, "NETRETAIN_API_KEY": key}
    server = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://{host}:{port}/api/v1/report"
        for _ in range(300):  # bounded wait for start-up, not a timing assertion
            try:
                report = httpx.get(url, timeout=5).json()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert report["ndr"] == cli_json("report", "--db", demo.db)["ndr"]
        refused = httpx.post(f"http://{host}:{port}/api/v1/ingest", headers={"X-API-Key": "no"})
        assert refused.status_code == 403
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert key not in output.decode()
    assert "uploads on" in output.decode()


def test_a_cli_ingest_beside_the_server_says_to_upload_through_it(
    writable: Served, demo: Demo
) -> None:
    script = Path(sys.executable).parent / "netretain"
    argv = [str(script), "ingest", "--db", str(writable.settings.db)]
    argv += ["--invoice-lines", str(demo.data / "invoice_lines.csv")]
    # bounded, not timed: a command that waited for the server would end here as a failure
    result = subprocess.run(argv, capture_output=True, text=True, env=CLEAN_ENV, timeout=120)
    assert result.returncode == 1, result.stderr
    message = " ".join(result.stderr.split())
    assert "held by a dashboard server" in message and "POST /api/v1/ingest" in message
    assert "Traceback" not in result.stderr
    assert get_json(writable, "/api/v1/report")["as_of"]  # the server still answers
