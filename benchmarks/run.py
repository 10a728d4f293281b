"""`make bench`: netretain against hand-written DuckDB SQL and pandas, written to results.md.

    python -m benchmarks.run                      # 10k, 100k and 1M customers x 36 months
    python -m benchmarks.run --sizes 10k,100k --repeat 1

Every contender's figures are checked against netretain's before any time is printed; a
disagreement stops the run with a non-zero exit and leaves results.md as it was.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

from benchmarks import report
from benchmarks.data import DATA_DIR, ensure_dataset, parse_size
from benchmarks.figures import Disagreement
from benchmarks.harness import MeasurementFailed
from benchmarks.suite import SizeResult, Suite

RESULTS = Path(__file__).resolve().parent / "results.md"


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line: sizes, repeats, which extras to run, where to write."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", default="10k,100k,1M", help="customer counts, e.g. 10k,100k,1M")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument(
        "--once-after",
        type=float,
        default=300.0,
        help="a measurement whose first run takes longer than this many seconds runs once",
    )
    parser.add_argument(
        "--spark-sizes",
        default="100k",
        help="sizes to try on Spark local mode (1M: python -m benchmarks.spark, its own section)",
    )
    parser.add_argument(
        "--spark-budget",
        type=float,
        default=900.0,
        help="seconds a Spark run may take; a size the last size's rate says would not fit is "
        "skipped",
    )
    parser.add_argument(
        "--duckdb-memory",
        default="",
        help="DuckDB memory_limit for netretain and the SQL baseline ('' = each one's default: "
        "netretain's 3GB, DuckDB's 80%% of RAM)",
    )
    parser.add_argument(
        "--capped-memory",
        default="2GB",
        help="at the largest size, one more netretain ingest+reports with --memory-limit set to "
        "this ('' = skip)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write results.md; returns the exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    spark_sizes = {parse_size(s) for s in args.spark_sizes.split(",") if s.strip()}
    started = time.monotonic()
    results: list[SizeResult] = []
    spark_rate: float | None = None  # invoice lines per second on Spark at the last size
    try:
        for customers in sizes:
            dataset, made = ensure_dataset(
                customers, months=args.months, seed=args.seed, root=args.data_dir
            )
            print(
                f"== {dataset.label} customers x {args.months} months: "
                f"{'generated' if made else 'reusing'} {dataset.directory}",
                flush=True,
            )
            workdir = args.data_dir / "work" / dataset.label
            suite = Suite(
                dataset, workdir, args.repeat, args.once_after, args.duckdb_memory or None
            )
            result = suite.run(
                spark=customers in spark_sizes,
                spark_budget=args.spark_budget,
                spark_rate=spark_rate,
                capped=args.capped_memory if customers == max(sizes) else None,
            )
            results.append(result)
            if "netretain on Spark" in result.measurements:
                spark_rate = (
                    result.invoice_lines / result.measurements["netretain on Spark"].seconds
                )
    except Disagreement as exc:
        print(f"\nFAILED: figures disagree, no times reported.\n{exc}", file=sys.stderr)
        return 2
    except MeasurementFailed as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 3
    elapsed = time.monotonic() - started
    raw = json.dumps([dataclasses.asdict(r) for r in results], default=str, indent=1)
    (args.data_dir / "results.json").write_text(raw)  # every run, for a later look
    default = "each tool's default (netretain 3GB, DuckDB's own 80% of RAM)"
    settings = f"DuckDB memory_limit: {args.duckdb_memory or default}"
    args.output.write_text(
        report.render(results, elapsed=elapsed, argv=argv or sys.argv[1:], settings=[settings])
    )
    print(f"\nwrote {args.output} after {elapsed / 60:.1f} min", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
