"""The parity suite's core cases on a Spark standalone cluster: a master and two workers started
from PySpark's own jars on localhost, each executor its own JVM, the warehouse a directory they all
see. One SparkContext is allowed per process and this run's is local, so the cases run in a child
pytest whose session connects to the cluster (tests/engines/conftest.py reads its settings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    "tests/engines/cluster_checks.py",
    "tests/engines/test_parity.py::test_customer_month_mrr_is_equal",
    "tests/engines/test_parity.py::test_customer_month_movements_are_equal",
    "tests/engines/test_parity.py::test_monthly_movements_are_equal",
    "tests/engines/test_analysis_parity.py",
]
EXPECTED = 8  # the cases above on the one engine (spark)
# Small results only reach the driver: a collect of revenue rows past this fails the run.
MAX_RESULT = "16m"
# A hang guard, not a timing: 3 minutes at load average 6 on 2 cores, 30 at load average 27.
CHILD_TIMEOUT = 3600


@pytest.fixture(scope="module")
def cluster() -> Iterator[servers.SparkCluster]:
    try:
        running = servers.start_spark_cluster()
    except servers.Unavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield running
    running.stop()


def test_parity_holds_on_a_standalone_cluster(
    cluster: servers.SparkCluster, tmp_path: Path
) -> None:
    conf = {**cluster.conf(), "spark.driver.maxResultSize": MAX_RESULT}
    report = tmp_path / "junit.xml"
    # one process: the cluster's two cores serve one application at a time
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:randomly"]
    output = tmp_path / "child.log"  # kept: the child's progress, also when it is stopped
    with output.open("w") as log:
        done = subprocess.run(
            [*command, "-p", "no:cacheprovider", f"--junitxml={report}", *CASES],
            env={**os.environ, "NETRETAIN_TEST_SPARK_CONF": json.dumps(conf)},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    assert done.returncode == 0, output.read_text()[-12000:]
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    counts = {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
    assert counts == {"tests": EXPECTED, "failures": 0, "errors": 0, "skipped": 0}, (
        output.read_text()[-4000:]
    )
