"""Run only by test_spark_cluster.py's child pytest (named so the main run does not collect it):
the child's Spark session really is on the standalone cluster, with both executors."""

from __future__ import annotations

import time
from typing import Any

from tests.engines.conftest import CLUSTER_CONF


def test_the_session_runs_on_the_standalone_cluster(spark: Any) -> None:
    context = spark.sparkContext
    assert CLUSTER_CONF["spark.master"].startswith("spark://")
    assert context.master == CLUSTER_CONF["spark.master"]
    # the driver and one executor per worker, each in its own JVM; an executor's block manager
    # registers a moment after its cores, so wait (boundedly) for the last one to appear
    status = context._jsc.sc().getExecutorMemoryStatus
    deadline = time.monotonic() + 300
    while status().size() < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status().size() == 3


def test_inputs_in_the_drivers_temp_dir_are_copied_for_the_executors(
    ledgers: dict[str, Any],
) -> None:
    """The company's files live under the driver's temporary directory (pytest's): the store
    read them from copies in the warehouse, and deleted the copies when the ingest committed."""
    staging = ledgers["spark"].store.warehouse.root / "staging"
    assert staging.is_dir()
    assert list(staging.iterdir()) == []
