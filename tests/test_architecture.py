"""docs/architecture.md is the map of the code: every package it names exists, and every package
and top-level module that exists is named, with the modules it lists under each package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "netretain"
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def tree() -> list[str]:
    """The lines of the tree block, under `src/netretain/`."""
    block = DOC.split("## The tree", 1)[1].split("```", 2)[1]
    lines = block.splitlines()
    start = lines.index("src/netretain/") + 1
    return [line for line in lines[start:] if line.startswith("  ")]


def named_top() -> set[str]:
    """Packages (name/) and modules (name.py) named at the first level of the tree."""
    return {m.group(1) for line in tree() if (m := re.match(r"^  (\w+(?:/|\.py))\s", line + " "))}


def named_modules() -> dict[str, set[str]]:
    """Modules named under each package (at the second level of the tree)."""
    out: dict[str, set[str]] = {}
    package = ""
    for line in tree():
        if m := re.match(r"^  (\w+)/", line):
            package = m.group(1)
            out[package] = set()
        elif m := re.match(r"^    (\w[\w, .()+]*\.py)", line):
            out[package] |= set(re.findall(r"(\w+\.py)", m.group(1)))
    return out


def test_every_package_and_module_at_the_top_is_named_and_exists() -> None:
    existing = {f"{p.name}/" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    existing |= {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    assert named_top() == existing


def test_modules_named_under_a_package_exist() -> None:
    for package, modules in named_modules().items():
        for module in modules:
            assert (PACKAGE / package / module).exists(), f"{package}/{module}"


def test_the_layers_drawn_are_the_layers_enforced() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [layers] = [
        c["layers"] for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"
    ]
    enforced = [
        sorted(n.strip().removeprefix("netretain.") for n in layer.split("|")) for layer in layers
    ]
    drawing = DOC.split("```", 2)[1].strip().splitlines()
    drawn = [
        sorted(n.removesuffix("/").removesuffix(".py") for n in line.split()[1:])
        for line in drawing
    ]
    assert drawn == enforced
