"""A local HTTP server answering Stripe's list endpoints in Stripe's documented shapes.

For what localstripe lacks (prices with `recurring`, coupons on subscriptions, metered usage,
pauses, subscription schedules, test clocks): it pages (`limit`, `starting_after`, `has_more`),
retrieves one object by id, checks the bearer key, and answers planned failures (429 rate
limits, 5xx, 400) as Stripe does, with an `error` object. As Stripe's lists do, it leaves out a
test clock's objects unless the request names the clock (`test_clock`) or the `customer`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

KEY = "sk_test_fake_netretain"


@dataclass
class FakeStripe:
    """Objects per list, and the failures to answer before (or instead of) them."""

    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # every line by invoice
    failures: dict[str, list[int]] = field(default_factory=dict)  # answered first, in order
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def page(self, name: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        planned = self.failures.get(name.split("/")[0])
        if planned:
            status = planned.pop(0)
            kind = "rate_limit_error" if status == 429 else "api_error"
            if status == 400:
                kind = "invalid_request_error"
            return status, {"error": {"type": kind, "message": f"planned {status}"}}
        if name.startswith("invoices/") and name.endswith("/lines"):
            invoice = name.split("/")[1]
            name = "lines"
            objects = self.lines.get(invoice, [])
        elif "/" in name and name.rsplit("/", 1)[0] in self.lists:
            kind, wanted = name.rsplit("/", 1)
            found = [o for o in self.lists[kind] if o["id"] == wanted]
            if not found:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such"}}
            return 200, found[0]
        else:
            objects = _visible(self.lists.get(name, []), query)
        limit = int(query.get("limit", ["10"])[0])
        after = query.get("starting_after", [None])[0]
        start = 0
        if after is not None:
            start = next(i for i, o in enumerate(objects) if o["id"] == after) + 1
        data = objects[start : start + limit]
        more = start + limit < len(objects)
        return 200, {"object": "list", "url": f"/v1/{name}", "has_more": more, "data": data}


def _visible(objects: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The objects a list shows: by `customer` when asked, else by `test_clock` (none: those on
    no clock)."""
    if "customer" in query:
        return [o for o in objects if o.get("customer") == query["customer"][0]]
    clock = query.get("test_clock", [None])[0]
    return [o for o in objects if o.get("test_clock") == clock]


@contextmanager
def serve(fake: FakeStripe) -> Iterator[FakeStripe]:
    """The fake on a free 127.0.0.1 port for the duration of the block."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            name = url.path.removeprefix("/v1/")
            fake.requests.append(f"{name}?{url.query}")
            if self.headers.get("Authorization") != f"Bearer {KEY}":
                status = 401
                body: dict[str, Any] = {
                    "error": {"type": "invalid_request_error", "message": "Invalid API Key"}
                }
            else:
                status, body = fake.page(name, parse_qs(url.query))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
