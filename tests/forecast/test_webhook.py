"""`--webhook`: alerts posted as JSON with a Slack-compatible `text`, to a real HTTP receiver on a
free local port; a receiver that fails first is retried; one that never answers gives up in time."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from netretain.ledger.webhook import post
from tests.cli.conftest import invoke, invoke_json

RESULT: dict[str, Any] = {
    "alerts": [
        {"month": "2024-11", "figure": "churn_rate", "segment": "SMB", "value": 0.08,
         "expected": 0.02, "lower": 0.0, "upper": 0.04, "direction": "above"}
    ]
}  # fmt: skip


class Receiver(HTTPServer):
    """Records posted bodies; answers 503 to the first `failures` posts."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        self.server.attempts += 1
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.attempts <= self.server.failures:
            self.send_response(503)
        else:
            self.server.bodies.append(json.loads(body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def serving(failures: int) -> Iterator[Receiver]:
    server = Receiver(failures)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from serving(0)


@pytest.fixture
def flaky() -> Iterator[Receiver]:
    yield from serving(2)


def url(server: Receiver) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hook"


def test_posts_json_with_a_slack_text(receiver: Receiver) -> None:
    outcome = post(url(receiver), RESULT)
    assert outcome == {"delivered": True, "attempts": 1, "status": 200, "error": None}
    body = receiver.bodies[0]
    assert body["alerts"] == RESULT["alerts"]
    assert "2024-11 churn_rate (SMB)" in body["text"]


def test_retries_a_failing_receiver(flaky: Receiver) -> None:
    outcome = post(url(flaky), RESULT)
    assert outcome["delivered"] and outcome["attempts"] == 3
    assert len(flaky.bodies) == 1


def test_gives_up_within_its_budget_on_a_closed_port() -> None:
    server = Receiver()
    closed = url(server)
    server.server_close()
    outcome = post(closed, RESULT, budget=1.0)
    assert not outcome["delivered"]
    assert outcome["attempts"] >= 2  # retried with backoff before giving up
    assert outcome["error"]


def test_the_alerts_command_posts_and_exits_zero(demo_db: Path, receiver: Receiver) -> None:
    result = invoke_json("alerts", "--db", demo_db, "--webhook", url(receiver), schema="alerts")
    assert result["webhook"]["delivered"]
    posted = receiver.bodies[0]
    assert posted["alerts"] == result["alerts"] and posted["text"].startswith("netretain:")


def test_an_unreachable_webhook_still_exits_zero(demo_db: Path) -> None:
    server = Receiver()
    closed = url(server)
    server.server_close()
    result = invoke("alerts", "--db", demo_db, "--webhook", closed, "--format", "json")
    assert result.exit_code == 0
    assert "webhook not delivered" in result.stderr
