"""Where netretain's time goes, recorded during every ingest+reports run at no measurable cost.

Each call the pipeline makes to its store (stage a file, materialise a temp table, append, replace a
derived table, run a query) is timed and put in a stage: hashing, staging, validation,
classification, storing rows, each rebuilt table; each report query is timed as a whole.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from netretain import Ledger
from netretain.ledger import ingest as pipeline

Stages = dict[str, float]

STAGE_OF_TABLE = {
    "_flagged_": "ingest: checking rows (keeping the failed ones)",
    "_failed_": "ingest: checking rows (keeping the failed ones)",
    "_compare_": "ingest: keys repeated in the file or known to the ledger",
    "_classified_": "ingest: comparing those rows' content",
    "_rejects_": "ingest: reject records",
    "input_": "ingest: storing rows (each row checked on the way in)",
    "rejects": "ingest: storing rows (each row checked on the way in)",
    "ingests": "ingest: storing rows (each row checked on the way in)",
    "_kept_": "ingest: storing rows (each row checked on the way in)",
    "corrections": "ingest: storing rows (each row checked on the way in)",
}
REBUILD = (
    "revenue_lines",
    "fx_monthly",
    "customers",
    "mrr",
    "movements",
    "ledger_meta",
)
METHODS = ("stage_file", "temp", "append", "replace", "view", "to_arrow")


def stage_of(method: str, label: str) -> str:
    """The ingest stage a store call belongs to, from the method and its table."""
    if method == "stage_file":
        return "ingest: staging (read file)"
    if method == "hash":
        return "ingest: hashing files"
    if method in ("replace", "view") and label in REBUILD:
        return f"rebuild: {label}"
    for prefix, stage in STAGE_OF_TABLE.items():
        if label.startswith(prefix):
            return stage
    if method == "to_arrow":
        return "ingest: small queries"
    return f"ingest: {method} {label}"


class Recorder:
    """Sums seconds per stage: store calls during ingest, whole queries during the report."""

    def __init__(self, echo: bool = False) -> None:
        self.seconds: Stages = defaultdict(float)
        self.echo = echo  # print each store call's stage and seconds as it ends (slow engines)
        self._phase: str | None = None
        self._since = 0.0
        self._depth = 0

    def wrap(self, method: str, call: Callable[..., Any]) -> Callable[..., Any]:
        """A timed version of `call`; nested calls count once, in the outermost stage."""

        @functools.wraps(call)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._depth or self._phase is not None:
                return call(*args, **kwargs)
            label = args[0] if args and isinstance(args[0], str) else ""
            self._depth += 1
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self._depth -= 1
                spent = time.perf_counter() - started
                self.seconds[stage_of(method, label)] += spent
                if self.echo:
                    cpu = tree_cpu_seconds()
                    print(f"{spent:9.2f} s  cpu {cpu:9.1f} s  {stage_of(method, label)} ({label})",
                          flush=True)  # fmt: skip

        return timed

    def attach(self, ledger: Ledger) -> Ledger:
        """Time every store call of this ledger."""
        for method in METHODS:
            setattr(ledger.store, method, self.wrap(method, getattr(ledger.store, method)))
        return ledger

    def step(self, name: str | None) -> None:
        """Start timing a report query as a whole (None ends the last one)."""
        now = time.perf_counter()
        if self._phase is not None:
            self.seconds[self._phase] += now - self._since
        self._phase, self._since = name, now

    def finish(self, ingest_seconds: float) -> Stages:
        """Seconds per stage, with the ingest time no store call accounts for as `other`."""
        stages = dict(self.seconds)
        counted = sum(v for k, v in stages.items() if k.startswith(("ingest", "rebuild")))
        stages["ingest: other (Python, Ibis compile)"] = max(ingest_seconds - counted, 0.0)
        return stages


def tree_cpu_seconds() -> float:
    """CPU seconds so far of this process and its children (a Spark JVM): on a shared machine
    the wall time says how busy it was, the CPU time what the work cost."""
    import psutil

    own = psutil.Process()
    total = 0.0
    for member in [own, *own.children(recursive=True)]:
        try:
            times = member.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


@contextmanager
def hashing_timed(recorder: Recorder) -> Iterator[None]:
    """Also time the ingest's file hashing."""
    original = pipeline.file_sha256
    pipeline.file_sha256 = recorder.wrap("hash", original)  # type: ignore[assignment]
    try:
        yield
    finally:
        pipeline.file_sha256 = original  # type: ignore[assignment]
