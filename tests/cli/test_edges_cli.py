"""Output a RevOps lead reads, and the month a user asks for, through the CLI (issue 10)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from netretain import Ledger
from netretain.cli.app import app
from netretain.cli.render import compact
from netretain.core.arith import month_label, parse_month
from netretain.definitions import presets

from .conftest import DEMO_ARGS, ENV, Demo, Files, assert_clean_error, invoke, invoke_json

ELLIPSIS = "\u2026"


def at_width(columns: int, *args: object) -> str:
    """`netretain ARGS` in a terminal `columns` wide; stdout and stderr together."""
    env = {**ENV, "COLUMNS": str(columns)}
    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout + result.stderr


def test_demo_at_80_columns_shows_every_figure_whole(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    out = at_width(80, *DEMO_ARGS, "--db", db)
    assert ELLIPSIS not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    report = Ledger(db).report()
    for name in ("starting_mrr", "ending_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr"):
        assert f"{getattr(report, name):,.2f}" in out, name  # the headline keeps full figures
    assert f"{report.total_mrr:,.2f}" in out
    months = {line.split()[0]: line for line in out.splitlines() if re.match(r"\d{4}-\d\d ", line)}
    for m in report.months:
        figures = [m.mrr, m.new, m.expansion, m.contraction, m.churn, m.reactivation]
        shown = months[m.month].split()
        assert [s for s in shown if s != f"{m.customers:,}"][1:] == [
            compact(f) if compact(f) in shown else f"{f:,.2f}" for f in figures
        ], m.month
    assert "2023-12 -> 2024-12, trailing 12 months" in out
    assert "Starting and ending MRR are the cohort's" in out
    assert "counts monthly dips as contraction" in out  # movements-12, from its fields


def test_compact_units_keep_three_figures() -> None:
    cases = {
        "3454900.36": "3.45M",
        "93597.41": "93.6K",
        "152304.03": "152K",
        "999999.99": "1.00M",
        "-1234.00": "-1.23K",
        "987.65": "987.65",
        "0.00": "0.00",
        "2500000000.00": "2.50B",
    }
    assert {k: compact(Decimal(k)) for k in cases} == cases


def test_compare_fits_in_100_columns_with_a_reason_per_definition(demo: Demo) -> None:
    out = at_width(100, "compare", "--db", demo.db, "--as-of", "2024-12")
    assert ELLIPSIS not in out
    assert max(len(line) for line in out.splitlines()) <= 100
    reasons = [line for line in out.splitlines() if re.match(r"  [a-z0-9-]+@\d+: ", line)]
    assert len(reasons) == len(presets())
    assert "  previous-month@1: compares with the previous month" in reasons
    assert "  ndr@1: the default rules" in reasons
    data = invoke_json("compare", "--db", demo.db, "--as-of", "2024-12", schema="compare")
    lenient = next(r for r in data if r["definition"]["name"] == "ndr-lenient")
    assert lenient["differences"] == [
        "a renewal up to 15 days late is not churn",
        "a return after more than 3 months at zero is new",
        "leaves out customers under 50 MRR at the start",
    ]


def test_report_past_the_data_warns_and_the_future_is_refused(demo: Demo) -> None:
    later = month_label(parse_month(demo.output["report"]["as_of"]) + 3)
    result = invoke("report", "--db", demo.db, "--as-of", later, "--format", "json")
    data = json.loads(result.stdout)
    assert data["as_of"] == later
    (warning,) = data["warnings"]
    assert "customers billed monthly and not yet invoiced count as churn" in warning
    assert "customers billed monthly" in " ".join(result.stderr.split())  # a visible note
    today = dt.date.today()
    future = month_label(today.year * 12 + today.month)
    result = CliRunner().invoke(app, ["report", "--db", str(demo.db), "--as-of", future], env=ENV)
    assert_clean_error(result, f"{future} is in the future", "(this month)")
    movements = invoke("movements", "--db", demo.db, "--to", later)
    assert "is past the latest date in the data" in " ".join(movements.stderr.split())


def test_info_shows_months_currency_and_ingests(demo_copy: Path, files: Files) -> None:
    data = invoke_json("info", "--db", demo_copy, schema="info")
    assert (data["first_month"], data["last_month"]) == ("2023-01", "2024-12")
    assert data["default_as_of"] == "2024-12" and data["data_as_of"] is None
    assert data["currency"] == "USD" and len(data["ingests"]) == 1
    invoke("ingest", "--db", demo_copy, "--fx-rates", files.fx_rates, "--data-as-of", "2024-11-20")
    data = invoke_json("info", "--db", demo_copy, schema="info")
    assert data["data_as_of"] == "2024-11-20"
    assert data["default_as_of"] == "2024-10"  # the last complete month before the export
    assert invoke_json("report", "--db", demo_copy, schema="report")["as_of"] == "2024-10"
    out = invoke("info", "--db", demo_copy).stdout
    assert "2024-11-20" in out and "latest date the data shows" in out


def test_unknown_customer_and_no_rejects_say_so(demo: Demo, tmp_path: Path, files: Files) -> None:
    result = CliRunner().invoke(
        app, ["customers", "--db", str(demo.db), "--customer", "NOPE"], env=ENV
    )
    assert_clean_error(result, "no customer 'NOPE' in this ledger")
    db = tmp_path / "clean.duckdb"
    invoke("ingest", "--db", db, "--fx-rates", files.fx_rates, "--invoice-lines", files.good_lines)
    assert "no rejected rows in this ledger" in invoke("rejects", "--db", db).stdout
    assert json.loads(invoke("rejects", "--db", db, "--format", "json").stdout) == []


def test_flags_show_as_flags_and_pipes_get_no_progress_bars(tmp_path: Path, files: Files) -> None:
    help_text = invoke("ingest", "--help").stdout
    for flag in ("--strict", "--replace"):
        (line,) = [line for line in help_text.splitlines() if f" {flag} " in line]
        assert "<bool>" not in line, line
    result = invoke(
        "ingest", "--db", tmp_path / "l.duckdb", "--fx-rates", files.fx_rates,
        "--invoice-lines", files.good_lines,
    )  # fmt: skip
    assert "building the ledger" not in result.stderr  # CliRunner's stderr is not a terminal
    notes = result.stderr.strip().splitlines()  # a new ledger's first ingest makes its log key
    assert [n for n in notes if not n.startswith("note: made the log's signing key")] == []


def test_library_months_are_labels(demo: Demo) -> None:
    """Every record the library returns names months as 'YYYY-MM', never as an index."""
    ledger = Ledger(demo.db)
    label = re.compile(r"^\d{4}-\d{2}$")
    assert all(label.match(m) for m in ledger.months)
    assert all(label.match(v) for k, v in ledger.info().items() if k.endswith("_month"))
    assert all(label.match(m.month) for m in ledger.movements())
    assert all(label.match(r["month"]) for r in ledger.customer_rows(limit=20))
    assert all(label.match(r["month"]) for r in ledger.customer_history("C0000145").to_pylist())


MISSING_EXTRA = """
import sys
sys.modules[{module!r}] = None  # what Python sees when an extra is not installed
sys.argv = ["netretain", *{argv!r}]
from netretain.cli.app import main
main()
"""


def test_a_command_without_its_extra_says_which_to_install(demo: Demo, tmp_path: Path) -> None:
    """`make demo`-style installs may lack an extra: the command names it, with no traceback."""
    db = tmp_path / "copy.duckdb"  # the session's demo ledger is held open by this process
    db.write_bytes(demo.db.read_bytes())
    cases = [("sklearn", "predict", ["risk"]), ("scipy", "predict", ["forecast"])]
    for module, extra, argv in cases:
        code = MISSING_EXTRA.format(module=module, argv=[*argv, "--db", str(db)])
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 1, done.stderr
        assert done.stderr.strip() == (
            f"error: this command needs the {extra} extra: pip install 'netretain[{extra}]'"
        )
