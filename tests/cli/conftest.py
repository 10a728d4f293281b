"""CLI fixtures: one demo ledger per session, writable copies of it, small input files with bad
rows, and JSON output checked against the published schemas in docs/schemas/.

Every command runs in-process through `typer.testing.CliRunner` on the real app and a real DuckDB
file; nothing is mocked.
"""

from __future__ import annotations

import gc
import json
import shlex
import shutil
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from typer.testing import CliRunner, Result

from netretain.cli.app import app

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
DEMO_ARGS = ("demo", "--customers", "300", "--months", "24", "--seed", "7", "--start", "2023-01")
# Wide enough that rich never truncates a figure with an ellipsis; and the DuckDB engine whatever
# the developer's NETRETAIN_* settings (None unsets a variable for the run).
ENV: dict[str, str | None] = {"COLUMNS": "240", "NO_COLOR": "1", "TERM": "dumb"} | {
    f"NETRETAIN_{name}": None
    for name in ("DB", "ENGINE", "SPARK_MASTER", "WAREHOUSE", "POSTGRES_URL", "SCHEMA")
}


@cache
def registry() -> Registry:
    """Every schema file, addressable by its file name (how they `$ref` each other)."""
    resources = [
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in sorted(SCHEMAS.glob("*.schema.json"))
    ]
    return Registry().with_resources(resources)


def validator(name: str) -> Draft202012Validator:
    """A draft 2020-12 validator for docs/schemas/<name>.schema.json."""
    schema = registry().contents(f"{name}.schema.json")
    return Draft202012Validator(schema, registry=registry())


def validate(name: str, data: Any) -> Any:
    """Fail with every schema error (path and message) if `data` does not match the schema."""
    errors = sorted(validator(name).iter_errors(data), key=lambda e: str(list(e.absolute_path)))
    assert not errors, f"{name}.schema.json:\n" + "\n".join(
        f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors[:20]
    )
    return data


def invoke(*args: Any, code: int = 0) -> Result:
    """Run `netretain ARGS` in-process and check the exit code, showing the output if it differs."""
    argv = [str(a) for a in args]
    result = CliRunner().invoke(app, argv, env=ENV)
    if result.exit_code != code:
        detail = ""
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            detail = "".join(traceback.format_exception(result.exception))
        pytest.fail(
            f"netretain {shlex.join(argv)} exited {result.exit_code}, expected {code}\n"
            f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}\n{detail}"
        )
    return result


def invoke_json(*args: Any, schema: str) -> Any:
    """`netretain ARGS --format json`, parsed and validated against its schema."""
    result = invoke(*args, "--format", "json")
    return validate(schema, json.loads(result.stdout))


def assert_clean_error(result: Result, *fragments: str) -> str:
    """Exit 1 with a message (no traceback) that contains every fragment; returns the message."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    message = " ".join(result.stderr.split())  # rich may wrap a long line
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def copy_ledger(source: Path, target: Path) -> Path:
    """Copy a DuckDB ledger (and its WAL, if any) so a test may write to it."""
    shutil.copyfile(source, target)
    wal = Path(f"{source}.wal")
    if wal.exists():
        shutil.copyfile(wal, Path(f"{target}.wal"))
    return target


@dataclass(frozen=True)
class Demo:
    """The session's demo company: its ledger, its generated CSV files and the demo's JSON."""

    db: Path
    data: Path
    output: dict[str, Any]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """`netretain demo` once per session: 300 customers over 24 months, with 7 bad rows."""
    folder = tmp_path_factory.mktemp("demo")
    db, data = folder / "demo.duckdb", folder / "data"
    result = invoke(*DEMO_ARGS, "--db", db, "--data-dir", data, "--format", "json")
    gc.collect()  # close the demo's connection so the file is complete for copies
    return Demo(db=db, data=data, output=json.loads(result.stdout))


@pytest.fixture
def demo_copy(demo: Demo, tmp_path: Path) -> Path:
    """A private copy of the demo ledger, for tests that write to it."""
    return copy_ledger(demo.db, tmp_path / "ledger.duckdb")


# Small input files whose bad rows sit at known rows (the header is row 1).
FX_RATES = """month,currency,rate
2024-01,EUR,1.10
2024-02,EUR,1.10
2024-03,EUR,1.20
"""
CUSTOMERS = """customer_id,name,signup_date,parent_id
A,Alpha,2024-01-01,
B,Beta,2024-01-01,
C,Gamma,2024-02-01,
"""
GOOD_LINES = [
    "L1,A,2024-01-01,subscription,2024-01-01,2024-02-01,100.00,USD",
    "L2,A,2024-02-01,subscription,2024-02-01,2024-03-01,150.00,USD",
    "L3,B,2024-01-01,subscription,2024-01-01,2024-02-01,200.00,EUR",
]
BAD_LINES = [
    'L4,B,2024-02-01,subscription,2024-02-01,2024-03-01,"12,5x",EUR',  # row 5: amount
    "L5,C,2024-13-45,subscription,2024-02-01,2024-03-01,80.00,USD",  # row 6: invoice_date
    "L6,C,2024-02-01,refund,2024-02-01,2024-03-01,80.00,USD",  # row 7: type
    "L7,,2024-02-01,subscription,2024-02-01,2024-03-01,80.00,USD",  # row 8: customer_id
    "L8,C,2024-03-01,refund,2024-03-01,2024-04-01,abc,USD",  # row 9: amount and type
]
LINES_HEADER = "line_id,customer_id,invoice_date,type,service_start,service_end,amount,currency"
# (row, column) of every problem in BAD_LINES: five rows, six problems.
BAD_CELLS = [
    (5, "amount"),
    (6, "invoice_date"),
    (7, "type"),
    (8, "customer_id"),
    (9, "amount"),
    (9, "type"),
]


@dataclass(frozen=True)
class Files:
    """Input files for `netretain ingest`: FX rates, customers, and invoice lines with bad rows."""

    fx_rates: Path
    customers: Path
    lines: Path  # good rows then bad rows
    good_lines: Path  # the good rows only

    def args(self, lines: Path | None = None) -> list[str]:
        return [
            "--fx-rates",
            str(self.fx_rates),
            "--customers",
            str(self.customers),
            "--invoice-lines",
            str(lines or self.lines),
        ]


def write_lines(path: Path, rows: Sequence[str]) -> Path:
    path.write_text("\n".join([LINES_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    """Small input files, written once (tests only read them)."""
    folder = tmp_path_factory.mktemp("in")
    fx = folder / "fx_rates.csv"
    fx.write_text(FX_RATES, encoding="utf-8")
    customers = folder / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    return Files(
        fx_rates=fx,
        customers=customers,
        lines=write_lines(folder / "invoice_lines.csv", GOOD_LINES + BAD_LINES),
        good_lines=write_lines(folder / "good_lines.csv", GOOD_LINES),
    )


@dataclass(frozen=True)
class Small:
    """A new ledger after one ingest of `files` (bad rows included), and that ingest's JSON."""

    db: Path
    output: dict[str, Any]


@pytest.fixture(scope="session")
def small(files: Files, tmp_path_factory: pytest.TempPathFactory) -> Small:
    """`netretain ingest --format json` of the small files into a new ledger, once per session."""
    db = tmp_path_factory.mktemp("small") / "small.duckdb"
    result = invoke("ingest", "--db", db, *files.args(), "--format", "json")
    gc.collect()
    return Small(db=db, output=json.loads(result.stdout))


@pytest.fixture
def small_copy(small: Small, tmp_path: Path) -> Path:
    """A private copy of the small ledger, for tests that write to it."""
    return copy_ledger(small.db, tmp_path / "small.duckdb")


def snapshot(db: Path) -> dict[str, Any]:
    """What a user can see of a ledger: report, movements and rejects, as JSON."""
    return {
        "report": invoke_json("report", "--db", db, schema="report"),
        "movements": invoke_json("movements", "--db", db, schema="movements"),
        "rejects": invoke_json("rejects", "--db", db, schema="rejects"),
    }
