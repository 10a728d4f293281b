"""NDR, GDR and logo retention per segment and per as-of month, from one `retention_table` pass.

A segment is any combination of attributes (see `attributes`); segments with fewer than
`SMALL_SEGMENT` customers at the window start are kept and flagged `small`, never hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import ibis.expr.types as ir

from netretain.analysis.attributes import SMALL_SEGMENT, band_order, enricher, parse_by
from netretain.core import retention
from netretain.core.arith import month_label
from netretain.core.monthly import Sources
from netretain.core.query import Query, Row
from netretain.core.results import Retention, Stamped, stamped_row
from netretain.definitions.model import Definition


def segment_table(
    sources: Sources, definition: Definition, *, by: str | Sequence[str] = ()
) -> ir.Table:
    """Per as-of month and segment: the cohort bridge and NDR, GDR, logo retention (all months)."""
    attrs = parse_by(by)
    return retention.retention_table(
        sources, definition, by=list(attrs), enrich=enricher(sources, definition, attrs)
    )


def segment_row(row: dict[str, Any], by: Sequence[str]) -> dict[str, Any]:
    """One segment as plain values: attributes, the retention figures, and the `small` flag."""
    retention = Retention.from_row(row)
    return {
        **{name: row.get(name) for name in by},
        **retention.to_dict(),
        "small": retention.customers_start < SMALL_SEGMENT,
    }


def sort_key(row: dict[str, Any], by: Sequence[str]) -> tuple[Any, ...]:
    """Segments in attribute order; size bands in band order rather than alphabetically."""
    return tuple(
        (band_order(row[name]), "") if name == "size_band" else (0, str(row[name])) for name in by
    )


@dataclass(frozen=True)
class SegmentTable(Stamped):
    """Retention per segment at one as-of month, stamped with its definition."""

    as_of: str
    by: tuple[str, ...]
    rows: list[dict[str, Any]] = field(metadata={"key": "segments"})
    LEAD: ClassVar[tuple[str, ...]] = ("as_of", "by")


def segments(
    sources: Sources,
    definition: Definition,
    *,
    by: str | Sequence[str],
    as_of: int,
) -> Query[SegmentTable]:
    """Retention per segment at `as_of`.

    >>> segments(sources, default(), by="segment,region", as_of=parse_month("2025-12"))
    """
    attrs = parse_by(by)
    table = segment_table(sources, definition, by=attrs)

    stamp = definition.stamp()

    def finish(rows: list[Row]) -> SegmentTable:
        found = sorted((segment_row(r, attrs) for r in rows), key=lambda r: sort_key(r, attrs))
        out = [stamped_row(r, attrs, stamp, sources.currency) for r in found]
        return SegmentTable(
            as_of=month_label(as_of),
            by=attrs,
            definition=stamp,
            currency=sources.currency,
            rows=out,
        )

    return Query.one(table.filter(table.as_of_index == as_of), finish)


def trend(
    sources: Sources,
    definition: Definition,
    *,
    by: str | Sequence[str] = (),
    first: int | None = None,
    last: int | None = None,
) -> Query[list[dict[str, Any]]]:
    """NDR, GDR and logo retention for every as-of month in [first, last], overall or per segment.

    Months whose window start has no paying customers have no row.
    """
    attrs = parse_by(by)
    table = segment_table(sources, definition, by=attrs)
    if first is not None:
        table = table.filter(table.as_of_index >= first)
    if last is not None:
        table = table.filter(table.as_of_index <= last)
    stamp = definition.stamp()

    def finish(rows: list[Row]) -> list[dict[str, Any]]:
        rows = sorted(rows, key=lambda r: (r["as_of_index"], sort_key(r, attrs)))
        out = []
        for row in rows:
            values = {"as_of": month_label(row["as_of_index"]), **segment_row(row, attrs)}
            if not attrs:
                values.pop("small")
            out.append(stamped_row(values, ("as_of", *attrs), stamp, sources.currency))
        return out

    return Query.one(table, finish)
