"""A real localstripe server (the stateful fake Stripe) on a free 127.0.0.1 port, per test."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from tests import servers

KEY = "sk_test_netretain"


def wait_for(port: int, process: subprocess.Popen) -> None:
    """Until the port accepts a connection (or the server died)."""
    for _ in range(300):
        if process.poll() is not None:
            pytest.fail(f"localstripe exited: {process.stderr.read() if process.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("localstripe did not start")


@pytest.fixture
def localstripe() -> Iterator[str]:
    """The base URL of a fresh localstripe server."""
    port = servers.free_port()
    script = Path(__file__).with_name("localstripe_server.py")
    process = subprocess.Popen(
        [sys.executable, str(script), str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def client(localstripe: str) -> stripe.StripeClient:
    """The official SDK pointed at localstripe, to build the company with."""
    return stripe.StripeClient(KEY, base_addresses={"api": localstripe})


@pytest.fixture(scope="session")
def pg_server() -> Iterator[servers.PostgresServer]:
    """A real PostgreSQL server for the session (tests/servers.py), stopped at the end."""
    try:
        server = servers.start_postgres()
    except servers.Unavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()
