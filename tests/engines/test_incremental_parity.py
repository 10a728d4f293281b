"""An ingest of one more month rebuilds from that month on every engine, through the store's
`replace_from`, and leaves what one ingest of all the rows leaves (issue 16 item 4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netretain import Ledger
from tests.engines.conftest import ENGINES
from tests.ingest.incremental_cases import GAP_RETURN, OPEN_HORIZON, Watch, assert_same


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", [GAP_RETURN, OPEN_HORIZON], ids=["gap-return", "open-horizon"])
def test_one_more_month_equals_one_ingest(
    engine: str, case: Any, new_store: Callable[[str], Any], tmp_path: Path
) -> None:
    def make(watch: Watch) -> Ledger:
        return Ledger(store=new_store(engine), on_ingest=[watch])

    assert assert_same(make, tmp_path, list(case)) == [False, True]
