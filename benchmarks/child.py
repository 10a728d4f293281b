"""A measurement's own process: import first, then time only the work, then save figures.

python -m benchmarks.child '{"task": "duckdb-sql", "spec": {...}, "result": "result.json"}'
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.data import dataset_from
from benchmarks.figures import Figures

Outcome = tuple[Figures | None, float, dict[str, float], dict[str, Any]]  # figures, s, phases, info


def _netretain(
    spec: dict[str, Any], *, fresh: bool, reports: bool, reingest: bool = False
) -> Outcome:
    from benchmarks import profile
    from benchmarks.contenders import netretain_runs as nr

    dataset = dataset_from(spec["dataset"])
    ledger_path = Path(spec["ledger"])
    engine = spec.get("engine", "duckdb")
    warehouse = Path(spec["warehouse"]) if spec.get("warehouse") else None
    if fresh:
        ledger_path.unlink(missing_ok=True)
        if warehouse is not None:
            shutil.rmtree(warehouse, ignore_errors=True)
    phases: dict[str, float] = {}
    info: dict[str, Any] = {}
    limit = spec.get("duckdb_memory")
    before = nr.snapshot(nr.open_ledger(ledger_path, engine, warehouse)) if reingest else None
    recorder = profile.Recorder(echo=engine == "spark")
    with profile.hashing_timed(recorder):
        started = time.perf_counter()
        ledger = recorder.attach(nr.open_ledger(ledger_path, engine, warehouse, memory_limit=limit))
        if fresh or reingest:
            info = nr.ingest(ledger, dataset)
            phases["ingest"] = time.perf_counter() - started
        figures = None
        if reports:
            mark = time.perf_counter()
            figures = nr.full_report(ledger, recorder.step)
            phases["reports"] = time.perf_counter() - mark
        seconds = time.perf_counter() - started
    info["stages"] = recorder.finish(phases.get("ingest", 0.0))
    if before is not None:
        info["tables_unchanged"] = nr.snapshot(ledger) == before
    return figures, seconds, phases, info


def _spark(spec: dict[str, Any]) -> Outcome:
    """netretain on Spark local mode (the session started with `spark_conf`, if given); exits
    saying UNAVAILABLE, with the fix, when Spark cannot start (pyspark or Java missing)."""
    from netretain.engines.spark import spark_session
    from netretain.errors import EngineError

    try:
        if spec.get("spark_conf"):
            spark_session(conf=spec["spark_conf"])
        figures, seconds, phases, info = _netretain(spec, fresh=True, reports=True)
    except EngineError as exc:
        print(f"UNAVAILABLE: {exc}", flush=True)
        raise SystemExit(1) from None
    from benchmarks.profile import tree_cpu_seconds

    info["cpu_seconds"] = tree_cpu_seconds()
    return figures, seconds, phases, info


def _duckdb_sql(spec: dict[str, Any]) -> Outcome:
    from benchmarks.contenders import duckdb_sql

    limit = spec.get("duckdb_memory")
    return _timed(lambda dataset: duckdb_sql.run(dataset, memory_limit=limit), spec)


def _parquet_copy(spec: dict[str, Any]) -> Outcome:
    """DuckDB copying the four Parquet files into tables of a fresh database file: the floor for
    storing rows (issue 16 asks storing and checking them within 1.5x of it)."""
    import duckdb

    dataset = dataset_from(spec["dataset"])
    target = Path(spec["ledger"]).with_name("parquet-copy.duckdb")
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(target))
    try:
        for kind, path in dataset.paths.items():
            literal = str(path).replace("'", "''")
            con.execute(f"CREATE TABLE {kind} AS SELECT * FROM read_parquet('{literal}')")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    seconds = time.perf_counter() - started
    target.unlink(missing_ok=True)
    return None, seconds, {}, {}


def _pandas(spec: dict[str, Any]) -> Outcome:
    from benchmarks.contenders import pandas_report

    return _timed(pandas_report.run, spec)


def _timed(run: Callable[..., Figures], spec: dict[str, Any]) -> Outcome:
    dataset = dataset_from(spec["dataset"])
    started = time.perf_counter()
    figures = run(dataset)
    return figures, time.perf_counter() - started, {}, {}


TASKS: dict[str, Callable[[dict[str, Any]], Outcome]] = {
    "netretain-ingest-reports": lambda s: _netretain(s, fresh=True, reports=True),
    "netretain-reports": lambda s: _netretain(s, fresh=False, reports=True),
    "netretain-reingest": lambda s: _netretain(s, fresh=False, reports=False, reingest=True),
    "spark-ingest-reports": lambda s: _spark(s),
    "duckdb-sql": _duckdb_sql,
    "parquet-copy": _parquet_copy,
    "pandas": _pandas,
}


def _preload(task: str) -> None:
    """Import what a task needs before the clock starts, so imports are not timed."""
    import duckdb  # noqa: F401
    import pandas  # noqa: F401

    if task.startswith(("netretain", "spark")):
        import netretain.core.retention  # noqa: F401
        from benchmarks.contenders import netretain_runs  # noqa: F401


def main(argv: list[str]) -> None:
    """Run the task named in the JSON argument and write its result file."""
    request = json.loads(argv[1])
    task, spec = request["task"], request["spec"]
    _preload(task)
    figures, seconds, phases, info = TASKS[task](spec)
    if figures is not None and spec.get("figures"):
        figures.write(Path(spec["figures"]))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    result = {
        "seconds": seconds,
        "phases": phases,
        "info": info,
        "maxrss_bytes": own,
        "children_maxrss_bytes": children,
    }
    Path(request["result"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
