"""Real engines for tests: a throwaway PostgreSQL server and the one local Spark session.

Nothing is mocked. A missing Java or PostgreSQL raises `Unavailable` with the install command, and
the fixtures turn that into a test failure (not a skip), so a machine without them cannot pass.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INSTALL = "apt-get install openjdk-17-jre-headless postgresql"
SPARK_TEST_CONF = {
    "spark.master": "local[2]",
    "spark.driver.memory": "1g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    # Tiny data on 2 cores: compiling generated Java per query, and C2's JIT, cost more than they
    # save (the first ingest runs about a third faster without them).
    "spark.sql.codegen.wholeStage": "false",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}


class Unavailable(RuntimeError):
    """An engine the tests need is not installed or will not start."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path:
    """The directory of initdb/pg_ctl: Debian's newest /usr/lib/postgresql/N/bin, else PATH."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise Unavailable(f"PostgreSQL server binaries (initdb, pg_ctl) not found: {INSTALL}")


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temporary directory, listening on 127.0.0.1:port."""

    root: Path
    port: int
    bindir: Path
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """initdb + pg_ctl start on a free port (as the `postgres` user when we are root)."""
    bindir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="netretain-pg-"))
    user = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable(f"running as root needs the `postgres` OS user: {INSTALL}") from None
        user = "postgres"
        os.chown(root, owner.pw_uid, owner.pw_gid)
    server = PostgresServer(root, free_port(), bindir, user)
    atexit.register(server.stop)  # also when the test run is interrupted
    data = str(root / "data")
    steps = [
        ("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
         "--no-sync"),
        ("pg_ctl", "-D", data, "-l", str(root / "log"), "-w", "-t", "60", "-o",
         f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
         "-c synchronous_commit=off -c full_page_writes=off", "start"),
    ]  # fmt: skip
    for step in steps:
        done = server.run(*step)
        if done.returncode != 0:
            log = (root / "log").read_text() if (root / "log").exists() else ""
            server.stop()
            raise Unavailable(f"{step[0]} failed: {done.stdout}{done.stderr}{log}")
    return server


@contextlib.contextmanager
def postgres() -> Iterator[PostgresServer]:
    """A running server for the duration of the block, stopped and deleted after."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


def spark_session(conf: dict[str, str] | None = None) -> Any:
    """The test run's one local Spark session (created on first call, reused after)."""
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise Unavailable(f"Spark needs Java 17 and `java` is not on PATH: {INSTALL}")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise Unavailable("pyspark is not installed: pip install -e '.[dev]'") from None
    builder = SparkSession.builder.appName("netretain-tests")
    for key, value in {**SPARK_TEST_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


# A standalone cluster for the tests: small executors, one core each, no web UIs worth opening.
CLUSTER_WORKERS, CLUSTER_WORKER_MEMORY, CLUSTER_EXECUTOR_MEMORY = 2, "640m", "512m"
CLUSTER_DAEMON_OPTS = ["-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]


@dataclass
class SparkCluster:
    """A Spark standalone master and its workers on 127.0.0.1, each a JVM started from PySpark's
    own jars (`org.apache.spark.deploy.master.Master` / `.worker.Worker`)."""

    root: Path
    url: str  # spark://127.0.0.1:port
    processes: list[subprocess.Popen[bytes]]

    def conf(self) -> dict[str, str]:
        """The driver settings that run a session's tasks on this cluster's executors."""
        return {
            "spark.master": self.url,
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.executor.memory": CLUSTER_EXECUTOR_MEMORY,
            "spark.executor.cores": "1",
            "spark.cores.max": str(CLUSTER_WORKERS),
            # the session starts work only once every worker's executor has registered
            "spark.scheduler.minRegisteredResourcesRatio": "1.0",
            "spark.scheduler.maxRegisteredResourcesWaitingTime": "300s",
            "spark.executor.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
            "spark.pyspark.python": sys.executable,
            "spark.local.dir": str(self.root / "local"),
        }

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def spark_home() -> Path:
    """The pyspark package directory: its `jars/` hold Spark, as SPARK_HOME expects."""
    try:
        import pyspark
    except ImportError:
        raise Unavailable("pyspark is not installed: pip install -e '.[dev]'") from None
    return Path(pyspark.__file__).parent


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not found:
        raise Unavailable(f"Spark needs Java 17 and `java` is not on PATH: {INSTALL}")
    return found


def _wait_for(log: Path, text: str, count: int, processes: list[subprocess.Popen[bytes]]) -> None:
    """Until `text` occurs `count` times in a daemon's log (Unavailable if a daemon dies first)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if log.exists() and log.read_text(errors="replace").count(text) >= count:
            return
        dead = [p for p in processes if p.poll() is not None]
        if dead:
            raise Unavailable(f"a Spark daemon exited: {' '.join(map(str, dead[0].args))}")
        time.sleep(0.2)
    raise Unavailable(f"Spark cluster did not start in 120 s: see {log}")


def start_spark_cluster(workers: int = CLUSTER_WORKERS) -> SparkCluster:
    """A master and `workers` workers (one core, small memory each) on free localhost ports."""
    home, java = spark_home(), _java()
    root = Path(tempfile.mkdtemp(prefix="netretain-spark-"))
    # A worker builds its executors' classpath from SPARK_HOME/jars; without SPARK_SCALA_VERSION
    # it looks for a source build's directories, which the pyspark wheel does not have.
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_SCALA_VERSION": "2.13",
        "PYSPARK_PYTHON": sys.executable,
    }
    classpath = ["-cp", f"{home / 'jars'}/*", *CLUSTER_DAEMON_OPTS]
    port = free_port()
    cluster = SparkCluster(root, f"spark://127.0.0.1:{port}", [])
    atexit.register(cluster.stop)  # also when the test run is interrupted
    daemons = [
        ("master", "org.apache.spark.deploy.master.Master",
         ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(free_port())]),
        *[(f"worker{i}", "org.apache.spark.deploy.worker.Worker",
           [cluster.url, "--host", "127.0.0.1", "--webui-port", str(free_port()), "--cores", "1",
            "--memory", CLUSTER_WORKER_MEMORY, "--work-dir", str(root / f"worker{i}")])
          for i in range(workers)],
    ]  # fmt: skip
    for name, main, args in daemons:
        with (root / f"{name}.log").open("wb") as log:
            command = [java, *classpath, main, *args]
            cluster.processes.append(
                subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
            )
        if name == "master":
            _wait_for(root / "master.log", "I have been elected leader", 1, cluster.processes)
    try:
        _wait_for(root / "master.log", "Registering worker", workers, cluster.processes)
    except Unavailable:
        cluster.stop()
        raise
    return cluster
