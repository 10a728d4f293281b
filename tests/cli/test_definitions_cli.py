"""`netretain definitions list | show | diff`: the shipped definitions, as data."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from netretain.definitions import Definition, load_file, presets, resolve

from .conftest import assert_clean_error, invoke, invoke_json

# The knobs ndr-lenient@1 turns, by design, and their values there.
LENIENT = {"reactivation_window_months": 3, "gap_tolerance_days": 15, "min_starting_mrr": "50"}
TEXT = ("name", "version", "description", "source")  # who a definition is, and its prose


def test_list_is_every_preset_with_its_hash() -> None:
    rows = invoke_json("definitions", "list", schema="definitions-list")
    assert [(r["name"], r["version"], r["sha256"]) for r in rows] == [
        (d.name, d.version, d.sha256) for d in presets()
    ]
    assert {r["name"] for r in rows} >= {"ndr", "ndr-lenient", "previous-month"}


@pytest.mark.parametrize("ref", [d.ref for d in presets()])
def test_show_every_preset(ref: str) -> None:
    data = invoke_json("definitions", "show", ref, schema="definition")
    d = resolve(ref)
    assert data["sha256"] == d.sha256
    assert {k: v for k, v in data.items() if k != "sha256"} == {
        **d.to_dict(),
        "revenue": sorted(d.revenue),
    }


def test_show_a_file(tmp_path: Path) -> None:
    path = tmp_path / "half-year.toml"
    path.write_text('name = "half-year"\nversion = 2\nwindow_months = 6\n', encoding="utf-8")
    data = invoke_json("definitions", "show", path, schema="definition")
    assert (data["name"], data["version"], data["window_months"]) == ("half-year", 2, 6)
    assert data["sha256"] == load_file(path).sha256
    shown = invoke("definitions", "show", path).stdout
    assert "half-year@2" in shown and data["sha256"] in shown


def test_show_unknown_names_the_known_ones() -> None:
    message = assert_clean_error(
        invoke("definitions", "show", "nrr", code=1), "no definition 'nrr'"
    )
    for d in presets():
        assert d.ref in message


def test_diff_lists_exactly_the_differing_knobs() -> None:
    rows = invoke_json("definitions", "diff", "ndr", "ndr-lenient", schema="definitions-diff")
    by_field = {r["field"]: r for r in rows}
    knobs = {f for f in by_field if f not in TEXT}
    assert knobs == set(LENIENT)
    for knob, value in LENIENT.items():
        assert by_field[knob]["ndr-lenient@1"] == value
        assert by_field[knob]["ndr@1"] == resolve("ndr").to_dict()[knob]
    # Exactly: every field that differs is listed, and none that is equal.
    a, b = resolve("ndr"), resolve("ndr-lenient")
    assert set(by_field) == {
        f.name for f in fields(Definition) if getattr(a, f.name) != getattr(b, f.name)
    }


def test_diff_of_equal_contents_is_empty() -> None:
    assert invoke_json("definitions", "diff", "ndr", "ndr@1", schema="definitions-diff") == []
    assert "same content" in invoke("definitions", "diff", "ndr", "ndr@1").stdout


def test_diff_a_preset_and_an_edited_copy(tmp_path: Path) -> None:
    # Both are ndr@1: each side keeps its own value, labelled apart.
    path = tmp_path / "ndr.toml"
    path.write_text('name = "ndr"\nversion = 1\nwindow_months = 6\n', encoding="utf-8")
    rows = invoke_json("definitions", "diff", "ndr", path, schema="definitions-diff")
    by_field = {r["field"]: r for r in rows}
    assert by_field["window_months"] == {
        "field": "window_months",
        "ndr@1 (a)": 12,
        "ndr@1 (b)": 6,
    }
    assert {f for f in by_field if f not in TEXT} == {"window_months"}


def test_diff_unknown_definition() -> None:
    result = invoke("definitions", "diff", "ndr", "nope", code=1)
    assert_clean_error(result, "no definition 'nope'", "ndr-lenient@1")


def test_definitions_without_a_subcommand_shows_help() -> None:
    shown = invoke("definitions", code=2).output
    assert all(name in shown for name in ("list", "show", "diff"))
