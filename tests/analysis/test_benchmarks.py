"""Benchmark figures load with their sources, and placements follow the published values."""

from __future__ import annotations

import pytest

from netretain.analysis import Benchmark, load
from netretain.errors import LedgerError


def test_shipped_figures_name_their_source_and_year():
    figures = load()
    assert figures
    for b in figures:
        assert b.source and 2015 <= b.year <= 2030 and b.metric in ("ndr", "gdr")
        assert b.median is not None or b.range_low is not None or b.range_high is not None
        assert b.dimension == "overall" or b.match
    overall = [b for b in figures if b.dimension == "overall" and b.metric == "ndr"]
    assert all(1.0 <= b.median <= 1.06 for b in overall)


def test_placement():
    b = Benchmark("ndr", "overall", "all", "Survey", 2023, median=1.02, top_quartile=1.10)
    assert [b.place(v) for v in (0.95, 1.02, 1.09, 1.10, None)] == [
        "below median",
        "above median",
        "above median",
        "top quartile",
        "no data",
    ]
    r = Benchmark("gdr", "segment", "SMB", "Survey", 2019, range_low=0.7, range_high=0.8)
    assert [r.place(v) for v in (0.6, 0.75, 0.9)] == ["below range", "within range", "above range"]
    assert Benchmark("ndr", "segment", "SMB", "S", 2019, match=("smb",)).matches(" SMB ")


def test_company_against_figures(tiny, tmp_path):
    own = tmp_path / "own.toml"
    own.write_text(
        '[[benchmark]]\nmetric = "ndr"\ndimension = "segment"\ngroup = "SMB peers"\n'
        'match = ["smb"]\nmedian = 0.5\nsource = "our board"\nyear = 2024\n'
    )
    result = tiny.benchmark("2025-01", by="segment,region", benchmarks_file=own)
    rows = {(r["scope"], r["segment"], r["metric"]): r for r in result.rows}
    smb = rows[("segment", "SMB", "ndr")]
    assert (smb["placement"], smb["median"], smb["small"]) == ("below median", 0.5, True)
    assert rows[("segment", "Enterprise", "ndr")]["placement"] == "no published benchmark"
    assert rows[("region", "NA", "gdr")]["benchmark"] is None
    shipped = tiny.benchmark("2025-01")
    overall = [r for r in shipped.rows if r["scope"] == "overall" and r["metric"] == "ndr"]
    assert overall and overall[0]["value"] == pytest.approx(2200 / 2100)
    assert overall[0]["comparable"] is False  # a $26k ARR company is below the survey's floor


def test_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[benchmark]]\nmetric = "arr"\n')
    with pytest.raises(LedgerError, match="metric must be ndr or gdr"):
        load(bad)
