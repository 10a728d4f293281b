"""The published JSON Schemas: valid draft 2020-12, in step with the library, and strict enough to
fail on an undocumented or missing key."""

from __future__ import annotations

import copy
import json
from dataclasses import fields
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from netretain.definitions import Definition
from netretain.definitions import model as definition_model
from netretain.store.inputs import SPECS

from .conftest import SCHEMAS, Demo, registry, validator

NAMES = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json"))
CORE = {
    "ingest",
    "report",
    "movements",
    "customers",
    "rejects",
    "compare",
    "definitions-list",
    "definition",
}


def load(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def objects(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every object schema (one with `properties`) inside a schema, with where it sits."""
    found = []
    if isinstance(node, dict):
        if "properties" in node:
            found.append((path or "(root)", node))
        for key, value in node.items():
            found += objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += objects(value, f"{path}/{i}")
    return found


def test_every_core_command_has_a_schema() -> None:
    assert set(NAMES) >= CORE


@pytest.mark.parametrize("name", NAMES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema.get("title", "").startswith("netretain ")
    for where, node in objects(schema):
        assert node.get("additionalProperties") is False, f"{name} {where}"
        promised = set(node["properties"]) - {"message"}
        assert set(node.get("required", ())) == promised, f"{name} {where}"


@pytest.mark.parametrize("name", NAMES)
def test_every_ref_resolves(name: str) -> None:
    resolver = registry().resolver()

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["$ref"]] if "$ref" in node else []
            return own + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    found = refs(load(name))
    for ref in found:
        target = f"{name}.schema.json{ref}" if ref.startswith("#") else ref
        assert resolver.lookup(target).contents, ref


def test_enums_follow_the_library() -> None:
    definition = load("definition")["properties"]
    assert set(load("definition")["properties"]) == {f.name for f in fields(Definition)} | {
        "sha256"
    }
    assert set(load("definition")["$defs"]["method"]["enum"]) == set(definition_model.METHODS)
    assert set(definition["fx"]["enum"]) == set(definition_model.FX_MODES)
    assert set(definition["gdr_cap"]["enum"]) == set(definition_model.GDR_CAPS)
    assert set(definition["account_level"]["enum"]) == set(definition_model.ACCOUNT_LEVELS)
    assert set(definition["revenue"]["items"]["enum"]) == set(definition_model.REVENUE_TYPES)
    assert set(load("ingest")["$defs"]["kind"]["enum"]) == set(SPECS)
    diff_fields = load("definitions-diff")["items"]["properties"]["field"]["enum"]
    assert set(diff_fields) == {f.name for f in fields(Definition)}


def errors(name: str, data: Any) -> list[str]:
    return [e.message for e in validator(name).iter_errors(data)]


def test_report_schema_refuses_extra_missing_and_malformed(demo: Demo) -> None:
    report = demo.output["report"]
    assert errors("report", report) == []
    broken: list[tuple[str, Any]] = []
    for change in (
        lambda r: r.update(surprise=1),
        lambda r: r.pop("ndr"),
        lambda r: r["months"][0].update(net_new=0),
        lambda r: r["months"][0].pop("churn"),
        lambda r: r["definition"].update(sha256="abc"),
        lambda r: r["definition"].pop("version"),
        lambda r: r.update(as_of="2024-13"),
        lambda r: r.update(ndr="110%"),
        lambda r: r.update(customers_start=1.5),
    ):
        data = copy.deepcopy(report)
        change(data)
        broken.append((repr(change), errors("report", data)))
    assert all(found for _, found in broken), [b for b, found in broken if not found]
    # The month object is shared: movements and compare refuse the same changes.
    month = copy.deepcopy(report["months"][0]) | {"net_new": 0}
    assert errors("movements", [month])
    assert errors("compare", [report | {"surprise": 1}])
    assert errors("compare", []) and not errors("compare", [report])
    assert errors("demo", demo.output | {"extra": {}})


def test_ingest_schema_refuses_a_reject_without_its_row(demo: Demo) -> None:
    out = copy.deepcopy(demo.output["ingest"])
    assert errors("ingest", out) == []
    out["rejects"][0].pop("row")
    assert errors("ingest", out)
    out = copy.deepcopy(demo.output["ingest"]) | {"warnings": []}
    assert errors("ingest", out)
