"""A busy ledger (issue 10, item 3): readers and a writer in separate, real processes.

No reader sees a traceback or a half state, an ingest never fails because a reader was there, a
command that waits longer than --wait names the process in its way, and Ctrl-C mid-ingest exits 130
with the ledger unchanged. Every loop is bounded by a count; nothing asserts on time.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from netretain import Ledger
from netretain.engines import interrupted
from netretain.errors import EngineError, LedgerError
from netretain.ledger import hooks

from .conftest import ENV, Files, assert_clean_error, copy_ledger, invoke, write_lines

MORE_LINES = [
    "L9,C,2024-03-01,subscription,2024-03-01,2024-04-01,300.00,USD",
    "L10,A,2024-03-01,subscription,2024-03-01,2024-04-01,175.00,USD",
]
LONG_JSON = ("--format", "json", "--wait", "600")
READERS = 2
MOST_READS = 400  # a reader stops after this many reads even if it never saw the update
READS_AFTER = 3  # ... or after this many reads of the updated ledger


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment for a child process, with ENV's settings applied."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETRETAIN_")}
    env.update({k: v for k, v in ENV.items() if v is not None})
    return {**env, **extra}


def spawn(script: str, *args: object) -> subprocess.Popen[str]:
    """A Python child running `script`, its stdout a pipe the test reads line by line."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def cli(*args: object) -> subprocess.CompletedProcess[str]:
    """The real command line in its own process: `python -m netretain.cli.app ARGS`."""
    argv = [sys.executable, "-m", "netretain.cli.app", *map(str, args)]
    return subprocess.run(argv, capture_output=True, text=True, env=child_env())


@pytest.fixture(scope="module")
def good(files: Files, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small ledger: FX rates, customers and three good invoice lines (ingested once)."""
    db = tmp_path_factory.mktemp("busy") / "ledger.duckdb"
    invoke("ingest", "--db", db, *files.args(files.good_lines), "--format", "json")
    gc.collect()  # close the ingest's connection so the file is complete for copies
    return db


@pytest.fixture
def small(good: Path, tmp_path: Path) -> Path:
    """A private copy of the small ledger: each test holds, waits on and writes its own."""
    return copy_ledger(good, tmp_path / "ledger.duckdb")


@pytest.fixture
def more_lines(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "more_lines.csv", MORE_LINES)


def movements(db: Path) -> str:
    return invoke("movements", "--db", db, "--format", "json").stdout


def ingest_log(db: Path) -> list[dict]:
    with Ledger(db, read_only=True) as ledger:
        return ledger.ingests().to_pylist()


HOLD = """
import sys
import duckdb

from netretain import Ledger
from netretain.engines import interrupted
from netretain.ledger import hooks
ledger = Ledger(sys.argv[1], read_only=sys.argv[2] == "read")
print("held", flush=True)
sys.stdin.readline()
ledger.close()
print("released", flush=True)
"""


def hold(db: Path, how: str) -> subprocess.Popen[str]:
    """A process that holds the ledger (for reading or writing) until told to let go."""
    child = spawn(HOLD, db, how)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held", child.stderr.read() if child.stderr else ""
    return child


def release(child: subprocess.Popen[str]) -> None:
    out, err = child.communicate("\n")
    assert child.returncode == 0, err
    assert out.strip() == "released"


def test_a_reader_told_who_is_updating(small: Path) -> None:
    writer = hold(small, "write")
    try:
        result = invoke("report", "--db", small, "--wait", "0", code=1)
        message = assert_clean_error(result, f"being updated by process {writer.pid} since")
        assert message.endswith("; try again")
    finally:
        release(writer)
    invoke("report", "--db", small)  # free again


def test_an_ingest_told_who_is_reading(small: Path, more_lines: Path) -> None:
    before = movements(small)
    reader = hold(small, "read")
    try:
        result = invoke(
            "ingest", "--db", small, "--invoice-lines", more_lines, "--wait", "0", code=1
        )
        assert_clean_error(result, f"open in process {reader.pid}", "try again")
        assert movements(small) == before  # a refused ingest changes nothing
    finally:
        release(reader)
    invoke("ingest", "--db", small, "--invoice-lines", more_lines)
    assert movements(small) != before


def test_one_writer_at_a_time(small: Path, more_lines: Path) -> None:
    writer = hold(small, "write")
    try:
        result = invoke(
            "ingest", "--db", small, "--invoice-lines", more_lines, "--wait", "0", code=1
        )
        assert_clean_error(result, f"being updated by process {writer.pid}")
    finally:
        release(writer)


def test_readers_share_the_file(small: Path) -> None:
    reader = hold(small, "read")
    try:
        assert json.loads(movements(small))  # a second reader is not in the way of the first
    finally:
        release(reader)


def test_a_waiting_reader_gets_the_ledger_when_the_writer_lets_go(small: Path) -> None:
    expected = movements(small)
    writer = hold(small, "write")
    reading = subprocess.Popen(
        [sys.executable, "-m", "netretain.cli.app", "movements", "--db", str(small), *LONG_JSON],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    release(writer)
    out, err = reading.communicate()
    assert reading.returncode == 0, err
    assert out == expected


def test_library_wait_and_environment(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = hold(small, "write")
    try:
        with pytest.raises(LedgerError, match=f"being updated by process {writer.pid}"):
            Ledger(small, read_only=True, wait=0)
        monkeypatch.setenv("NETRETAIN_WAIT", "0")
        with pytest.raises(LedgerError, match="try again"):
            Ledger(small, read_only=True)
        monkeypatch.setenv("NETRETAIN_WAIT", "soon")
        with pytest.raises(EngineError, match="wait must be a number of seconds"):
            Ledger(small, read_only=True)
    finally:
        release(writer)
    monkeypatch.delenv("NETRETAIN_WAIT")
    with Ledger(small, read_only=True) as ledger:
        assert ledger.months


def test_a_bad_wait_is_one_line(small: Path) -> None:
    result = invoke("report", "--db", small, "--wait", "-1", code=1)
    assert_clean_error(result, "--wait must be a number of seconds")


READER = """
import json, sys
from typer.testing import CliRunner
from netretain.cli.app import app

db, before, out = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
most, after = map(int, sys.argv[4:])
seen, updated = [], 0
for i in range(most):
    r = CliRunner().invoke(app, ["movements", "--db", db, "--format", "json", "--wait", "600"])
    crash = r.exception is not None and not isinstance(r.exception, SystemExit)
    seen.append({"code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr, "crash": crash})
    if i == 0:
        print("reading", flush=True)
    updated += r.stdout != before
    if updated >= after:
        break
json.dump(seen, open(out, "w"))
"""


def test_readers_during_an_ingest_see_before_or_after(
    small: Path, more_lines: Path, tmp_path: Path
) -> None:
    before = movements(small)
    copy = tmp_path / "after.duckdb"
    shutil.copyfile(small, copy)
    invoke("ingest", "--db", copy, "--invoice-lines", more_lines)
    after = movements(copy)
    assert after != before
    (tmp_path / "before.json").write_text(before, encoding="utf-8")
    readers = [
        spawn(
            READER,
            small,
            tmp_path / "before.json",
            tmp_path / f"r{i}.json",
            MOST_READS,
            READS_AFTER,
        )
        for i in range(READERS)
    ]
    for reader in readers:  # every reader has read once before the ingest starts
        assert reader.stdout is not None
        assert reader.stdout.readline().strip() == "reading"
    ingest = cli("ingest", "--db", small, "--invoice-lines", more_lines, *LONG_JSON)
    assert ingest.returncode == 0, ingest.stderr
    assert "Traceback" not in ingest.stderr
    for i, reader in enumerate(readers):
        _, err = reader.communicate()
        assert reader.returncode == 0, err
        seen = json.loads((tmp_path / f"r{i}.json").read_text(encoding="utf-8"))
        assert not [s for s in seen if s["crash"] or s["code"] != 0 or "Traceback" in s["stderr"]]
        states = ["before" if s["stdout"] == before else "after" for s in seen]
        assert all(s["stdout"] in (before, after) for s in seen)  # never a half state
        assert states[0] == "before" and states[-1] == "after"
        flips = sum(a != b for a, b in itertools.pairwise(states))
        assert flips == 1  # before ... before, after ... after: never back
    assert movements(small) == after


INTERRUPTED = """
import signal, sys
from netretain.cli.app import main
from netretain.ledger import hooks

def hold(ingested):
    print("inside", flush=True)  # every row is written, nothing committed yet
    signal.pause()  # until the test's SIGINT

hooks.register(hold)
sys.argv = ["netretain", *sys.argv[1:]]
main()
"""


def test_ctrl_c_mid_ingest_leaves_the_ledger_unchanged(small: Path, more_lines: Path) -> None:
    before = movements(small)
    ingests = ingest_log(small)
    args = ("ingest", "--db", small, "--invoice-lines", more_lines, "--format", "json")
    child = spawn(INTERRUPTED, *args)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "inside", child.stderr.read() if child.stderr else ""
    child.send_signal(signal.SIGINT)
    _, err = child.communicate()
    assert child.returncode == 130, err
    assert err.strip() == "interrupted; the ledger is unchanged"
    assert movements(small) == before
    assert ingest_log(small) == ingests
    invoke("check", "--db", small)
    invoke("ingest", "--db", small, "--invoice-lines", more_lines)  # the lock went with it
    assert movements(small) != before


def test_ctrl_c_inside_a_duckdb_statement_rolls_back(small: Path, more_lines: Path) -> None:
    """SIGINT while DuckDB runs a statement surfaces as RuntimeError('Query interrupted') (DuckDB
    1.4's Python client); the ingest rolls back and the command says so, exit 130."""
    before = movements(small)

    def interrupted(ingested: object) -> None:
        raise RuntimeError("Query interrupted")

    hooks.register(interrupted)
    try:
        result = invoke("ingest", "--db", small, "--invoice-lines", more_lines, code=130)
    finally:
        hooks.unregister(interrupted)
    assert result.stderr.strip().splitlines()[-1] == "interrupted; the ledger is unchanged"
    assert movements(small) == before


def test_what_counts_as_ctrl_c() -> None:
    assert interrupted(KeyboardInterrupt())
    assert interrupted(RuntimeError("Query interrupted"))
    assert interrupted(duckdb.InterruptException("INTERRUPT Error: Interrupted!"))
    assert not interrupted(RuntimeError("something else"))
    assert not interrupted(duckdb.IOException("Query interrupted"))
