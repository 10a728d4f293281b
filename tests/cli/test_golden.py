"""Every command's JSON on the demo company, kept as golden files in tests/golden/.

A change of any figure, key or shape fails here. To accept an intended change, regenerate with
`NETRETAIN_UPDATE_GOLDEN=1 pytest tests/cli/test_golden.py` and review the diff like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from .conftest import Demo, Small, invoke

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
AS_OF = "2024-12"
LEDGER_COMMANDS: dict[str, list[str]] = {
    "report": ["report"],
    "report-previous-month": ["report", "--as-of", "2024-06", "-d", "previous-month"],
    "movements": ["movements"],
    "customers-churn": [
        "customers",
        "--movement",
        "churn",
        "--month",
        "2024-06",
        "--sort",
        "amount",
    ],
    "customers-one": ["customers", "--customer", "C0000145"],
    "rejects": ["rejects"],
    "compare": ["compare", "--as-of", AS_OF],
    "cohorts": ["cohorts", "--period", "quarter"],
    "segments": ["segments", "--by", "segment,region", "--as-of", AS_OF],
    "trend": ["trend", "--by", "segment", "--from", "2024-06"],
    "bridge": ["bridge", "--as-of", AS_OF, "--by", "segment"],
    "explain": ["explain", "--from", "2024-06", "--to", AS_OF, "--top", "3"],
    "behind": ["behind", "--as-of", AS_OF, "--change", "churn", "--limit", "5"],
    "benchmark": ["benchmark", "--as-of", AS_OF, "--by", "size_band,segment"],
    "metrics": ["metrics", "--from", "2024-01", "--to", AS_OF],
    "forecast": ["forecast", "--as-of", AS_OF, "--paths", "200"],
    "curves": ["curves", "--by", "segment"],
    "alerts": ["alerts"],
    "offers": ["offers"],
    "offers-upgrade": ["offers", "upgrade", "--as-of", AS_OF, "--top", "5"],
    "loyalty": ["loyalty", "--as-of", AS_OF, "--top", "5"],
    "plan-fit": ["plan-fit", "--as-of", AS_OF, "--top", "5"],
}
PLAIN_COMMANDS: dict[str, list[str]] = {
    "definitions-list": ["definitions", "list"],
    "definitions-show": ["definitions", "show", "ndr"],
    "definitions-diff": ["definitions", "diff", "ndr", "ndr-lenient"],
    "rewards-list": ["rewards", "list"],
}


def check(name: str, data: Any, *places: Path) -> None:
    """Compare with tests/golden/NAME.json (temporary folders written as <tmp>)."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    for place in places:
        text = text.replace(str(place), "<tmp>")
    path = GOLDEN / f"{name}.json"
    if os.environ.get("NETRETAIN_UPDATE_GOLDEN"):
        path.write_text(text + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with NETRETAIN_UPDATE_GOLDEN=1"
    assert json.loads(text) == json.loads(path.read_text(encoding="utf-8")), name


@pytest.mark.parametrize("name", sorted(LEDGER_COMMANDS))
def test_ledger_command(demo: Demo, name: str) -> None:
    out = invoke(*LEDGER_COMMANDS[name], "--db", demo.db, "--format", "json").stdout
    check(name, json.loads(out), demo.db.parent)


@pytest.mark.parametrize("name", sorted(PLAIN_COMMANDS))
def test_plain_command(name: str) -> None:
    check(name, json.loads(invoke(*PLAIN_COMMANDS[name], "--format", "json").stdout))


def test_demo(demo: Demo) -> None:
    check("demo", demo.output, demo.db.parent)


def test_ingest(small: Small) -> None:
    check("ingest", small.output, small.db.parent.parent)
