"""A fresh ledger keeps a file of more than one DuckDB row group (the benchmark found it lost them).

DuckDB 1.4.4 drops an INSERT of 122,880+ rows into a table when an earlier INSERT in the same
transaction added no rows to it; `DuckDBStore` never runs such a 0-row INSERT.
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from netretain.core.tables import empty_table
from netretain.engines.duckdb import DuckDBStore

ROWS = 130_000  # more than one row group


def test_append_after_an_empty_replace_in_one_transaction_keeps_every_row(tmp_path) -> None:
    store = DuckDBStore(tmp_path / "ledger.duckdb")
    big = ibis.memtable(pa.table({"a": pa.array(range(ROWS), pa.int64())}))
    with store.transaction():
        store.replace("t", empty_table({"a": "int64"}))
        store.append("t", empty_table({"a": "int64"}))
        store.append("t", store.temp("_big", big))
        inside = store.to_arrow(store.table("t").count().name("n").as_table())
    after = store.to_arrow(store.table("t").count().name("n").as_table())
    assert inside.column("n")[0].as_py() == ROWS
    assert after.column("n")[0].as_py() == ROWS
