"""A month past the data on every engine (issue 10, item 1): the renewals example hand-computed,
and the demo company past its horizon equal to DuckDB's to the cent."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from netretain import Ledger
from netretain.core.arith import month_label, parse_month
from tests.conftest import Inputs
from tests.core.test_as_of import annual_rows
from tests.engines.conftest import ENGINES
from tests.engines.test_parity import same


@pytest.mark.parametrize("engine", ["duckdb", *ENGINES])
def test_renewals_reported_in_june(
    engine: str, new_store: Callable[[str], Any], tmp_path: Path
) -> None:
    ledger = Ledger(store=new_store(engine))
    ledger.ingest(subscriptions=Inputs(tmp_path).subscriptions(annual_rows()))
    report = ledger.report("2025-06")
    assert (report.starting_mrr, report.ending_mrr) == (Decimal("10000.00"), Decimal("10500.00"))
    assert (report.ndr, report.gdr, report.logo_retention) == (1.05, 0.95, 0.95)
    assert len(report.warnings) == 1
    june = ledger.movements("2025-06", "2025-06")[0]
    assert (june.mrr, june.customers, june.net_new) == (Decimal("10500.00"), 95, 0)


@pytest.mark.parametrize("engine", ENGINES)
def test_past_the_horizon_equals_duckdb(ledgers: dict[str, Ledger], engine: str) -> None:
    reference, other = ledgers["duckdb"], ledgers[engine]
    first, last = reference.months
    later = month_label(parse_month(last) + 4)
    same(reference.report(later).to_dict(), other.report(later).to_dict(), f"{engine} report")
    expected = [m.to_dict() for m in reference.movements(last, later)]
    same(expected, [m.to_dict() for m in other.movements(last, later)], f"{engine} movements")
    # the months the data covers read the same through the extension as from the stored tables
    stored = [m.to_dict() for m in reference.movements(first, last)]
    extended = [m.to_dict() for m in reference.movements(first, later)][: len(stored)]
    assert stored == extended
