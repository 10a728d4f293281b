"""A bounded load test on 127.0.0.1: readers hammer the API while an upload ingests.

Every response must succeed and equal either the state before the ingest or the state after it
(no torn reads, no "database is locked"). A fixed number of requests; no timing assertions.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.web.conftest import API_KEY, Served, lines_csv

READERS = 6
REQUESTS_PER_READER = 40
PATHS = ("/api/v1/report", "/api/v1/movements")
# A customer new to the ledger, so the ingest changes the latest month's figures.
NEW_LINES = [
    f"LOAD{n},LOADC{n},2024-12-01,subscription,2024-12-01,2025-01-01,{100 + n}.00,USD"
    for n in range(200)
]


def states(served: Served) -> dict[str, object]:
    return {path: served.client.get(path).json() for path in PATHS}


def test_readers_see_the_old_or_the_new_state_while_an_upload_ingests(writable: Served) -> None:
    before = states(writable)
    started = threading.Event()
    seen: list[tuple[str, int, object]] = []

    def reader(n: int) -> None:
        with httpx.Client(base_url=writable.url, timeout=60) as client:
            started.wait()
            for i in range(REQUESTS_PER_READER):
                path = PATHS[(n + i) % len(PATHS)]
                response = client.get(path)
                seen.append((path, response.status_code, response.json()))

    def upload() -> httpx.Response:
        started.set()
        files = {"invoice_lines": ("lines.csv", lines_csv(*NEW_LINES), "text/csv")}
        with httpx.Client(base_url=writable.url, timeout=120) as client:
            return client.post("/api/v1/ingest", files=files, headers={"X-API-Key": API_KEY})

    with ThreadPoolExecutor(max_workers=READERS + 1) as pool:
        readers = [pool.submit(reader, n) for n in range(READERS)]
        ingested = pool.submit(upload)
        for done in readers:
            done.result()
        assert ingested.result().status_code == 200, ingested.result().text

    after = states(writable)
    assert after != before, "the upload should change the figures"
    assert len(seen) == READERS * REQUESTS_PER_READER
    errors = [(path, status) for path, status, _ in seen if status != 200]
    assert not errors, errors
    torn = [path for path, _, body in seen if body not in (before[path], after[path])]
    assert not torn, f"{len(torn)} response(s) matched neither state: {torn[:5]}"
