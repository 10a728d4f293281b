"""Web fixtures: the demo company, a real uvicorn server on a free 127.0.0.1 port per ledger,
an httpx client, and API responses checked against the published schemas in docs/schemas/.

Nothing is mocked: the server owns a real DuckDB ledger, as `netretain serve` does.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import uvicorn
from jsonschema import Draft202012Validator
from playwright.sync_api import Browser, Page, sync_playwright
from referencing import Registry, Resource

from netretain.web.app import create_app
from netretain.web.state import LedgerState, Settings

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DEMO_ARGS = ("demo", "--customers", "300", "--months", "24", "--seed", "7", "--start", "2023-01")
API_KEY = "test-key-not-secret"
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("NETRETAIN_")} | {
    "COLUMNS": "240",
    "NO_COLOR": "1",
}


@cache
def registry() -> Registry:
    """Every schema file, addressable by its file name (how they `$ref` each other)."""
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in sorted(SCHEMAS.glob("*.schema.json"))
    ]
    return Registry().with_resources(resources)


def validate(name: str, data: Any) -> Any:
    """Fail with every schema error if `data` does not match docs/schemas/<name>.schema.json."""
    schema = registry().contents(f"{name}.schema.json")
    found = Draft202012Validator(schema, registry=registry()).iter_errors(data)
    errors = sorted(found, key=lambda e: str(list(e.absolute_path)))
    assert not errors, f"{name}.schema.json:\n" + "\n".join(
        f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:20]
    )
    return data


def netretain(*args: Any) -> subprocess.CompletedProcess[str]:
    """The real `netretain` command in a subprocess (the face under test is the web one)."""
    script = Path(sys.executable).parent / "netretain"
    argv = [str(script), *map(str, args)]
    result = subprocess.run(argv, capture_output=True, text=True, env=CLEAN_ENV, check=False)
    assert result.returncode == 0, f"{argv} exited {result.returncode}:\n{result.stderr}"
    return result


def cli_json(*args: Any) -> Any:
    """`netretain ARGS --format json`, parsed."""
    return json.loads(netretain(*args, "--format", "json").stdout)


@dataclass(frozen=True)
class Demo:
    """The demo company's ledger (never written by the server) and its generated CSV files."""

    db: Path
    data: Path


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """`netretain demo` once per session: 300 customers over 24 months, with 7 bad rows."""
    folder = tmp_path_factory.mktemp("demo")
    db, data = folder / "demo.duckdb", folder / "data"
    netretain(*DEMO_ARGS, "--db", db, "--data-dir", data, "--format", "json")
    return Demo(db=db, data=data)


def free_port() -> int:
    """A port nobody listens on now, on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    """A running server: its base URL, its settings and a client bound to it."""

    url: str
    settings: Settings
    client: httpx.Client
    ledger: LedgerState


@contextmanager
def serve(db: Path, data_dir: Path, **options: Any) -> Iterator[Served]:
    """`create_app` under a real uvicorn on a free 127.0.0.1 port, in a thread, until exit."""
    settings = Settings(db=db, data_dir=data_dir, api_key=API_KEY, **options)
    port = free_port()
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=60) as client:
        try:
            yield Served(url=url, settings=settings, client=client, ledger=app.state.ledger)
        finally:
            server.should_exit = True
            thread.join(timeout=30)


def copy_ledger(source: Path, target: Path) -> Path:
    """Copy a DuckDB ledger (and its WAL, if any) so a server may own and write it."""
    shutil.copyfile(source, target)
    wal = Path(f"{source}.wal")
    if wal.exists():
        shutil.copyfile(wal, Path(f"{target}.wal"))
    return target


@pytest.fixture(scope="session")
def site(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server over a copy of the demo ledger for every read-only test."""
    folder = tmp_path_factory.mktemp("site")
    db = copy_ledger(demo.db, folder / "ledger.duckdb")
    with serve(db, folder / "data") as served:
        yield served


@pytest.fixture
def writable(demo: Demo, tmp_path: Path) -> Iterator[Served]:
    """A server over a private copy of the demo ledger, for tests that ingest."""
    db = copy_ledger(demo.db, tmp_path / "ledger.duckdb")
    with serve(db, tmp_path / "data", max_upload_bytes=2 * 1024 * 1024) as served:
        yield served


def get_json(served: Served, path: str, status: int = 200, **params: Any) -> Any:
    """GET a JSON endpoint and check its status, showing the body when it differs."""
    response = served.client.get(path, params=params)
    assert response.status_code == status, (
        f"{path} {params}: {response.status_code} {response.text}"
    )
    return response.json()


# Small upload files; the bad rows sit at known rows (the header is row 1).
LINES_HEADER = "line_id,customer_id,invoice_date,type,service_start,service_end,amount,currency"
GOOD_LINE = "X1,C0000001,2024-12-01,subscription,2024-12-01,2025-01-01,100.00,USD"
BAD_LINES = [
    'X2,C0000002,2024-12-01,subscription,2024-12-01,2025-01-01,"12,5x",USD',  # row 3: amount
    "X3,C0000003,2024-13-45,subscription,2024-12-01,2025-01-01,80.00,USD",  # row 4: invoice_date
]


def lines_csv(*rows: str) -> bytes:
    """An invoice-lines CSV with these rows."""
    return ("\n".join([LINES_HEADER, *rows]) + "\n").encode()


def post_ingest(served: Served, key: str | None = API_KEY, **fields: Any) -> httpx.Response:
    """POST /api/v1/ingest with invoice lines (and form fields), as a client would."""
    body = fields.pop("body", lines_csv(GOOD_LINE, *BAD_LINES))
    headers = {"X-API-Key": key} if key else {}
    files = {"invoice_lines": ("lines <1>.csv", body, "text/csv")}
    return served.client.post("/api/v1/ingest", files=files, data=fields, headers=headers)


CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium; a missing one fails the run (it is installed by .ci/run)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


class Watched:
    """A page with its console errors and every request that tried to leave 127.0.0.1."""

    def __init__(self, page: Page):
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.route("**/*", self._only_loopback)

    def _only_loopback(self, route) -> None:
        url = urlparse(route.request.url)
        if url.hostname == "127.0.0.1" or url.scheme in ("file", "data", "blob"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def clean(self) -> None:
        assert not self.errors, self.errors
        assert not self.outside, self.outside
        assert not self.dialogs, self.dialogs


@pytest.fixture
def tab(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watched = Watched(context.new_page())
    yield watched
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def charts_drawn(page: Page, count: int) -> None:
    page.wait_for_function(
        f"document.querySelectorAll('.chart svg.main-svg').length >= {count}", timeout=20_000
    )
