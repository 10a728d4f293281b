"""One more month of invoices into an ingested ledger, against a full ingest (issue 16, item 4).

    python -m benchmarks.incremental --size 100k    # the "Incremental month" section of results.md

The company's invoice lines are split at the first day of their last invoice month: a ledger
ingests everything before it (untimed), then the last month's lines (timed). A second, fresh
ledger ingests all four files at once (timed). Both ledgers' reports (movements, trend, trend by
segment) must be equal before any time counts. CPU seconds are given beside wall time: on a shared
machine they move less with other people's work.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from benchmarks.contenders import netretain_runs as nr
from benchmarks.data import Dataset, ensure_dataset, parse_size
from benchmarks.figures import compare
from benchmarks.report import replace_section
from netretain import Ledger

HEADING = "## Incremental month"


def cpu() -> float:
    """This process's CPU seconds so far (DuckDB's threads included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def split(dataset: Dataset, directory: Path) -> tuple[Path, Path, str]:
    """The invoice lines before their last invoice month, that month's lines, and the month."""
    lines = str(dataset.paths["invoice_lines"]).replace("'", "''")
    con = duckdb.connect()
    try:
        (cut,) = con.execute(
            f"SELECT date_trunc('month', max(invoice_date)) FROM read_parquet('{lines}')"
        ).fetchone()
        before, month = directory / "before.parquet", directory / "month.parquet"
        for path, test in ((before, "<"), (month, ">=")):
            con.execute(
                f"COPY (SELECT * FROM read_parquet('{lines}') WHERE invoice_date {test} ?) "
                f"TO '{path}' (FORMAT parquet)",
                [cut],
            )
    finally:
        con.close()
    return before, month, str(cut)[:7]


def timed_ingest(db: Path, files: dict[str, Path]) -> tuple[float, float, Ledger]:
    """Wall and CPU seconds of one `Ledger.ingest`, and the open ledger."""
    ledger = nr.open_ledger(db)
    wall, used = time.perf_counter(), cpu()
    ledger.ingest(**{kind: str(path) for kind, path in files.items()})
    return time.perf_counter() - wall, cpu() - used, ledger


def run(size: str, months: int) -> dict[str, float | str]:
    """Full ingest vs one more month; stops if their figures differ."""
    load = os.getloadavg()[0]
    dataset, _ = ensure_dataset(parse_size(size), months=months)
    with tempfile.TemporaryDirectory(prefix="netretain-incremental-") as tmp:
        root = Path(tmp)
        before, month, label = split(dataset, root)
        full_wall, full_cpu, full = timed_ingest(root / "full.duckdb", dataset.paths)
        expected = nr.full_report(full)
        full.close()
        earlier = {**dataset.paths, "invoice_lines": before}
        _, _, ledger = timed_ingest(root / "step.duckdb", earlier)
        ledger.close()
        step_wall, step_cpu, ledger = timed_ingest(root / "step.duckdb", {"invoice_lines": month})
        compare(expected, nr.full_report(ledger), contender="one more month")
        ledger.close()
    return {
        "month": label,
        "full_wall": full_wall,
        "full_cpu": full_cpu,
        "step_wall": step_wall,
        "step_cpu": step_cpu,
        "load": f"{load:.1f} to {os.getloadavg()[0]:.1f}",
    }


def section(size: str, t: dict[str, float | str]) -> str:
    """The results.md section."""
    full_wall, step_wall = float(t["full_wall"]), float(t["step_wall"])
    full_cpu, step_cpu = float(t["full_cpu"]), float(t["step_cpu"])
    return "\n".join(
        [
            HEADING,
            "",
            f"`python -m benchmarks.incremental --size {size}`: a ledger holding every invoice "
            f"before {t['month']} ingests that month's invoice lines; a fresh ledger ingests all "
            "four files. Both ledgers' movements and trends were checked equal (one run each, load "
            f"average {t['load']}). The month is rebuilt incrementally (docs/scaling.md, "
            '"Incremental months").',
            "",
            "| measure | wall | CPU | target |",
            "|---|---:|---:|---|",
            f"| full ingest | {full_wall:.1f} s | {full_cpu:.1f} s | |",
            f"| one more month | {step_wall:.1f} s | {step_cpu:.1f} s | |",
            f"| one more month / full ingest | {step_wall / full_wall:.2f}x | "
            f"{step_cpu / full_cpu:.2f}x | at most 0.10x |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.incremental", description=__doc__)
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
