"""Assemble a Report: the retention row at one as-of month plus the window's monthly movements."""

from __future__ import annotations

from collections.abc import Sequence

from netretain.core import ledger, metrics
from netretain.core.arith import month_label
from netretain.core.errors import LedgerError
from netretain.core.ledger import MOVEMENTS, Sources
from netretain.core.results import MonthMovements, Report, Retention, money
from netretain.definitions.model import Definition
from netretain.engines.base import Store


def check_month(sources: Sources, as_of: int) -> None:
    """Refuse months outside the ledger, naming its range."""
    if not sources.first_month <= as_of <= sources.horizon:
        raise LedgerError(
            f"{month_label(as_of)} is outside the ledger, which runs from "
            f"{month_label(sources.first_month)} to {month_label(sources.horizon)}"
        )


def month_rows(
    store: Store, sources: Sources, definition: Definition | None, first: int, last: int
) -> list[MonthMovements]:
    """Monthly MRR, customers and movements for every month from first to last (zeros filled)."""
    summary = ledger.monthly_summary(ledger.movements_for(sources, definition))
    summary = summary.filter((summary.month_index >= first) & (summary.month_index <= last))
    rows = {r["month_index"]: r for r in store.to_arrow(summary).to_pylist()}
    out = []
    for index in range(first, last + 1):
        r = rows.get(index, {})
        out.append(
            MonthMovements(
                month=month_label(index),
                mrr=money(r.get("mrr_cents")),
                customers=int(r.get("customers") or 0),
                **{name: money(r.get(name)) for name in MOVEMENTS},
            )
        )
    return out


def build_report(store: Store, sources: Sources, definition: Definition, as_of: int) -> Report:
    """The report at `as_of` under `definition`; an empty cohort gives null ratios and a message."""
    check_month(sources, as_of)
    table = metrics.retention_table(sources, definition)
    row = store.to_arrow(table.filter(table.as_of_index == as_of)).to_pylist()
    start = as_of - definition.window_months
    retention = Retention.from_row(row[0] if row else None)
    message = None
    if not retention.customers_start:
        message = (
            f"no customers were paying in {month_label(start)} (the window start), so the ratios "
            "are empty; choose a later --as-of"
        )
    months = month_rows(store, sources, definition, max(start, sources.first_month), as_of)
    return Report(
        as_of=month_label(as_of),
        definition=definition.stamp(),
        currency=sources.currency,
        retention=retention,
        months=tuple(months),
        message=message,
    )


def compare(
    store: Store, sources: Sources, definitions: Sequence[Definition], as_of: int
) -> list[Report]:
    """The same month under several definitions, side by side."""
    return [build_report(store, sources, d, as_of) for d in definitions]
