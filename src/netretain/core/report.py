"""A Report, asked as a Query: the retention row at one as-of month and the window's months."""

from __future__ import annotations

from typing import Any

from netretain.core import monthly, retention
from netretain.core.arith import month_label
from netretain.core.monthly import MOVEMENTS, Sources
from netretain.core.query import Query, Row
from netretain.core.results import MonthMovements, Report, Retention, Window, money
from netretain.definitions.explain import differences, window_text
from netretain.definitions.model import Definition
from netretain.definitions.registry import default
from netretain.errors import NotFoundError


def check_month(sources: Sources, as_of: int) -> None:
    """Refuse months outside the ledger, naming its range."""
    if not sources.first_month <= as_of <= sources.horizon:
        raise NotFoundError(
            f"{month_label(as_of)} is outside the ledger, which runs from "
            f"{month_label(sources.first_month)} to {month_label(sources.horizon)}"
        )


def month_rows(
    sources: Sources, definition: Definition | None, first: int, last: int
) -> Query[list[MonthMovements]]:
    """Monthly MRR, customers and movements for every month from first to last (zeros filled)."""
    summary = monthly.monthly_summary(monthly.movements_for(sources, definition))
    summary = summary.filter((summary.month_index >= first) & (summary.month_index <= last))
    return Query.one(summary, lambda rows: fill_months(rows, first, last))


def fill_months(rows: list[Row], first: int, last: int) -> list[MonthMovements]:
    """One MonthMovements per month from first to last; a month without rows is all zeros."""
    found = {r["month_index"]: r for r in rows}
    return [month_movements(index, found.get(index, {})) for index in range(first, last + 1)]


def month_movements(index: int, r: dict[str, Any]) -> MonthMovements:
    """A `monthly_summary` row as a MonthMovements record."""
    amounts: dict[str, Any] = {name: money(r.get(name)) for name in MOVEMENTS}
    counts: dict[str, Any] = {
        f"{name}_customers": int(r.get(f"{name}_customers") or 0) for name in MOVEMENTS
    }
    return MonthMovements(
        month=month_label(index),
        mrr=money(r.get("mrr_cents")),
        customers=int(r.get("customers") or 0),
        **amounts,
        **counts,
    )


def build_report(sources: Sources, definition: Definition, as_of: int) -> Query[Report]:
    """The report at `as_of` under `definition`; an empty cohort gives null ratios and a message."""
    check_month(sources, as_of)
    table = retention.retention_table(sources, definition)
    start = as_of - definition.window_months
    months = month_rows(sources, definition, max(start, sources.first_month), as_of)

    def finish(rows: list[Row]) -> Query[Report]:
        found = Retention.from_row(rows[0] if rows else None)
        message = None
        if not found.customers_start:
            message = (
                f"no customers were paying in {month_label(start)} (the window start), so the "
                "ratios are empty; choose a later as-of month"
            )
        return months.then(
            lambda ms: Report(
                as_of=month_label(as_of),
                definition=definition.stamp(),
                currency=sources.currency,
                retention=found,
                window=Window(
                    month_label(start),
                    month_label(as_of),
                    definition.window_months,
                    window_text(definition),
                ),
                total_mrr=ms[-1].mrr if ms else money(0),
                differences=tuple(differences(definition, default())),
                months=tuple(ms),
                message=message,
            )
        )

    return Query.one(table.filter(table.as_of_index == as_of), finish)
