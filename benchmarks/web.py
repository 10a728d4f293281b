"""The web face's speed on a benchmark ledger, against the library call it wraps.

    python -m benchmarks.web --size 1M          # writes the "Web" section of results.md

A real uvicorn server on a free 127.0.0.1 port serves the ledger; every request goes over HTTP.
Cold: the first request for a URL (nothing cached for it). Cached: the same URL again. The strong
baseline in the same run is the `Ledger` call behind the route, in process, with no HTTP, no JSON
and no template: what the face adds is the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from benchmarks.data import ingested
from benchmarks.report import replace_section
from netretain import Ledger
from netretain.web.app import create_app
from netretain.web.state import Settings

HEADING = "## Web"
CACHED_REPEATS = 20


@dataclass(frozen=True)
class Timing:
    """Seconds per request of one kind: cold (first time per URL) and cached (repeats)."""

    name: str
    cold: list[float]
    cached: list[float]
    library: list[float]


def p95(seconds: list[float]) -> float:
    """The 95th percentile (the largest of few samples)."""
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@contextmanager
def served(db: Path) -> Iterator[httpx.Client]:
    """The dashboard over `db` on a free loopback port, until the block ends."""
    with tempfile.TemporaryDirectory() as uploads:
        app = create_app(Settings(db=db, data_dir=Path(uploads)))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            yield client
        server.should_exit = True
        thread.join()


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def measure(client: httpx.Client, name: str, urls: list[str], library: Callable[[str], object]):
    """Cold and cached times of each URL, and the library call behind it for the same argument."""

    def get(url: str) -> None:
        client.get(url).raise_for_status()

    cold = [timed(lambda u=url: get(u)) for url in urls]
    cached = [timed(lambda: get(urls[0])) for _ in range(CACHED_REPEATS)]
    direct = [timed(lambda u=url: library(u)) for url in urls]
    return Timing(name, cold, cached, direct)


def overview(ledger: Ledger, as_of: str) -> None:
    """The library calls behind the overview page at one month."""
    ledger.report(as_of)
    ledger.metrics(end=as_of)
    ledger.movements(end=as_of)
    ledger.trend(end=as_of)
    ledger.bridge(as_of)
    ledger.benchmark(as_of)


def run(size: str, months: int) -> list[Timing]:
    """Time the report API, the overview page and customers pages on the `size` ledger."""
    db = ingested(size, months)
    reader = Ledger(db)
    months_shown = [m.month for m in reader.movements()][-12:]
    reader.close()
    timings = []
    with served(db) as client:
        local = Ledger(db)
        as_of = {f"/api/v1/report?as_of={m}": m for m in months_shown}
        timings.append(
            measure(client, "/api/v1/report", list(as_of), lambda u: local.report(as_of[u]))
        )
        pages = {f"/?as_of={m}": m for m in reversed(months_shown)}
        timings.append(
            measure(client, "overview page", list(pages), lambda u: local.report(pages[u]))
        )
        last = months_shown[-1]
        numbers = {f"/customers?month={last}&page={n}": n for n in (1, 2, 50, 500, 5000)}
        timings.append(
            measure(
                client,
                "customers page",
                list(numbers),
                lambda u: local.customer_page(month=last, page=numbers[u]),
            )
        )
        local.close()
    return timings


def section(size: str, timings: list[Timing]) -> str:
    """The results.md section: p95 and median per kind, in milliseconds."""
    lines = [
        HEADING,
        "",
        f"`python -m benchmarks.web --size {size}`: a real server on 127.0.0.1, requests over HTTP "
        "one at a time. Cold: the first request for a URL; cached: the same URL again "
        f"({CACHED_REPEATS} times). The library column is the `Ledger` call behind the route, in "
        "process (the strong baseline: the same figures with no HTTP, JSON or page).",
        "",
        "| request | cold p95 | cached p95 | library p95 | cold / library (median) |",
        "|---|---:|---:|---:|---:|",
    ]
    for t in timings:
        ratio = statistics.median(t.cold) / statistics.median(t.library)
        lines.append(
            f"| {t.name} | {p95(t.cold) * 1000:.0f} ms | {p95(t.cached) * 1000:.1f} ms | "
            f"{p95(t.library) * 1000:.0f} ms | {ratio:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.web", description=__doc__)
    parser.add_argument("--size", default="1M", help="customers: 10k, 100k or 1M")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    text = section(args.size, run(args.size, args.months))
    print(text)
    if not args.no_write:
        replace_section(HEADING, text)


if __name__ == "__main__":
    main()
