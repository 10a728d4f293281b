"""Every measurement at one size, in order, each checked against netretain before it counts."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.data import Dataset, dataset_dict
from benchmarks.figures import Figures, compare
from benchmarks.harness import MeasurementFailed, Run, measure

GIB = 1 << 30
CAPPED = "netretain ingest+reports, --memory-limit"
COPY = "DuckDB Parquet copy"


@dataclass
class Measurement:
    """The runs of one contender at one size."""

    name: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def seconds(self) -> float:
        """Median wall time."""
        return statistics.median(r.seconds for r in self.runs)

    @property
    def peak_bytes(self) -> int:
        """Largest peak memory over the runs."""
        return max(r.peak_bytes for r in self.runs)

    def phase(self, name: str) -> float | None:
        """Median seconds of one phase (ingest, reports), if the runs recorded it."""
        values = [r.phases[name] for r in self.runs if name in r.phases]
        return statistics.median(values) if values else None


@dataclass
class SizeResult:
    """All measurements at one size, plus the profile."""

    dataset: Dataset
    invoice_lines: int
    measurements: dict[str, Measurement] = field(default_factory=dict)
    profile: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Suite:
    """Runs the contenders on one dataset, in fresh processes, verifying figures as it goes."""

    def __init__(
        self,
        dataset: Dataset,
        workdir: Path,
        repeat: int,
        once_after: float,
        duckdb_memory: str | None = None,
    ) -> None:
        self.dataset = dataset
        self.duckdb_memory = duckdb_memory
        self.workdir = workdir
        self.repeat = max(repeat, 1)
        self.once_after = once_after
        self.ledger = workdir / "ledger.duckdb"
        self.reference: Figures | None = None
        self.result = SizeResult(dataset, dataset.invoice_lines)

    def spec(self, **extra: Any) -> dict[str, Any]:
        """The child's arguments: dataset, ledger path, and extras."""
        return {
            "dataset": dataset_dict(self.dataset),
            "ledger": str(self.ledger),
            "duckdb_memory": self.duckdb_memory,
            **extra,
        }

    def measure(
        self,
        name: str,
        task: str,
        *,
        check: bool = True,
        timeout: float = 3600,
        runs: int | None = None,
        **extra: Any,
    ) -> Measurement:
        """Run a task up to `repeat` times (once when slow), verifying each run's figures."""
        measurement = Measurement(name)
        for index in range(runs or self.repeat):
            folder = self.workdir / name / f"run{index + 1}"
            spec = self.spec(figures=str(folder / "figures") if check else None, **extra)
            run = measure(task, spec, folder, timeout=timeout)
            if check:
                self.verify(name, Figures.read(folder / "figures"))
            measurement.runs.append(run)
            print(
                f"  {name:28s} run {index + 1}: {run.seconds:8.2f} s  "
                f"{run.peak_bytes / GIB:6.2f} GiB{'  (figures agree)' if check else ''}",
                flush=True,
            )
            if run.seconds > self.once_after and index + 1 < (runs or self.repeat):
                measurement.note = f"ran once: the first run took {run.seconds:.0f} s"
                break
        self.result.measurements[name] = measurement
        return measurement

    def verify(self, name: str, figures: Figures) -> None:
        """The first netretain figures are the reference; everything else must equal them."""
        if self.reference is None:
            self.reference = figures
            return
        compare(self.reference, figures, contender=f"{name} at {self.dataset.label}")

    def run(
        self,
        *,
        spark: bool,
        spark_budget: float,
        spark_rate: float | None,
        capped: str | None = None,
    ) -> SizeResult:
        """Every contender at this size, then the optional capped-memory and Spark runs; keeps the
        median profile."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.measure("netretain ingest+reports", "netretain-ingest-reports")
        reingest = self.measure("netretain re-ingest", "netretain-reingest", check=False)
        for run in reingest.runs:
            info = run.info
            if info.get("changed") or info.get("accepted") or not info.get("tables_unchanged"):
                raise MeasurementFailed(f"re-ingesting the same files changed the ledger: {info}")
        self.measure("netretain reports", "netretain-reports")
        self.measure("DuckDB SQL", "duckdb-sql")
        self.measure(COPY, "parquet-copy", check=False)
        self.measure("pandas", "pandas")
        if capped:
            self.measure(
                f"{CAPPED} {capped}", "netretain-ingest-reports", runs=1, duckdb_memory=capped
            )
        if spark:
            self.spark(spark_budget, spark_rate)
        full = self.result.measurements["netretain ingest+reports"]
        median = sorted(full.runs, key=lambda r: r.seconds)[(len(full.runs) - 1) // 2]
        self.result.profile = median.info["stages"]
        return self.result

    def spark(self, budget: float, rate: float | None) -> None:
        """netretain on Spark local mode, if installed: one run, skipped when the last size's
        rows per second say it would not finish within the budget."""
        if rate:
            estimate = self.result.invoice_lines / rate
            if estimate > budget:
                note = (
                    f"Spark local mode not run: at the smaller size's {rate:,.0f} invoice lines/s "
                    f"it would take about {estimate / 60:.0f} min, over the {budget / 60:.0f} min "
                    "budget (--spark-budget)"
                )
                self.result.notes.append(note)
                print(f"  Spark: skipped ({note})", flush=True)
                return
        warehouse = self.workdir / "spark-warehouse"
        try:
            self.measure(
                "netretain on Spark",
                "spark-ingest-reports",
                runs=1,
                timeout=budget,
                engine="spark",
                warehouse=str(warehouse),
            )
        except MeasurementFailed as exc:
            text = str(exc)
            reason = (
                text.split("UNAVAILABLE:", 1)[1].strip().splitlines()[0]
                if "UNAVAILABLE:" in text
                else text.splitlines()[0]
            )
            self.result.notes.append(f"Spark local mode not measured: {reason}")
            print(f"  Spark: not measured ({reason})", flush=True)
