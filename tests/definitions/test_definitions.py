"""Definitions as data (issue 3): load and validate, hash, resolve, diff."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from netretain import Definition, DefinitionError
from netretain.definitions import (
    DEFAULT_REF,
    canonical_json,
    default,
    diff,
    from_mapping,
    from_options,
    load_file,
    presets,
    resolve,
)

NDR_1_JSON = (
    '{"account_level":"customer","fx":"actual","gap_tolerance_days":0,"gdr_cap":"customer",'
    '"method":"cohort","min_starting_mrr":"0","name":"ndr","reactivation_window_months":null,'
    '"revenue":["subscription","usage"],"version":1,"window_months":12}'
)
NDR_1_SHA256 = "209434295e17e1bcb728cd5d55038e6d3c558f25008904ad35060ede2cb13fd2"

BOARD_TOML = """\
name = "board-ndr"
version = 2
description = "NDR as our board deck reports it."
source = "Finance team, FY26 board pack."
method = "cohort"
window_months = 12
revenue = ["subscription", "usage"]
fx = "constant"
reactivation_window_months = 3
gap_tolerance_days = 15
min_starting_mrr = 50
gdr_cap = "customer"
account_level = "customer"
"""


def write(tmp_path: Path, text: str, name: str = "definition.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# presets and the default -------------------------------------------------------------------------


def test_presets_are_shipped_sorted_by_name_and_version() -> None:
    assert [d.ref for d in presets()] == [
        "compounded-monthly@1",
        "movements-12@1",
        "ndr@1",
        "ndr-constant-fx@1",
        "ndr-lenient@1",
        "previous-month@1",
    ]


def test_default_is_ndr_1_with_the_documented_knobs() -> None:
    d = default()
    assert DEFAULT_REF == "ndr@1"
    assert d == Definition(name="ndr", version=1)
    assert (d.method, d.window_months, d.revenue, d.fx) == (
        "cohort",
        12,
        ("subscription", "usage"),
        "actual",
    )
    assert (d.reactivation_window_months, d.gap_tolerance_days, d.min_starting_mrr) == (
        None,
        0,
        Decimal("0"),
    )
    assert (d.gdr_cap, d.account_level) == ("customer", "customer")


@pytest.mark.parametrize(
    ("ref", "knobs"),
    [
        ("previous-month@1", {"window_months": 1}),
        ("compounded-monthly@1", {"method": "compounded"}),
        ("movements-12@1", {"method": "movements"}),
        ("ndr-constant-fx@1", {"fx": "constant"}),
        (
            "ndr-lenient@1",
            {
                "reactivation_window_months": 3,
                "gap_tolerance_days": 15,
                "min_starting_mrr": Decimal("50"),
            },
        ),
    ],
)
def test_each_preset_differs_from_ndr_1_only_in_its_knobs(ref: str, knobs: dict[str, Any]) -> None:
    preset = resolve(ref)
    expected = Definition(name=preset.name, version=1, **knobs)
    assert preset == expected
    assert preset.sha256 == expected.sha256
    assert preset.description and preset.source


# hashing -----------------------------------------------------------------------------------------


def test_sha256_is_of_the_canonical_json_of_the_content() -> None:
    d = resolve("ndr@1")
    assert canonical_json(d.content()) == NDR_1_JSON
    assert d.sha256 == hashlib.sha256(NDR_1_JSON.encode()).hexdigest() == NDR_1_SHA256
    assert d.stamp() == {"name": "ndr", "version": 1, "sha256": NDR_1_SHA256}


def test_sha256_ignores_description_and_source() -> None:
    d = resolve("ndr@1")
    edited = from_mapping({**d.to_dict(), "description": "another text", "source": "elsewhere"})
    assert edited.sha256 == d.sha256
    assert edited == d


@pytest.mark.parametrize(
    ("knob", "value"),
    [
        ("name", "ndr-copy"),
        ("version", 2),
        ("method", "movements"),
        ("window_months", 6),
        ("revenue", ["usage"]),
        ("fx", "constant"),
        ("reactivation_window_months", 3),
        ("gap_tolerance_days", 1),
        ("min_starting_mrr", "0.01"),
        ("gdr_cap", "aggregate"),
        ("account_level", "parent"),
    ],
)
def test_sha256_changes_when_any_content_changes(knob: str, value: object) -> None:
    d = resolve("ndr@1")
    changed = from_mapping({**d.to_dict(), knob: value})
    assert changed.sha256 != d.sha256


@pytest.mark.parametrize(
    "spelling",
    [
        {"revenue": ["usage", "subscription"]},
        {"min_starting_mrr": 50.0},
        {"min_starting_mrr": "50.00"},
        {"min_starting_mrr": "5E+1"},
    ],
)
def test_sha256_is_of_normalised_content(spelling: dict[str, Any]) -> None:
    # The same figures spelt differently: revenue in another order, 50 as 50.0 or "50.00".
    given = {
        "name": "x",
        "version": 1,
        "revenue": ["subscription", "usage"],
        "min_starting_mrr": 50,
    }
    reference, spelt = from_mapping(given), from_mapping(given | spelling)
    assert spelt.sha256 == reference.sha256
    assert spelt.content() == reference.content()


def test_sha256_is_stable_across_loads(tmp_path: Path) -> None:
    first = load_file(write(tmp_path, BOARD_TOML))
    second = load_file(write(tmp_path, BOARD_TOML, "copy.toml"))
    assert first.sha256 == second.sha256
    assert first.sha256 == hashlib.sha256(canonical_json(first.content()).encode()).hexdigest()


def test_definitions_are_frozen_and_hashable() -> None:
    d = resolve("ndr@1")
    with pytest.raises(AttributeError):
        d.window_months = 6  # type: ignore[misc]
    assert {d: "default"}[resolve("ndr")] == "default"


# loading and validating --------------------------------------------------------------------------


def test_load_file_reads_every_knob(tmp_path: Path) -> None:
    d = load_file(write(tmp_path, BOARD_TOML))
    assert d.ref == "board-ndr@2"
    assert d.content() == {
        "name": "board-ndr",
        "version": 2,
        "method": "cohort",
        "window_months": 12,
        "revenue": ["subscription", "usage"],
        "fx": "constant",
        "reactivation_window_months": 3,
        "gap_tolerance_days": 15,
        "min_starting_mrr": "50",
        "gdr_cap": "customer",
        "account_level": "customer",
    }
    assert d.description == "NDR as our board deck reports it."


def test_unspecified_knobs_take_ndr_1_values(tmp_path: Path) -> None:
    d = load_file(write(tmp_path, 'name = "mine"\nversion = 1\nwindow_months = 3\n'))
    assert d == Definition(name="mine", version=1, window_months=3)


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\nversion = 1\nwindow = 12\n')
    with pytest.raises(DefinitionError, match=r"unknown key\(s\) window;"):
        load_file(path)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('method = "median"', "method must be one of cohort, compounded, movements"),
        ("window_months = 0", "window_months must be a whole number >= 1"),
        ('window_months = "12"', "window_months must be a whole number >= 1"),
        ("window_months = 1.5", "window_months must be a whole number >= 1"),
        ("window_months = true", "window_months must be a whole number >= 1"),
        ("revenue = []", "revenue must list some of subscription, usage"),
        ('revenue = ["one_time"]', "revenue must list some of subscription, usage"),
        ('fx = "spot"', "fx must be one of actual, constant"),
        ("reactivation_window_months = 0", "reactivation_window_months must be a whole number"),
        ("gap_tolerance_days = -1", "gap_tolerance_days must be a whole number >= 0"),
        ("gap_tolerance_days = false", "gap_tolerance_days must be a whole number >= 0"),
        ("min_starting_mrr = -5", "min_starting_mrr must be >= 0"),
        ('min_starting_mrr = "lots"', "min_starting_mrr must be a number"),
        ("min_starting_mrr = nan", "min_starting_mrr must be a number"),
        ('gdr_cap = "none"', "gdr_cap must be one of customer, aggregate"),
        ('account_level = "region"', "account_level must be one of customer, parent"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, line: str, problem: str) -> None:
    path = write(tmp_path, f'name = "x"\nversion = 1\n{line}\n')
    with pytest.raises(DefinitionError) as raised:
        load_file(path)
    assert problem in str(raised.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version = 1\n", "'name' is required"),
        ('name = "x"\n', "'version' is required"),
        ('name = "x"\nversion = 0\n', "version must be a whole number >= 1"),
        ('name = ""\nversion = 1\n', "name must be a non-empty string"),
        ('name = "x"\nversion = true\n', "version must be a whole number >= 1"),
    ],
)
def test_name_and_version_are_required(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(DefinitionError, match=problem):
        load_file(write(tmp_path, text))


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "x"\nversion = 1\nfx = "spot"\ngdr_cap = "none"\n')
    with pytest.raises(DefinitionError) as raised:
        load_file(path)
    assert "fx must be one of" in str(raised.value)
    assert "gdr_cap must be one of" in str(raised.value)


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="no such definition file"):
        load_file(tmp_path / "absent.toml")
    with pytest.raises(DefinitionError, match="not valid TOML"):
        load_file(write(tmp_path, "name = \n"))


def test_definition_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        Definition(name="x", version=1, window_months=0)


# resolve -----------------------------------------------------------------------------------------


def test_resolve_name_and_name_at_version() -> None:
    assert resolve("ndr").ref == "ndr@1"
    assert resolve("ndr@1") == resolve("ndr")
    assert resolve("ndr-lenient@1").gap_tolerance_days == 15


@pytest.mark.parametrize("ref", ["ndr@2", "nrr", "ndr@one", "@1"])
def test_resolve_unknown_names_the_known_ones(ref: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        resolve(ref)
    assert repr(ref) in str(raised.value)
    assert "ndr@1" in str(raised.value) and "previous-month@1" in str(raised.value)


def test_from_options(tmp_path: Path) -> None:
    path = write(tmp_path, BOARD_TOML)
    assert from_options() == default()
    assert from_options("previous-month").window_months == 1
    assert from_options(file=str(path)).ref == "board-ndr@2"
    with pytest.raises(DefinitionError, match="not both"):
        from_options("ndr", str(path))


# diff --------------------------------------------------------------------------------------------


def test_diff_lists_every_differing_field_with_both_values() -> None:
    a, b = resolve("ndr@1"), resolve("ndr-constant-fx@1")
    assert diff(a, b) == [
        {"field": "name", "ndr@1": "ndr", "ndr-constant-fx@1": "ndr-constant-fx"},
        {"field": "fx", "ndr@1": "actual", "ndr-constant-fx@1": "constant"},
        {"field": "description", "ndr@1": a.description, "ndr-constant-fx@1": b.description},
        {"field": "source", "ndr@1": a.source, "ndr-constant-fx@1": b.source},
    ]


def test_diff_of_lenient_knobs() -> None:
    rows = diff(resolve("ndr"), resolve("ndr-lenient"))
    knobs = {r["field"]: (r["ndr@1"], r["ndr-lenient@1"]) for r in rows}
    assert knobs == {
        "name": ("ndr", "ndr-lenient"),
        "reactivation_window_months": (None, 3),
        "gap_tolerance_days": (0, 15),
        "min_starting_mrr": ("0", "50"),
        "description": (resolve("ndr").description, resolve("ndr-lenient").description),
        "source": (resolve("ndr").source, resolve("ndr-lenient").source),
    }


def test_diff_of_the_same_definition_is_empty() -> None:
    assert diff(resolve("ndr"), resolve("ndr@1")) == []


def test_diff_of_an_edited_copy_with_the_same_ref_keeps_both_values(tmp_path: Path) -> None:
    preset = resolve("ndr@1")
    edited = load_file(write(tmp_path, 'name = "ndr"\nversion = 1\nwindow_months = 6\n'))
    rows = [r for r in diff(preset, edited) if r["field"] == "window_months"]
    assert rows == [{"field": "window_months", "ndr@1 (a)": 12, "ndr@1 (b)": 6}]
