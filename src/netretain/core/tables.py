"""Small literal tables, built through Arrow so every engine receives exact types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa


def literal_table(columns: Mapping[str, Sequence[Any]], schema: Mapping[str, str]) -> ir.Table:
    """An in-memory table with the given columns and Ibis types (empty lists give no rows)."""
    ibis_schema = ibis.schema(dict(schema))
    arrow_schema = ibis_schema.to_pyarrow()
    arrays = [
        pa.array(list(columns.get(name, [])), type=arrow_schema.field(name).type)
        for name in ibis_schema.names
    ]
    return ibis.memtable(pa.Table.from_arrays(arrays, schema=arrow_schema))


def empty_table(schema: Mapping[str, Any]) -> ir.Table:
    """A table with these columns and no rows."""
    return literal_table(
        {}, {k: str(v) if not isinstance(v, str) else v for k, v in schema.items()}
    )
