"""Run what core and analysis ask for: a Query's expressions on a store, then its `finish`."""

from __future__ import annotations

from typing import Any, TypeVar

import ibis.expr.types as ir

from netretain.core.query import Query, Row
from netretain.store import Store

T = TypeVar("T")


def run(store: Store, query: Query[T]) -> T:
    """Execute every expression (small results only) and finish, until an answer comes back."""
    step: Query[T] | T = query
    while isinstance(step, Query):
        rows = {name: store.to_arrow(expr).to_pylist() for name, expr in step.exprs.items()}
        step = step.finish(rows)
    return step


def first_row(store: Store, expr: ir.Table) -> dict[str, Any]:
    """The first row of a one-row result (an aggregate)."""
    rows: list[Row] = store.to_arrow(expr).to_pylist()
    return rows[0]


def count(store: Store, expr: ir.Table) -> int:
    """How many rows an expression has."""
    return int(first_row(store, expr.count().name("n").as_table())["n"])
