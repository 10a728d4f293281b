"""Deliberately broken invoice-line rows, to exercise ingest validation on CSV input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from netretain.synthetic.arrow import INVOICE_LINES_SCHEMA

Row = dict[str, str]


def _bad_amount(row: Row) -> None:
    row["amount"] = "12,5x"


def _bad_date(row: Row) -> None:
    row["invoice_date"] = "2024-13-45"


def _reversed_period(row: Row) -> None:
    row["service_start"], row["service_end"] = row["service_end"], row["service_start"]


def _unknown_type(row: Row) -> None:
    row["type"] = "refund"


def _missing_customer(row: Row) -> None:
    row["customer_id"] = ""


def _unknown_currency(row: Row) -> None:
    row["currency"] = "XYZ"


def _conflicting_duplicate(row: Row) -> None:
    row["amount"] = str(Decimal(row["amount"] or "0") + Decimal("10.00"))


DEFECTS: tuple[Callable[[Row], None], ...] = (
    _bad_amount,
    _bad_date,
    _reversed_period,
    _unknown_type,
    _missing_customer,
    _unknown_currency,
    _conflicting_duplicate,
)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _templates(lines: pa.Table, rng: np.random.Generator, count: int) -> list[Row]:
    """String copies of randomly chosen subscription lines (or a stock row if there are none)."""
    is_recurring = pc.equal(lines.column("type"), "subscription")
    recurring = np.flatnonzero(is_recurring.to_numpy(zero_copy_only=False))
    if len(recurring) == 0:
        stock = dict.fromkeys(INVOICE_LINES_SCHEMA.names, "")
        stock.update(line_id="L000000001", customer_id="C0000001", invoice_date="2024-01-15")
        stock.update(type="subscription", service_start="2024-01-15", service_end="2024-02-15")
        stock.update(amount="100.00", currency="USD", quantity="1", plan="starter")
        return [dict(stock) for _ in range(count)]
    picked = lines.take(pa.array(rng.choice(recurring, count))).to_pylist()
    return [{key: _as_text(value) for key, value in row.items()} for row in picked]


def bad_invoice_lines(
    lines: pa.Table, rng: np.random.Generator, count: int, id_width: int
) -> list[Row]:
    """`count` broken rows cycling through every defect; all but duplicates get fresh line ids."""
    if count <= 0:
        return []
    rows = _templates(lines, rng, count)
    for position, row in enumerate(rows):
        defect = DEFECTS[position % len(DEFECTS)]
        if defect is not _conflicting_duplicate:
            row["line_id"] = f"L{lines.num_rows + position + 1:0{id_width}d}"
        defect(row)
    return rows
