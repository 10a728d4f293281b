"""An ingest of one more month rebuilds from that month on every engine, through the store's
`replace_from`, and leaves what one ingest of all the rows leaves (issue 16 item 4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from netretain import Ledger
from netretain.core.tables import literal_table
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


@pytest.mark.parametrize("engine", ["duckdb", *ENGINES])
def test_replace_from_deletes_from_a_month_on_and_adds_rows(
    engine: str, new_store: Callable[[str], Any]
) -> None:
    """Rows of month 2 on go, the given rows (of any month) come; a failed transaction keeps
    the table as it was."""
    store = new_store(engine)
    schema = {"month_index": "int64", "v": "string"}
    store.replace("t", literal_table({"month_index": [0, 1, 2, 3], "v": list("abcd")}, schema))
    with store.transaction():
        store.replace_from(
            "t", "month_index", 2, literal_table({"month_index": [1, 5], "v": ["x", "y"]}, schema)
        )
    assert rows(store) == [(0, "a"), (1, "b"), (1, "x"), (5, "y")]
    with pytest.raises(RuntimeError), store.transaction():
        store.replace_from(
            "t", "month_index", 0, literal_table({"month_index": [9], "v": ["z"]}, schema)
        )
        raise RuntimeError("a failure after the write")
    assert rows(store) == [(0, "a"), (1, "b"), (1, "x"), (5, "y")]


def rows(store: Any) -> list[tuple[int, str]]:
    return sorted((r["month_index"], r["v"]) for r in store.to_arrow(store.table("t")).to_pylist())
