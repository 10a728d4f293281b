"""Render results.md: machine, per-size table, ratios, the issue's targets, and the profile."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import psutil

from benchmarks import targets
from benchmarks.suite import GIB, SizeResult

DESCRIPTION = """\
A synthetic company (`netretain.synthetic.generate_company`, 36 months, monthly/quarterly/annual
subscription lines, usage and one-time lines, USD/EUR/GBP) as Parquet files. Each contender produces
the same figures from the same files: monthly MRR and movements for every month, and the
trailing-12 cohort NDR/GDR/logo retention for every as-of month, overall and by segment. Every
run's figures were checked against netretain's (money and counts equal, ratios within 1e-9)
before its time was kept. Each run is a fresh process; wall time excludes interpreter start and
imports; peak memory is the process tree's RSS."""

ORDER = (
    "netretain ingest+reports",
    "netretain reports",
    "netretain re-ingest",
    "DuckDB SQL",
    "pandas",
    "netretain on Spark",
)


def machine() -> list[str]:
    """Cores, memory, CPU and library versions, as bullet lines."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(
                line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    libs = ", ".join(f"{p} {version(p)}" for p in ("duckdb", "ibis-framework", "pandas", "pyarrow"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"- {os.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / GIB:.1f} GiB memory, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {libs}",
        f"- load average when the run finished: {load} (other work on the machine adds noise)",
    ]


def seconds(value: float | None) -> str:
    """A duration for the tables."""
    if value is None:
        return "-"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def size_table(result: SizeResult) -> list[str]:
    """Wall time, peak memory and rows per second of every contender at one size."""
    lines = [
        "| contender | runs | wall time (median) | peak memory | invoice lines / s |",
        "|---|---:|---:|---:|---:|",
    ]
    extra = [n for n in result.measurements if n not in ORDER]
    for name in [*[n for n in ORDER if n in result.measurements], *extra]:
        m = result.measurements[name]
        rate = result.invoice_lines / m.seconds if m.seconds > 0 else float("inf")
        label = name
        ingest, reports = m.phase("ingest"), m.phase("reports")
        if ingest is not None and reports is not None:
            label += f" (ingest {seconds(ingest)} + reports {seconds(reports)})"
        lines.append(
            f"| {label} | {len(m.runs)} | {seconds(m.seconds)} | {m.peak_bytes / GIB:.2f} GiB "
            f"| {rate:,.0f} |"
        )
    return lines


def ratio_lines(result: SizeResult) -> list[str]:
    """netretain / DuckDB SQL and pandas / netretain at one size."""
    ratios = targets.ratios(result)
    if not ratios:
        return []
    labels = {
        "reports_vs_sql": "netretain reports on an ingested ledger / DuckDB SQL (time)",
        "ingest_reports_vs_sql": "netretain ingest+reports / DuckDB SQL (time)",
        "pandas_vs_netretain": "pandas / netretain ingest+reports (time)",
        "memory_vs_pandas": "netretain ingest+reports / pandas (peak memory)",
        "reingest_vs_ingest": "netretain re-ingest / ingest+reports (time)",
        "rebuild_vs_sql": "netretain's rebuild (profile) / DuckDB SQL (time)",
        "storing_vs_copy": "netretain storing and checking rows (profile) / DuckDB Parquet copy",
    }
    return [f"- {labels[k]}: **{ratio(v)}x**" for k, v in ratios.items() if k in labels]


def ratio(value: float) -> str:
    """A ratio with two significant digits, more for small ones (0.0035, 0.20, 9.8, 12)."""
    if value >= 10:
        return f"{value:.0f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"


def profile_table(result: SizeResult) -> list[str]:
    """Seconds per stage of netretain's ingest and report at one size, largest first."""
    stages = result.profile
    if not stages:
        return []
    total = sum(stages.values())
    lines = [
        f"#### {result.dataset.label} customers ({result.invoice_lines:,} invoice lines)",
        "",
        "| stage | seconds | share |",
        "|---|---:|---:|",
    ]
    for name, value in sorted(stages.items(), key=lambda kv: -kv[1]):
        if value >= 0.005:
            lines.append(f"| {name} | {value:.2f} | {value / total:.0%} |")
    lines.append(f"| **total** | **{total:.2f}** | |")
    groups = {
        g: sum(v for k, v in stages.items() if k.startswith(g))
        for g in ("ingest", "rebuild", "report")
    }
    summary = ", ".join(f"{g} {v:.1f} s ({v / total:.0%})" for g, v in groups.items())
    return [*lines, "", f"By phase: {summary}.", ""]


def notes(result: SizeResult) -> list[str]:
    """Runs that ran once, Spark's status, anything else worth saying."""
    out = [f"- {m.name}: {m.note}" for m in result.measurements.values() if m.note]
    return out + [f"- {n}" for n in result.notes]


def render(
    results: list[SizeResult], *, elapsed: float, argv: list[str], settings: Sequence[str] = ()
) -> str:
    """The whole results.md."""
    command = " ".join(["python -m benchmarks.run", *argv])
    out = [
        "# netretain benchmark results",
        "",
        f"Written by `make bench` (`{command}`) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; the whole run took {elapsed / 60:.1f} min.",
        "",
        "## Machine",
        "",
        *machine(),
        *[f"- {line}" for line in settings],
        "",
        "## What was measured",
        "",
        *DESCRIPTION.split("\n"),
        "",
        "- **netretain ingest+reports**: a fresh DuckDB ledger file, `Ledger.ingest` of the four "
        "files, then the full report (`movements()`, trend, trend by segment).",
        "- **netretain reports**: the full report on the ledger already ingested.",
        "- **netretain re-ingest**: ingesting the same files again (checked to change nothing).",
        "- **DuckDB SQL**: `benchmarks/contenders/baseline.sql`, one script over the Parquet "
        "files.",
        "- **pandas**: `benchmarks/contenders/pandas_baseline.py` + `pandas_report.py`.",
        "- **DuckDB Parquet copy**: the four Parquet files copied into tables of a fresh DuckDB "
        "file (`CREATE TABLE AS SELECT * FROM read_parquet`, then `CHECKPOINT`): the floor for "
        "storing rows.",
        "- **netretain ingest+reports, --memory-limit**: the first, once, at the largest size, "
        "with DuckDB's memory capped (it spills the rest to disk).",
        "- **netretain on Spark**: ingest+reports on Spark local mode (`local[*]`), once.",
        "",
    ]
    for result in results:
        out += [
            f"## {result.dataset.label} customers x {result.dataset.months} months "
            f"({result.invoice_lines:,} invoice lines)",
            "",
            *size_table(result),
            "",
            *ratio_lines(result),
            *notes(result),
            "",
        ]
    out += [
        "## Targets (issues 5 and 16, at 1M customers x 36 months)",
        "",
        *targets.table(results),
        "",
    ]
    profiled = [r for r in results if r.profile]
    if profiled:
        out += ["## Profile: where netretain's time goes", ""]
        for result in profiled:
            out += profile_table(result)
    return "\n".join(out).rstrip() + "\n"


RESULTS = Path(__file__).resolve().parent / "results.md"


def replace_section(heading: str, text: str) -> None:
    """Replace the section under `heading` in results.md, or add it at the end: each benchmark
    module owns one section, so one run never erases another's figures."""
    current = RESULTS.read_text(encoding="utf-8")
    head, found, rest = current.partition(f"\n{heading}\n")  # the whole line: not a longer one
    tail = rest.partition("\n## ")
    after = f"\n## {tail[2]}" if found and tail[1] else ""
    RESULTS.write_text(head.rstrip() + "\n\n" + text + after, encoding="utf-8")
