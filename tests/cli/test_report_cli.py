"""`netretain report` and `compare`: the as-of month, the definition stamp, and the bridge."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from netretain.definitions import load_file, presets, resolve

from .conftest import Demo, assert_clean_error, invoke, invoke_json

MONEY = ("starting_mrr", "ending_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr")


def exact(value: float) -> Decimal:
    return Decimal(str(value))


@pytest.fixture(scope="module")
def ledger_months(demo: Demo) -> list[str]:
    return [m["month"] for m in invoke_json("movements", "--db", demo.db, schema="movements")]


@pytest.fixture(scope="module")
def every_preset(demo: Demo) -> list[dict]:
    """`compare` with no -d: the latest month under every shipped definition."""
    return invoke_json("compare", "--db", demo.db, schema="compare")


def test_default_is_ndr_at_the_latest_month(demo: Demo, ledger_months: list[str]) -> None:
    report = invoke_json("report", "--db", demo.db, schema="report")
    assert report["as_of"] == ledger_months[-1]
    assert report["definition"] == resolve("ndr").stamp()
    assert report["currency"] == "USD"
    # Trailing 12: the window start and every month to as_of.
    assert [m["month"] for m in report["months"]] == ledger_months[-13:]
    assert "message" not in report


@pytest.mark.parametrize("where", ["after", "before"])
def test_as_of_outside_the_ledger_names_its_range(
    demo: Demo, ledger_months: list[str], where: str
) -> None:
    month = "2999-01" if where == "after" else "2019-06"
    result = invoke("report", "--db", demo.db, "--as-of", month, code=1)
    assert_clean_error(
        result,
        month,
        "is in the future: ask for"
        if where == "after"
        else f"is before the ledger's first month, {ledger_months[0]}",
    )


def test_as_of_not_a_month(demo: Demo) -> None:
    result = invoke("report", "--db", demo.db, "--as-of", "2024-13", code=1)
    assert_clean_error(result, "'2024-13' is not a month", "YYYY-MM")


def test_as_of_before_a_full_window_gives_empty_ratios_and_says_why(
    demo: Demo, ledger_months: list[str]
) -> None:
    report = invoke_json("report", "--db", demo.db, "--as-of", ledger_months[5], schema="report")
    assert (report["ndr"], report["gdr"], report["logo_retention"]) == (None, None, None)
    assert report["customers_start"] == 0
    assert "choose a later as-of month" in report["message"]
    assert [m["month"] for m in report["months"]] == ledger_months[:6]
    # The table says the same: dashes for the empty ratios, and why.
    shown = invoke("report", "--db", demo.db, "--as-of", ledger_months[5]).stdout
    assert "—" in shown
    assert report["message"] in " ".join(shown.split())


@pytest.mark.parametrize(
    ("args", "ref"),
    [
        (("--definition", "previous-month"), "previous-month"),
        (("--definition", "ndr@1"), "ndr@1"),
        (("-d", "ndr-lenient"), "ndr-lenient@1"),
    ],
)
def test_definition_is_stamped(demo: Demo, args: tuple[str, ...], ref: str) -> None:
    report = invoke_json("report", "--db", demo.db, *args, schema="report")
    expected = resolve(ref)
    assert report["definition"] == {
        "name": expected.name,
        "version": expected.version,
        "sha256": expected.sha256,
    }
    assert len(report["months"]) == expected.window_months + 1


def test_definition_file_is_stamped(demo: Demo, tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text(
        'name = "acme-ndr"\nversion = 3\nwindow_months = 6\nmin_starting_mrr = 25\n'
        'description = "Our board\'s half-year NDR."\n',
        encoding="utf-8",
    )
    report = invoke_json("report", "--db", demo.db, "--definition-file", path, schema="report")
    mine = load_file(path)
    assert report["definition"] == {"name": "acme-ndr", "version": 3, "sha256": mine.sha256}
    assert mine.sha256 not in {d.sha256 for d in presets()}
    assert len(report["months"]) == 7


def test_a_file_with_ndr_content_has_ndr_hash_and_figures(demo: Demo, tmp_path: Path) -> None:
    # Only the content is hashed: a copy of ndr@1 with other prose is the same definition.
    path = tmp_path / "copy.toml"
    path.write_text(
        'name = "ndr"\nversion = 1\ndescription = "Same knobs, other words."\n', encoding="utf-8"
    )
    from_file = invoke_json("report", "--db", demo.db, "--definition-file", path, schema="report")
    preset = invoke_json("report", "--db", demo.db, "-d", "ndr", schema="report")
    assert from_file["definition"]["sha256"] == resolve("ndr").sha256
    assert from_file == preset


def test_definition_and_file_together_is_an_error(demo: Demo, tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text('name = "x"\nversion = 1\n', encoding="utf-8")
    result = invoke("report", "--db", demo.db, "-d", "ndr", "--definition-file", path, code=1)
    assert_clean_error(result, "not both")


def test_a_bad_definition_file_names_the_problem(demo: Demo, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\nversion = 1\nwindow = 12\n', encoding="utf-8")
    result = invoke("report", "--db", demo.db, "--definition-file", path, code=1)
    assert_clean_error(result, "unknown key(s) window", "window_months")


@pytest.mark.parametrize("command", ["report", "compare", "movements"])
def test_unknown_definition_names_the_known_ones(demo: Demo, command: str) -> None:
    result = invoke(command, "--db", demo.db, "-d", "ndr-strict", code=1)
    message = assert_clean_error(result, "no definition 'ndr-strict'")
    for d in presets():
        assert d.ref in message


def test_compare_two_definitions_same_month(demo: Demo) -> None:
    reports = invoke_json(
        "compare", "--db", demo.db, "-d", "ndr", "-d", "previous-month", schema="compare"
    )
    assert [r["definition"] for r in reports] == [
        resolve("ndr").stamp(),
        resolve("previous-month").stamp(),
    ]
    assert reports[0]["as_of"] == reports[1]["as_of"]
    # Each is exactly the report that definition gives alone.
    assert reports[1] == invoke_json(
        "report", "--db", demo.db, "-d", "previous-month", schema="report"
    )


def test_compare_at_an_as_of(demo: Demo, ledger_months: list[str]) -> None:
    month = ledger_months[-7]
    reports = invoke_json(
        "compare", "--db", demo.db, "--as-of", month, "-d", "ndr", "-d", "ndr@1", schema="compare"
    )
    assert [r["as_of"] for r in reports] == [month, month]
    assert reports[0] == reports[1]


def test_compare_defaults_to_every_preset(every_preset: list[dict]) -> None:
    assert [r["definition"] for r in every_preset] == [d.stamp() for d in presets()]
    assert len({r["as_of"] for r in every_preset}) == 1


@pytest.mark.parametrize("ref", [d.ref for d in presets()])
def test_bridge_ties_exactly(every_preset: list[dict], ref: str) -> None:
    """starting - churned - contraction + expansion == ending, to the cent, for every preset."""
    stamp = resolve(ref).stamp()
    [r] = [r for r in every_preset if r["definition"] == stamp]
    start, end, expansion, contraction, churned = (exact(r[k]) for k in MONEY)
    assert start - churned - contraction + expansion == end
    for key in MONEY:
        assert exact(r[key]).as_tuple().exponent >= -2, (key, r[key])
    assert r["customers_retained"] <= r["customers_start"]
    if resolve(ref).method != "compounded":
        # NDR is the bridge's end over its start (compounded multiplies monthly rates instead).
        assert r["ndr"] == pytest.approx(float(end / start), rel=1e-12)
