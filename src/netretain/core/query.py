"""How core and analysis ask for figures without running anything: expressions, and what to make
of their rows. The service layer (netretain.ledger) runs them on a store; a `finish` may ask again.

    >>> Query({"rows": table.filter(table.as_of_index == 600)}, lambda r: len(r["rows"]))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import ibis.expr.types as ir

T = TypeVar("T")
U = TypeVar("U")
Row = dict[str, Any]
Rows = Mapping[str, list[Row]]


@dataclass(frozen=True)
class Query(Generic[T]):
    """Named expressions whose (small) results `finish` turns into a record or a further Query."""

    exprs: Mapping[str, ir.Expr]
    finish: Callable[[Rows], T | Query[T]]

    @classmethod
    def one(cls, expr: ir.Expr, finish: Callable[[list[Row]], T | Query[T]]) -> Query[T]:
        """A query of one expression whose rows go to `finish`."""
        return cls({"rows": expr}, lambda rows: finish(rows["rows"]))

    @classmethod
    def done(cls, value: T) -> Query[T]:
        """A query that needs no expression: its answer is known already."""
        return cls({}, lambda _: value)

    def then(self, after: Callable[[T], U | Query[U]]) -> Query[U]:
        """This query's answer passed on to `after`, which may ask again."""

        def finish(rows: Rows) -> U | Query[U]:
            out = self.finish(rows)
            if isinstance(out, Query):
                return out.then(after)
            return after(out)

        return Query(self.exprs, finish)


def gather(queries: Mapping[str, Query[Any]]) -> Query[dict[str, Any]]:
    """Several queries as one: their expressions run together, their answers by name."""
    exprs = {f"{name}.{key}": e for name, q in queries.items() for key, e in q.exprs.items()}

    def finish(rows: Rows) -> dict[str, Any] | Query[dict[str, Any]]:
        answers: dict[str, Any] = {}
        pending: dict[str, Query[Any]] = {}
        for name, q in queries.items():
            own = {key: rows[f"{name}.{key}"] for key in q.exprs}
            out = q.finish(own)
            if isinstance(out, Query):
                pending[name] = out
            else:
                answers[name] = out
        if not pending:
            return answers
        return gather({**{n: Query.done(a) for n, a in answers.items()}, **pending})

    return Query(exprs, finish)
