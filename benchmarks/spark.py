"""netretain on Spark at one size: ingest + reports, time per stage, checked to the cent.

    python -m benchmarks.spark --size 1M      # the "Spark" section of results.md

One run in a fresh process on Spark local mode over the machine's cores, the driver's memory
capped (`--driver-memory`). Its figures (movements, trend, trend by segment) must equal the
hand-written DuckDB SQL's before any time is written. The stages are the store calls the ingest
makes (see benchmarks/profile.py); Spark is lazy, so a stage's time is the jobs it triggers.
"""

from __future__ import annotations

import argparse
import os
import sys

from benchmarks.data import DATA_DIR, dataset_dict, ensure_dataset, parse_size
from benchmarks.figures import Disagreement, Figures, compare
from benchmarks.harness import MeasurementFailed, Run, measure
from benchmarks.report import replace_section

HEADING = "## Spark"
GIB = 1 << 30


def spark_conf(driver_memory: str, partitions: int) -> dict[str, str]:
    """The session's settings: memory cap and shuffle partitions for a few cores."""
    return {
        "spark.driver.memory": driver_memory,
        "spark.sql.shuffle.partitions": str(partitions),
        "spark.default.parallelism": str(partitions),
        # the 121 MB invoice file in 4 read tasks, not 2: both cores stay busy past a slow split
        "spark.sql.files.maxPartitionBytes": "32m",
        "spark.sql.adaptive.enabled": "true",  # coalesces small shuffle partitions per query
    }


def run(size: str, months: int, budget: float, conf: dict[str, str]) -> tuple[Run, Run, int]:
    """The SQL baseline's figures, then Spark's ingest + reports, which must agree with them."""
    dataset, _ = ensure_dataset(parse_size(size), months=months)
    workdir = DATA_DIR / "work" / dataset.label / "spark"
    base = {"dataset": dataset_dict(dataset)}
    sql = measure("duckdb-sql", {**base, "figures": str(workdir / "sql")}, workdir / "sql-run")
    spec = {
        **base,
        "ledger": str(workdir / "unused.duckdb"),
        "engine": "spark",
        "warehouse": str(workdir / "warehouse"),
        "spark_conf": conf,
        "figures": str(workdir / "spark"),
    }
    spark = measure("spark-ingest-reports", spec, workdir / "spark-run", timeout=budget)
    compare(
        Figures.read(workdir / "sql"),
        Figures.read(workdir / "spark"),
        contender=f"Spark at {size}",
    )
    return sql, spark, dataset.invoice_lines


def section(size: str, lines: int, sql: Run, spark: Run, conf: dict[str, str], load: float) -> str:
    """The results.md section: totals, then every stage in the order it ran."""
    stages = spark.info.get("stages", {})
    ingest, reports = spark.phases.get("ingest", 0.0), spark.phases.get("reports", 0.0)
    settings = ", ".join(f"`{k}={v}`" for k, v in conf.items())
    out = [
        HEADING,
        "",
        f"`python -m benchmarks.spark --size {size}` (in `make bench`): netretain on Spark local "
        f"mode, {size} customers ({lines:,} invoice lines), one run; {settings}. Figures equal "
        "the hand-written DuckDB SQL's to the cent.",
        "",
        "| | seconds |",
        "|---|---:|",
        f"| **ingest + reports** | **{spark.seconds:.0f}** |",
        f"| ingest (read, check, store, rebuild) | {ingest:.0f} |",
        f"| reports (movements, trend, trend by segment) | {reports:.1f} |",
        f"| hand-written DuckDB SQL, same figures | {sql.seconds:.1f} |",
        "",
        f"Peak memory (driver JVM + Python): {spark.peak_bytes / GIB:.2f} GiB. CPU time of "
        f"the run (Python + JVM): {spark.info.get('cpu_seconds', 0):.0f} s; load average when "
        f"it started: {load:.1f} on {os.cpu_count()} cores.",
        "",
        "| stage | seconds | share |",
        "|---|---:|---:|",
    ]
    total = sum(stages.values()) or 1.0
    for name, value in sorted(stages.items(), key=lambda kv: -kv[1]):
        if value >= 0.05:
            out.append(f"| {name} | {value:.1f} | {value / total:.0%} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spark", description=__doc__)
    parser.add_argument("--size", default="1M")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--budget", type=float, default=1800.0, help="seconds before giving up")
    parser.add_argument("--driver-memory", default="5g")
    parser.add_argument("--partitions", type=int, default=8, help="shuffle partitions")
    parser.add_argument("--no-write", action="store_true", help="print, leave results.md alone")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    conf = spark_conf(args.driver_memory, args.partitions)
    load = os.getloadavg()[0]
    try:
        sql, spark, lines = run(args.size, args.months, args.budget, conf)
    except (Disagreement, MeasurementFailed) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 2
    text = section(args.size, lines, sql, spark, conf, load)
    print(text)
    if not args.no_write:
        replace_section(HEADING, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
