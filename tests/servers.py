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
import tempfile
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
