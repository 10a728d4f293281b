"""The docs keep up with the code, as sqlite-utils' and datasette's test_docs.py do: every CLI
command, every definition knob, every shipped preset and every input column is documented."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
import typer

from netretain.cli.app import app
from netretain.definitions import Definition, presets
from netretain.store.inputs import SPECS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def read(path: Path) -> str:
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    return path.read_text(encoding="utf-8")


def all_docs() -> str:
    """README.md and every docs/*.md."""
    return "\n".join(read(p) for p in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))])


def command_paths() -> list[tuple[str, ...]]:
    """Every visible command, walking groups: ("report",), ("definitions", "diff"), ..."""
    found: list[tuple[str, ...]] = []

    def walk(command, path: tuple[str, ...]) -> None:
        children = getattr(command, "commands", {})
        for name, child in sorted(children.items()):
            if getattr(child, "hidden", False):
                continue
            found.append((*path, name))
            walk(child, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def is_mentioned(path: tuple[str, ...], text: str) -> bool:
    """`netretain a b` appears; a subcommand may share its parent's line (`netretain a b | c`)."""
    *parents, name = path
    command = r"netretain\s+" + r"\s+".join(map(re.escape, path)) + r"(?![\w-])"
    if re.search(command, text):
        return True
    if not parents:
        return False
    parent = r"netretain\s+" + r"\s+".join(map(re.escape, parents)) + r"(?![\w-])"
    word = rf"(?<![\w-]){re.escape(name)}(?![\w-])"
    return any(
        re.search(word, line[m.end() :])
        for line in text.splitlines()
        for m in re.finditer(parent, line)
    )


def test_the_command_tree_is_walked() -> None:
    # Guard the walk itself: the core commands and the definitions subcommands are found.
    paths = set(command_paths())
    assert {("report",), ("ingest",), ("definitions",), ("definitions", "diff")} <= paths


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_command_is_documented(path: tuple[str, ...]) -> None:
    documented = is_mentioned(path, all_docs())
    assert documented, f"`netretain {' '.join(path)}` is not mentioned in README.md or docs/*.md"


def is_code(name: str, text: str) -> bool:
    """`name` in backticks, a heading naming it, or a TOML line setting it."""
    token = rf"(?<![\w@-]){re.escape(name)}(?![\w-])"
    return bool(
        re.search(rf"`{re.escape(name)}`", text)
        or re.search(rf"^#+ .*{token}", text, re.MULTILINE)
        or re.search(rf"^{re.escape(name)}\s*=", text, re.MULTILINE)
    )


@pytest.mark.parametrize("knob", [f.name for f in fields(Definition)])
def test_definition_knob_is_documented(knob: str) -> None:
    documented = is_code(knob, read(DOCS / "definitions.md"))
    assert documented, f"definition field `{knob}` is not documented in docs/definitions.md"


@pytest.mark.parametrize("ref", [d.ref for d in presets()])
def test_preset_is_documented(ref: str) -> None:
    named = re.search(rf"(?<![\w-]){re.escape(ref)}(?![\w-])", read(DOCS / "definitions.md"))
    assert named, f"preset {ref} is not named in docs/definitions.md"


def section(text: str, title: str) -> str | None:
    """The part of a markdown text under the heading that names `title`, up to the next heading
    of the same or a higher level."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        heading = re.match(r"^(#+)\s+(.*)$", line)
        if heading and re.search(rf"(?<![\w-]){re.escape(title)}(?![\w-])", heading[2]):
            level = len(heading[1])
            end = next(
                (
                    j
                    for j in range(i + 1, len(lines))
                    if (h := re.match(r"^(#+)\s", lines[j])) and len(h[1]) <= level
                ),
                len(lines),
            )
            return "\n".join(lines[i + 1 : end])
    return None


@pytest.mark.parametrize(
    ("kind", "column"),
    [(kind, column) for kind, spec in SPECS.items() for column in spec.names],
    ids=lambda v: v,
)
def test_input_column_is_documented(kind: str, column: str) -> None:
    part = section(read(DOCS / "data-model.md"), kind)
    assert part is not None, f"docs/data-model.md has no section (heading) for {kind}"
    assert f"`{column}`" in part, (
        f"column `{column}` of {kind} is not documented under its heading in docs/data-model.md"
    )
