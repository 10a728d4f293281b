"""The same demo company gives the same numbers on DuckDB, Spark and PostgreSQL.

Money and counts must be equal to the cent; ratios to 1e-9. DuckDB is the reference.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from netretain import Ledger
from netretain.core import monthly as core_ledger
from netretain.core import retention
from netretain.core.arith import month_label
from netretain.definitions import default, from_mapping, presets
from tests.engines.conftest import ENGINES

RATIOS = {"ndr", "gdr", "logo_retention"}
PRESETS = {f"{d.name}@{d.version}": d for d in presets()}
# Rules no preset uses: parent roll-up, subscription revenue only, a 30-day grace period.
PARENT = from_mapping(
    {"name": "parity-parent", "version": 1, "account_level": "parent",
     "revenue": ["subscription"], "gap_tolerance_days": 30}
)  # fmt: skip


def same(expected: Any, actual: Any, where: str) -> None:
    """Equal values; floats (ratios) within 1e-9; recurses into dicts and lists."""
    if isinstance(expected, dict):
        assert set(expected) == set(actual), where
        for key in expected:
            same(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list | tuple):
        assert len(expected) == len(actual), f"{where}: {len(expected)} vs {len(actual)} rows"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            same(e, a, f"{where}[{i}]")
    elif isinstance(expected, float) and expected is not None:
        assert actual is not None and math.isclose(expected, actual, rel_tol=0, abs_tol=1e-9), (
            f"{where}: {expected!r} vs {actual!r}"
        )
    else:
        assert expected == actual, f"{where}: {expected!r} vs {actual!r}"


def table_rows(ledger: Ledger, expr: Any, keys: list[str]) -> list[dict[str, Any]]:
    """Every row of an expression, sorted by its keys."""
    rows = ledger.execute(expr).to_pylist()
    return sorted(rows, key=lambda r: tuple(r[k] for k in keys))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


def test_the_reference_ledger_is_not_trivial(ledgers: dict[str, Ledger]) -> None:
    reference = ledgers["duckdb"]
    first, last = reference.months
    assert (first, last) >= ("2023-01", "2024-12")
    report = reference.report()
    assert report.customers_start > 100 and report.ndr is not None
    assert (
        report.starting_mrr - report.churn_mrr - report.contraction_mrr + (report.expansion_mrr)
        == report.ending_mrr
    )


def test_customer_month_mrr_is_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    keys = ["customer_id", "month_index"]
    expected = table_rows(ledgers["duckdb"], ledgers["duckdb"].mrr(), keys)
    actual = table_rows(ledgers[engine], ledgers[engine].mrr(), keys)
    assert len(expected) > 3000
    same(expected, actual, f"{engine} mrr")


def test_customer_month_movements_are_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    keys = ["customer_id", "month_index"]
    expected = table_rows(ledgers["duckdb"], ledgers["duckdb"].movement_table(), keys)
    actual = table_rows(ledgers[engine], ledgers[engine].movement_table(), keys)
    same(expected, actual, f"{engine} movements")


def test_monthly_movements_are_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    expected = [m.to_dict() for m in ledgers["duckdb"].movements()]
    actual = [m.to_dict() for m in ledgers[engine].movements()]
    assert len(expected) >= 24
    same(expected, actual, f"{engine} monthly movements")


@pytest.mark.parametrize("ref", sorted(PRESETS))
def test_retention_at_every_month_is_equal(
    ledgers: dict[str, Ledger], engine: str, ref: str
) -> None:
    """Every figure of every as-of month's report (the retention table) under each preset."""
    definition = PRESETS[ref]

    def figures(ledger: Ledger) -> list[dict[str, Any]]:
        table = retention.retention_table(ledger.sources, definition)
        return table_rows(ledger, table, ["as_of_index"])

    expected = figures(ledgers["duckdb"])
    assert len(expected) >= 6
    same(expected, figures(ledgers[engine]), f"{engine} {ref}")


def test_reports_are_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    """Whole reports (figures, window movements, message) at several months and definitions."""
    reference = ledgers["duckdb"]
    last = reference.sources.horizon
    cases = [(month_label(last - k), default()) for k in (0, 3, 7)]
    cases += [(month_label(last), PRESETS["ndr-lenient@1"]), (month_label(last - 1), PARENT)]
    for as_of, definition in cases:
        expected = reference.report(as_of, definition).to_dict()
        actual = ledgers[engine].report(as_of, definition).to_dict()
        same(expected, actual, f"{engine} {as_of} {definition.name}")


def test_definition_ledgers_are_equal(ledgers: dict[str, Ledger], engine: str) -> None:
    """Ledger rules that differ from the stored default (gap bridging, parent roll-up)."""
    for definition in [*PRESETS.values(), PARENT]:
        if core_ledger.default_rules(definition):
            continue
        keys = ["customer_id", "month_index"]
        expected = table_rows(ledgers["duckdb"], ledgers["duckdb"].mrr(definition), keys)
        actual = table_rows(ledgers[engine], ledgers[engine].mrr(definition), keys)
        same(expected, actual, f"{engine} mrr under {definition.name}")


def test_customer_exports_are_equal(ledgers: dict[str, Ledger], engine: str, tmp_path) -> None:
    """The export streams from each engine (Spark a partition at a time) to the same CSV bytes."""
    files = {}
    for name in ("duckdb", engine):
        files[name] = tmp_path / f"{name}.csv"
        assert ledgers[name].export_customers(files[name], movement="churn") > 20
    assert files[engine].read_bytes() == files["duckdb"].read_bytes()
