"""NDR, GDR and logo retention per segment and per as-of month, from one `retention_table` pass.

A segment is any combination of attributes (see `attributes`); segments with fewer than
`SMALL_SEGMENT` customers at the window start are kept and flagged `small`, never hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir

from netretain.analysis.attributes import SMALL_SEGMENT, band_order, enricher, parse_by
from netretain.core import metrics
from netretain.core.arith import month_label
from netretain.core.ledger import Sources
from netretain.core.results import Retention
from netretain.definitions.model import Definition
from netretain.engines.base import Store


def segment_table(
    sources: Sources, definition: Definition, *, by: str | Sequence[str] = ()
) -> ir.Table:
    """Per as-of month and segment: the cohort bridge and NDR, GDR, logo retention (all months)."""
    attrs = parse_by(by)
    return metrics.retention_table(
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
class SegmentTable:
    """Retention per segment at one as-of month, stamped with its definition."""

    as_of: str
    by: tuple[str, ...]
    definition: dict[str, Any]
    currency: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "by": list(self.by),
            "definition": dict(self.definition),
            "currency": self.currency,
            "segments": self.rows,
        }


def segments(
    store: Store,
    sources: Sources,
    definition: Definition,
    *,
    by: str | Sequence[str],
    as_of: int,
) -> SegmentTable:
    """Retention per segment at `as_of`.

    >>> segments(store, sources, default(), by="segment,region", as_of=parse_month("2025-12"))
    """
    attrs = parse_by(by)
    table = segment_table(sources, definition, by=attrs)
    rows = store.to_arrow(table.filter(table.as_of_index == as_of)).to_pylist()
    out = sorted((segment_row(r, attrs) for r in rows), key=lambda r: sort_key(r, attrs))
    return SegmentTable(month_label(as_of), attrs, definition.stamp(), sources.currency, out)


def trend(
    store: Store,
    sources: Sources,
    definition: Definition,
    *,
    by: str | Sequence[str] = (),
    first: int | None = None,
    last: int | None = None,
) -> list[dict[str, Any]]:
    """NDR, GDR and logo retention for every as-of month in [first, last], overall or per segment.

    Months whose window start has no paying customers have no row.
    """
    attrs = parse_by(by)
    table = segment_table(sources, definition, by=attrs)
    if first is not None:
        table = table.filter(table.as_of_index >= first)
    if last is not None:
        table = table.filter(table.as_of_index <= last)
    rows = store.to_arrow(table).to_pylist()
    rows.sort(key=lambda r: (r["as_of_index"], sort_key(r, attrs)))
    stamp = definition.stamp()
    out = []
    for row in rows:
        values = segment_row(row, attrs)
        if not attrs:
            values.pop("small")
        out.append(
            {
                "as_of": month_label(row["as_of_index"]),
                **{name: values.pop(name) for name in attrs},
                "definition": stamp,
                "currency": sources.currency,
                **values,
            }
        )
    return out
