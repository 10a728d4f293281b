"""Every read command in every format: JSON matches its published schema, CSV parses with the
expected header and the same rows, and the table exits 0 showing the key figures."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from netretain.definitions import presets, resolve

from .conftest import Demo, invoke, validate

HEADLINE = (
    "ndr",
    "gdr",
    "logo_retention",
    "starting_mrr",
    "ending_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churn_mrr",
    "customers_start",
    "customers_retained",
)
MONTH = (
    "month", "mrr", "customers", "new", "expansion", "contraction", "churn", "reactivation",
    "new_customers", "expansion_customers", "contraction_customers", "churn_customers",
    "reactivation_customers",
)  # fmt: skip
REPORT_EXTRA = ("total_mrr", "window", "differences", "warnings")
CUSTOMER = (
    "customer_id",
    "month",
    "mrr",
    "previous_mrr",
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
)
REJECT = ("file", "row", "column", "reason", "value")
DEFINITION = (
    "name",
    "version",
    "method",
    "window_months",
    "revenue",
    "fx",
    "reactivation_window_months",
    "gap_tolerance_days",
    "min_starting_mrr",
    "gdr_cap",
    "account_level",
    "description",
    "source",
    "sha256",
)


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def amount(value: float) -> str:
    return f"{Decimal(str(value)):,.2f}"


@dataclass(frozen=True)
class Case:
    """One command: its arguments, schema, CSV header and the figures its table must show."""

    args: Callable[[Path], list[Any]]  # the demo ledger -> the command's arguments
    schema: str
    header: tuple[str, ...]
    figures: Callable[[Any], list[str]]
    rows: Callable[[Any], list[dict[str, Any]]] = lambda data: data  # JSON -> the CSV's rows


def report_figures(d: dict[str, Any]) -> list[str]:
    return [
        f"{d['definition']['name']}@{d['definition']['version']} as of {d['as_of']}",
        pct(d["ndr"]),
        pct(d["gdr"]),
        pct(d["logo_retention"]),
        amount(d["starting_mrr"]),
        amount(d["ending_mrr"]),
        amount(d["churn_mrr"]),
        *(m["month"] for m in d["months"]),
    ]


CASES: dict[str, Case] = {
    "report": Case(
        lambda db: ["report", "--db", db],
        "report",
        ("as_of", "definition", "currency", *HEADLINE, *REPORT_EXTRA, "version", "sha256"),
        report_figures,
        rows=lambda d: [
            d
            | {
                "definition": d["definition"]["name"],
                "version": d["definition"]["version"],
                "sha256": d["definition"]["sha256"],
            }
        ],
    ),
    "movements": Case(
        lambda db: ["movements", "--db", db, "--from", "2024-01"],
        "movements",
        MONTH,
        lambda rows: [f"{r['month']}" for r in rows] + [amount(r["mrr"]) for r in rows],
    ),
    "customers": Case(
        lambda db: ["customers", "--db", db, "--limit", "25"],
        "customers",
        CUSTOMER,
        lambda rows: [r["customer_id"] for r in rows] + [amount(r["mrr"]) for r in rows],
    ),
    "rejects": Case(
        lambda db: ["rejects", "--db", db],
        "rejects",
        ("ingest_id", "kind", *REJECT),
        lambda rows: [r["column"] for r in rows] + [r["value"] for r in rows if r["value"]],
    ),
    "compare": Case(
        lambda db: ["compare", "--db", db, "-d", "ndr", "-d", "previous-month"],
        "compare",
        ("definition", *HEADLINE, "sha256", "differences"),
        lambda reports: [
            f"as of {reports[0]['as_of']}",
            *(f"{r['definition']['name']}@{r['definition']['version']}" for r in reports),
            *(pct(r["ndr"]) for r in reports),
            *(r["definition"]["sha256"][:10] for r in reports),
        ],
        rows=lambda reports: [
            r
            | {
                "definition": f"{r['definition']['name']}@{r['definition']['version']}",
                "sha256": r["definition"]["sha256"][:12],
            }
            for r in reports
        ],
    ),
    "definitions list": Case(
        lambda db: ["definitions", "list"],
        "definitions-list",
        ("name", "version", "method", "window_months", "sha256", "description"),
        lambda rows: [r["name"] for r in rows] + [r["sha256"][:10] for r in rows],
    ),
    "definitions show": Case(
        lambda db: ["definitions", "show", "ndr-lenient@1"],
        "definition",
        DEFINITION,
        lambda d: ["ndr-lenient@1", d["sha256"], "gap_tolerance_days", "15"],
        rows=lambda d: [d],
    ),
    "definitions diff": Case(
        lambda db: ["definitions", "diff", "ndr", "ndr-lenient"],
        "definitions-diff",
        ("field", "ndr@1", "ndr-lenient@1"),
        lambda rows: ["ndr@1 vs ndr-lenient@1", *(r["field"] for r in rows)],
    ),
}


JSON: dict[str, Any] = {}  # each command's JSON, run once per session (the demo is read only)


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest, demo: Demo) -> tuple[str, Case, list[Any], Any]:
    """(name, Case, arguments, its JSON output) for each command."""
    name = request.param
    spec = CASES[name]
    args = spec.args(demo.db)
    if name not in JSON:
        JSON[name] = json.loads(invoke(*args, "--format", "json").stdout)
    return name, spec, args, JSON[name]


def csv_cell(value: Any) -> str:
    """What the CSV writer prints for a JSON value."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return str(value)
    return str(value)


def same_cell(text: str, value: Any) -> bool:
    if isinstance(value, float) and text:
        return Decimal(text) == Decimal(str(value))
    return text == csv_cell(value)


def test_json_matches_schema(case) -> None:
    name, spec, _, data = case
    validate(spec.schema, data)
    assert data, f"{name}: empty output says nothing about the shape"


def test_csv_has_header_and_rows(case) -> None:
    name, spec, args, data = case
    text = invoke(*args, "--format", "csv").stdout
    table = list(csv.reader(io.StringIO(text)))
    assert tuple(table[0]) == spec.header, name
    body = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    expected = spec.rows(data)
    assert len(body) == len(expected), name
    for got, want in zip(body, expected, strict=True):
        for column, text_value in got.items():
            assert column in want, (name, column)
            assert same_cell(text_value, want[column]), (name, column, text_value, want)


def test_table_shows_key_figures(case) -> None:
    name, spec, args, data = case
    shown = invoke(*args).stdout
    missing = [f for f in spec.figures(data) if f not in shown]
    assert not missing, f"{name}: table lacks {missing}\n{shown}"


def test_format_is_the_table_by_default(demo: Demo) -> None:
    assert (
        invoke("report", "--db", demo.db).stdout
        == invoke("report", "--db", demo.db, "--format", "table").stdout
    )


def test_unknown_format_is_a_usage_error(demo: Demo) -> None:
    result = invoke("report", "--db", demo.db, "--format", "xml", code=2)
    assert "xml" in result.output


def test_demo_json_matches_schema(demo: Demo) -> None:
    data = validate("demo", demo.output)
    assert data["ingest"]["rejected"] == 7  # the demo's deliberate bad rows
    assert [r["definition"] for r in data["compare"]] == [d.stamp() for d in presets()]
    assert data["report"]["definition"] == resolve("ndr").stamp()
    assert data["report"] == data["compare"][[d.name for d in presets()].index("ndr")]


def test_demo_table(tmp_path: Path) -> None:
    shown = invoke("demo", "--customers", "10", "--months", "13", "--db", tmp_path / "d.duckdb")
    assert "ndr@1 as of 2024-01 (USD)" in shown.stdout
    for d in presets():
        assert d.ref in shown.stdout
    assert "7 rejected on purpose" in " ".join(shown.stderr.split())
