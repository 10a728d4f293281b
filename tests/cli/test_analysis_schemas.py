"""The analysis commands' published JSON Schemas: every command's real output on the demo ledger
matches its schema (with and without --by), the dynamic attribute keys are exactly the --by names,
and each schema refuses a missing key, a wrong type and a misspelled key."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema.exceptions import ValidationError

from .conftest import SCHEMAS, Demo, invoke_json, registry, validator

ANALYSIS = ("cohorts", "segments", "trend", "bridge", "explain", "behind", "benchmark", "metrics")


@dataclass(frozen=True)
class Case:
    """One analysis command line: its schema, arguments and the attributes its rows carry."""

    schema: str
    args: tuple[str, ...]
    by: tuple[str, ...] = ()


CASES: dict[str, Case] = {
    "cohorts": Case("cohorts", ("cohorts",)),
    "cohorts quarter": Case("cohorts", ("cohorts", "--period", "quarter")),
    "segments by segment": Case("segments", ("segments", "--by", "segment"), ("segment",)),
    "segments by size_band,plan_at_start,region": Case(
        "segments",
        ("segments", "--by", "size_band,plan_at_start,region", "--as-of", "2024-06"),
        ("size_band", "plan_at_start", "region"),
    ),
    "trend": Case("trend", ("trend",)),
    "trend by segment": Case(
        "trend", ("trend", "--by", "segment", "--from", "2024-06"), ("segment",)
    ),
    "bridge": Case("bridge", ("bridge",)),
    "bridge empty cohort": Case("bridge", ("bridge", "--as-of", "2023-06")),
    "bridge by segment,region": Case(
        "bridge", ("bridge", "--by", "segment,region"), ("segment", "region")
    ),
    "explain": Case("explain", ("explain", "--from", "2024-06", "--to", "2024-12"), ("segment",)),
    "explain by size_band,region": Case(
        "explain",
        ("explain", "--from", "2024-06", "--to", "2024-12", "--by", "size_band,region"),
        ("size_band", "region"),
    ),
    "behind": Case("behind", ("behind", "--limit", "20")),
    "behind churned where segment": Case(
        "behind", ("behind", "--change", "churn", "--where", "segment=SMB")
    ),
    "benchmark": Case("benchmark", ("benchmark",)),
    "benchmark by size_band,segment,gtm_motion": Case(
        "benchmark", ("benchmark", "--by", "size_band,segment,gtm_motion")
    ),
    "metrics": Case("metrics", ("metrics",)),
}

# Where attribute values sit: schema -> (pointer to the row schema, the rows of an output).
ATTRIBUTE_ROWS: dict[str, list[tuple[str, Callable[[Any], list[dict[str, Any]]]]]] = {
    "segments": [("$defs/segment", lambda data: data)],
    "trend": [("$defs/segment", lambda data: data)],
    "bridge": [("$defs/bridge", lambda data: data)],
    "explain": [
        ("$defs/segment", lambda data: data["segments"]),
        ("$defs/customer", lambda data: data["customers"]),
    ],
}


@cache
def output(db: Path, case: str) -> str:
    """The case's JSON, validated against its schema; run once (the demo ledger is read only)."""
    spec = CASES[case]
    return json.dumps(invoke_json(*spec.args, "--db", db, schema=spec.schema))


def run(demo: Demo, case: str) -> Any:
    """A fresh copy of the case's JSON output, free to change."""
    return json.loads(output(demo.db, case))


def node(schema: str, pointer: str) -> dict[str, Any]:
    """The part of docs/schemas/<schema>.schema.json at a JSON pointer (without the '#/')."""
    found = registry().contents(f"{schema}.schema.json")
    for part in pointer.split("/"):
        found = found[part]
    return found


def errors(schema: str, data: Any) -> list[str]:
    """Every error message, including those under a oneOf / anyOf that failed as a whole."""

    def messages(error: ValidationError) -> list[str]:
        return [error.message] + [m for sub in error.context or [] for m in messages(sub)]

    return [m for e in validator(schema).iter_errors(data) for m in messages(e)]


def test_every_analysis_command_has_a_schema() -> None:
    assert all((SCHEMAS / f"{name}.schema.json").is_file() for name in ANALYSIS)
    assert {case.schema for case in CASES.values()} == set(ANALYSIS)


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_matches_schema(demo: Demo, case: str) -> None:
    data = run(demo, case)  # invoke_json validates it
    assert data, f"{case}: an empty output says nothing about the shape"
    spec = CASES[case]
    for pointer, rows in ATTRIBUTE_ROWS.get(spec.schema, []):
        fixed = set(node(spec.schema, pointer)["properties"])
        assert rows(data), f"{case}: no rows at {pointer}"
        for row in rows(data):
            assert set(row) - fixed == set(spec.by), f"{case}: attribute keys of {row}"


def test_trend_rows_are_report_rows_and_segments_add_small(demo: Demo) -> None:
    overall = run(demo, "trend")
    segmented = run(demo, "trend by segment")
    assert all("small" not in row for row in overall)
    assert all(isinstance(row["small"], bool) for row in segmented)
    report = node("report", "properties")
    report_only = {"months", "message", "total_mrr", "window", "differences", "warnings"}
    assert set(overall[0]) == set(report) - report_only


@pytest.mark.parametrize("schema", ["segments", "trend", "bridge", "explain"])
def test_attribute_patterns_exclude_exactly_the_fixed_keys(schema: str) -> None:
    """An attribute may have any name but a fixed key's: those are typed by `properties` alone."""
    for pointer, _ in ATTRIBUTE_ROWS[schema]:
        row = node(schema, pointer)
        (pattern,) = row["patternProperties"]
        assert not [key for key in row["properties"] if re.search(pattern, key)], pointer
        for name in ("segment", "size_band", "plan_at_start", "gtm_motion", "ndr_band", "x"):
            assert re.search(pattern, name), (pointer, name)


def pop(*path: Any) -> Callable[[Any], None]:
    """Remove the key at the end of path."""

    def change(data: Any) -> None:
        *parents, key = path
        for part in parents:
            data = data[part]
        del data[key]

    return change


def put(*path: Any, value: Any) -> Callable[[Any], None]:
    """Set (or add) the key at the end of path."""

    def change(data: Any) -> None:
        *parents, key = path
        for part in parents:
            data = data[part]
        data[key] = value

    return change


# name: (case whose real output is changed, the change, what the refusal must say).
BROKEN: dict[str, tuple[str, Callable[[Any], None], str]] = {
    "cohorts: missing ndr": ("cohorts", pop(0, "ndr"), "'ndr' is a required property"),
    "cohorts: null ndr": ("cohorts", put(0, "ndr", value=None), "None is not of type 'number'"),
    "cohorts: gdr above 1": ("cohorts", put(0, "gdr", value=1.2), "greater than the maximum of 1"),
    "cohorts: extra key": ("cohorts", put(0, "nrr", value=1.0), "'nrr' was unexpected"),
    "cohorts: bad label": ("cohorts quarter", put(0, "cohort", value="2024-Q5"), "does not match"),
    "segments: missing small": (
        "segments by segment",
        pop(0, "small"),
        "'small' is a required property",
    ),
    "segments: misspelled numeric key": (
        "segments by segment",
        put(0, "ndrr", value=1.05),
        "1.05 is not of type 'string'",
    ),
    "segments: ratio as text": (
        "segments by segment",
        put(0, "ndr", value="105%"),
        "'105%' is not of type",
    ),
    "segments: null attribute": (
        "segments by segment",
        put(0, "segment", value=None),
        "None is not of type 'string'",
    ),
    "segments: no attribute": (
        "segments by segment",
        pop(0, "segment"),
        "does not have enough properties",
    ),
    "trend: missing definition": ("trend", pop(0, "definition"), "'definition' is a required"),
    "trend: overall row with small": ("trend", put(0, "small", value=False), "'small' was unexp"),
    "trend: misspelled numeric key": (
        "trend by segment",
        put(0, "gdr_", value=0.9),
        "0.9 is not of type 'string'",
    ),
    "trend: segment row without small": (
        "trend by segment",
        pop(0, "small"),
        "'small' is a required property",
    ),
    "trend: count as float": (
        "trend by segment",
        put(0, "customers_start", value=1.5),
        "1.5 is not of type 'integer'",
    ),
    "bridge: missing steps": ("bridge", pop(0, "steps"), "'steps' is a required property"),
    "bridge: logo_retention": (
        "bridge",
        put(0, "logo_retention", value=1.0),
        "1.0 is not of type 'string'",
    ),
    "bridge: positive contraction": (
        "bridge",
        put(0, "steps", 2, "amount", value=5.0),
        "5.0 is greater than the maximum of 0",
    ),
    "bridge: step missing": ("bridge", pop(0, "steps", 4), "is too short"),
    "bridge: numeric attribute": (
        "bridge by segment,region",
        put(0, "region", value=3),
        "3 is not of type 'string'",
    ),
    "explain: missing mix_effect": ("explain", pop("mix_effect"), "'mix_effect' is a required"),
    "explain: extra key": ("explain", put("small", value=True), "'small' was unexpected"),
    "explain: misspelled segment key": (
        "explain",
        put("segments", 0, "ndr_fromm", value=1.0),
        "1.0 is not of type 'string'",
    ),
    "explain: weight above 1": (
        "explain",
        put("segments", 0, "weight_to", value=1.5),
        "1.5 is greater than the maximum of 1",
    ),
    "explain: one vocabulary (churn, not churned)": (
        "explain",
        put("customers", 0, "movement", value="churned"),
        "'churned' is not one of",
    ),
    "behind: missing total": ("behind", pop("total"), "'total' is a required property"),
    "behind: extra key": ("behind", put("limit", value=20), "'limit' was unexpected"),
    "behind: one vocabulary (churn, not churned)": (
        "behind",
        put("customers", 0, "change", value="churned"),
        "'churned' is not one of",
    ),
    "behind: negative amount": (
        "behind",
        put("customers", 0, "amount", value=-1.0),
        "-1.0 is less than the minimum of 0",
    ),
    "behind: bad month": (
        "behind churned where segment",
        put("as_of", value="2024-13"),
        "'2024-13' does not match",
    ),
    "benchmark: missing warnings": ("benchmark", pop("warnings"), "'warnings' is a required"),
    "benchmark: unknown placement": (
        "benchmark",
        put("placements", 0, "placement", value="top"),
        "'top' is not one of",
    ),
    "benchmark: value as text": (
        "benchmark",
        put("placements", 0, "value", value="110%"),
        "'110%' is not of type",
    ),
    "benchmark: extra placement key": (
        "benchmark",
        put("placements", 0, "rank", value=1),
        "'rank' was unexpected",
    ),
    "benchmark: bad stamp": (
        "benchmark",
        put("definition", "sha256", value="abc"),
        "'abc' does not match",
    ),
    "metrics: missing quick_ratio": ("metrics", pop(0, "quick_ratio"), "'quick_ratio' is a"),
    "metrics: extra key": ("metrics", put(0, "ltv", value=1.0), "'ltv' was unexpected"),
    "metrics: arpa as text": (
        "metrics",
        put(0, "arpa", value="1,962.58"),
        "'1,962.58' is not of type 'number'",
    ),
    "metrics: count as float": (
        "metrics",
        put(0, "customers", value=1.5),
        "1.5 is not of type 'integer'",
    ),
    "metrics: negative rate": (
        "metrics",
        put(1, "expansion_rate", value=-0.1),
        "-0.1 is less than the minimum of 0",
    ),
}


def test_every_schema_has_a_negative_case() -> None:
    assert {CASES[case].schema for case, _, _ in BROKEN.values()} == set(ANALYSIS)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_schema_refuses(demo: Demo, name: str) -> None:
    case, change, reason = BROKEN[name]
    schema = CASES[case].schema
    data = run(demo, case)
    assert errors(schema, data) == []
    broken = copy.deepcopy(data)
    change(broken)
    assert broken != data, name
    found = errors(schema, broken)
    assert found, f"{schema}.schema.json accepts {name}"
    assert any(reason in message for message in found), found
