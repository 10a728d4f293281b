"""The revenue log's cost: ingest with and without the log, and `verify` of the whole ledger.

    python -m benchmarks.log --size 1M      # the "Transparency log" section of results.md

Both ingests make fresh DuckDB ledger files of the same company, one after the other;
"without the log" drops the log step from the ledger's ingest hooks, so the difference is exactly
what leaves, hashes, block roots and the signed head cost. Verify recomputes every leaf, root,
signature and derived table (a rebuild) and compares them set-based.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.data import ensure_dataset, parse_size
from benchmarks.report import replace_section
from netretain import Ledger
from netretain.ledger import log as revenue_log

HEADING = "## Transparency log"


def ingest_seconds(paths: dict[str, Path], db: Path, with_log: bool) -> tuple[float, int]:
    """Seconds to ingest the company into a new ledger file, and the log's size."""
    ledger = Ledger(db)
    if not with_log:
        ledger.on_ingest = [h for h in ledger.on_ingest if not isinstance(h, revenue_log.Step)]
    start = time.perf_counter()
    ledger.ingest(**paths)
    seconds = time.perf_counter() - start
    head = ledger.log_head() if with_log else None
    ledger.close()
    return seconds, 0 if head is None else head.head.size


def verify_seconds(db: Path) -> float:
    ledger = Ledger(db, read_only=True)
    start = time.perf_counter()
    verdict = ledger.verify()
    seconds = time.perf_counter() - start
    ledger.close()
    if not verdict.ok:
        raise SystemExit(f"verify failed on a clean ledger: {verdict.problem}")
    return seconds


def run(size: str, months: int) -> dict[str, float]:
    dataset, _ = ensure_dataset(parse_size(size), months=months)
    with tempfile.TemporaryDirectory(prefix="netretain-log-") as tmp:
        plain, _ = ingest_seconds(dataset.paths, Path(tmp) / "plain.duckdb", with_log=False)
        logged, leaves = ingest_seconds(dataset.paths, Path(tmp) / "log.duckdb", with_log=True)
        checked = verify_seconds(Path(tmp) / "log.duckdb")
    return {"plain": plain, "logged": logged, "verify": checked, "leaves": leaves}


def section(size: str, t: dict[str, float]) -> str:
    added = t["logged"] / t["plain"] - 1
    return "\n".join(
        [
            HEADING,
            "",
            f"`python -m benchmarks.log --size {size}`: the company ingested into a new ledger "
            "file without the log step and with it, then `Ledger.verify()` of the whole ledger "
            "(one run each; other work on the machine adds noise).",
            "",
            "| measure | time | target |",
            "|---|---:|---|",
            f"| ingest without the log | {t['plain']:.1f} s | |",
            f"| ingest with the log ({int(t['leaves']):,} leaves) | {t['logged']:.1f} s | |",
            f"| what the log adds | {added:.0%} | at most 25% |",
            f"| verify the whole ledger | {t['verify']:.1f} s "
            f"({t['verify'] / t['logged']:.2f}x the ingest) | within 2x the ingest |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.log", description=__doc__)
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
