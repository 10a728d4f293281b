"""Each benchmark module owns one section of results.md: a run replaces its own section only."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import report


def test_a_section_is_found_by_its_whole_heading_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results.md"
    results.write_text(
        "# results\n\n## Incremental months (by hand)\n\nkept\n\n## Incremental month\n\nold\n\n"
        "## Spark\n\nspark\n"
    )
    monkeypatch.setattr(report, "RESULTS", results)
    report.replace_section("## Incremental month", "## Incremental month\n\nnew\n")
    assert results.read_text() == (
        "# results\n\n## Incremental months (by hand)\n\nkept\n\n## Incremental month\n\nnew\n\n"
        "## Spark\n\nspark\n"
    )
