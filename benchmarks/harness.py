"""Run one measurement in a fresh Python process and sample its memory while it runs.

Peak memory is the larger of the process tree's RSS sampled every 20 ms with psutil (the tree
includes a Spark JVM) and the child's own `ru_maxrss`, which catches peaks between samples.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SECONDS = 0.02


class MeasurementFailed(RuntimeError):
    """A child process exited with an error."""


@dataclass(frozen=True)
class Run:
    """One measured run: wall time of the work, its phases, peak memory and what it reported."""

    seconds: float
    peak_bytes: int
    phases: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


def tree_rss(process: psutil.Process) -> int:
    """RSS of a process and all its descendants, in bytes (0 once it has gone)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def measure(task: str, spec: dict[str, Any], workdir: Path, *, timeout: float = 3600) -> Run:
    """Run `python -m benchmarks.child` for one task and return what it measured."""
    workdir.mkdir(parents=True, exist_ok=True)
    result_path = workdir / "result.json"
    result_path.unlink(missing_ok=True)
    payload = json.dumps({"task": task, "spec": spec, "result": str(result_path)})
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    log = (workdir / "child.log").open("w")
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.child", payload],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process = psutil.Process(child.pid)
    peak = 0
    started = time.monotonic()
    while child.poll() is None:
        peak = max(peak, tree_rss(process))
        if time.monotonic() - started > timeout:
            child.kill()
            raise MeasurementFailed(f"{task} timed out after {timeout:.0f} s")
        time.sleep(SAMPLE_SECONDS)
    log.close()
    if child.returncode != 0 or not result_path.exists():
        tail = (workdir / "child.log").read_text()[-4000:]
        killed = (
            " - killed by the system, most likely out of memory" if child.returncode == -9 else ""
        )
        raise MeasurementFailed(f"{task} failed (exit {child.returncode}{killed}):\n{tail}")
    result = json.loads(result_path.read_text())
    return Run(
        seconds=result["seconds"],
        peak_bytes=max(peak, int(result["maxrss_bytes"])),
        phases=result.get("phases", {}),
        info=result.get("info", {}),
    )
