"""The README's commands work as written after `make demo` (issue 10, item 5)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from .conftest import invoke

ROOT = Path(__file__).resolve().parents[2]


def demo_commands() -> list[list[str]]:
    """The `netretain ...` lines of the README block that follows `make demo`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"ask the demo ledger anything:\n\n```console\n(.*?)```", text, re.S)
    assert block, "README.md lost its block of commands for the demo ledger"
    lines = [shlex.split(line, comments=True) for line in block.group(1).splitlines()]
    return [words[1:] for words in lines if words and words[0] == "netretain"]


def test_make_demo_says_how_to_put_netretain_on_the_path() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    demo = makefile[makefile.index("\ndemo:") :].split("\n\n")[0]
    assert "netretain demo --db demo.duckdb" in demo and ". $(BIN)/activate" in demo
    assert ". .venv/bin/activate" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_commands_run_on_the_demo_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = demo_commands()
    assert ["definitions", "show", "ndr"] in commands  # list, show and diff apart
    monkeypatch.chdir(tmp_path)
    # the demo's months (2023-01 .. 2025-12), with fewer customers to keep the test quick
    invoke("demo", "--db", "demo.duckdb", "--customers", "300", "--format", "json")
    for args in commands:
        result = invoke(*args)
        assert "error" not in result.stderr.lower(), (args, result.stderr)
    assert (tmp_path / "rejects.csv").exists()
