"""The revenue log's cost: ingest with and without the log, and `verify` of the whole ledger.

    python -m benchmarks.log --size 1M      # the "Transparency log" section of results.md

Both ingests make fresh DuckDB ledger files of the same company, one after the other;
"without the log" drops the log step from the ledger's ingest hooks, so the difference is exactly
what leaves, hashes, block roots and the signed head cost. Verify recomputes every leaf, root,
signature and derived table (a rebuild) and compares them set-based.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.data import ensure_dataset, parse_size
from benchmarks.report import replace_section
from netretain import Ledger
from netretain.ledger import log as revenue_log
from netretain.ledger.ingest import Ingested

HEADING = "## Transparency log"


class TimedStep:
    """The log step with its own time kept, so its share of one ingest is measured in that run
    (two runs at different load on a shared machine differ by more than the log costs)."""

    def __init__(self, step: revenue_log.Step) -> None:
        self.step, self.seconds = step, 0.0

    def __call__(self, ingested: Ingested) -> None:
        start = time.perf_counter()
        self.step(ingested)
        self.seconds += time.perf_counter() - start


def ingest_seconds(paths: dict[str, Path], db: Path, with_log: bool) -> tuple[float, float, int]:
    """Seconds to ingest the company into a new ledger file, the log step's part, the log size."""
    ledger = Ledger(db)
    timed = [TimedStep(h) if isinstance(h, revenue_log.Step) else h for h in ledger.on_ingest]
    ledger.on_ingest = [h for h in timed if with_log or not isinstance(h, TimedStep)]
    start = time.perf_counter()
    ledger.ingest(**paths)
    seconds = time.perf_counter() - start
    head = ledger.log_head() if with_log else None
    ledger.close()
    step = sum(h.seconds for h in timed if isinstance(h, TimedStep))
    return seconds, step, 0 if head is None else head.head.size


def verify_seconds(db: Path) -> float:
    ledger = Ledger(db, read_only=True)
    start = time.perf_counter()
    verdict = ledger.verify()
    seconds = time.perf_counter() - start
    ledger.close()
    if not verdict.ok:
        raise SystemExit(f"verify failed on a clean ledger: {verdict.problem}")
    return seconds


def run(size: str, months: int, plain: bool = True) -> dict[str, float]:
    """Both ingests (the first only with `plain`) and verify; the logged ledger then becomes the
    benchmark ledger the proof benchmark reads (`benchmarks.data.ingested`), unless one exists."""
    dataset, _ = ensure_dataset(parse_size(size), months=months)
    with tempfile.TemporaryDirectory(prefix="netretain-log-") as tmp:
        alone = ingest_seconds(dataset.paths, Path(tmp) / "plain.duckdb", False)[0] if plain else 0
        logged, step, leaves = ingest_seconds(dataset.paths, Path(tmp) / "log.duckdb", True)
        checked = verify_seconds(Path(tmp) / "log.duckdb")
        shared = dataset.directory / "ledger.duckdb"
        if not shared.exists():
            for suffix in ("", ".key", ".pub"):
                shutil.move(Path(tmp) / f"log.duckdb{suffix}", Path(f"{shared}{suffix}"))
    return {"plain": alone, "logged": logged, "step": step, "verify": checked, "leaves": leaves}


def section(size: str, t: dict[str, float]) -> str:
    inside = t["step"] / (t["logged"] - t["step"])
    lines = [
        HEADING,
        "",
        f"`python -m benchmarks.log --size {size}`: the company ingested into a new ledger "
        "file without the log step and with it (the log step timed inside that run), then "
        "`Ledger.verify()` of the whole ledger (one run each; other work on the machine adds "
        f"noise: load average {os.getloadavg()[0]:.1f} at the end).",
        "",
        "| measure | time | target |",
        "|---|---:|---|",
    ]
    if t["plain"]:
        lines.append(f"| ingest without the log | {t['plain']:.1f} s | |")
    lines += [
        f"| ingest with the log ({int(t['leaves']):,} leaves) | {t['logged']:.1f} s | |",
        f"| the log step inside that ingest | {t['step']:.1f} s ({inside:.0%} of the rest of "
        "the ingest) | at most 25% |",
    ]
    if t["plain"]:
        added = t["logged"] / t["plain"] - 1
        lines.append(f"| what the log adds, against the separate run | {added:.0%} | |")
    lines += [
        f"| verify the whole ledger | {t['verify']:.1f} s "
        f"({t['verify'] / t['logged']:.2f}x the ingest) | within 2x the ingest |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.log", description=__doc__)
    parser.add_argument("--size", default="1M", help="customers: 10k, 100k or 1M")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--no-plain", action="store_true", help="skip the ingest without the log")
    args = parser.parse_args()
    text = section(args.size, run(args.size, args.months, plain=not args.no_plain))
    print(text)
    if not args.no_write:
        replace_section(HEADING, text)


if __name__ == "__main__":
    main()
