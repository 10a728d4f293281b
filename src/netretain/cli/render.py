"""One way to print: JSON, CSV or a rich table, from the same plain rows."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from netretain.core.results import plain

console = Console()
err_console = Console(stderr=True)


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


RATIO_KEYS = {"ndr", "gdr", "logo_retention"}


def as_json(data: Any) -> str:
    """Indented JSON with money as numbers and ratios as fractions."""
    return json.dumps(plain(data), indent=2, ensure_ascii=False)


def write_csv(
    rows: Sequence[dict[str, Any]], out=None, columns: Sequence[str] | None = None
) -> None:
    """Rows as CSV with a header (also when there are no rows); nested values as JSON text."""
    out = out or sys.stdout
    columns = list(dict.fromkeys(k for row in rows for k in row)) or list(columns or ())
    if not columns:
        return
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(row.get(k)) for k in columns})


def _csv_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(plain(value), separators=(",", ":"))
    if isinstance(value, Decimal):
        return format(value, "f")
    return "" if value is None else value


def cell(key: str, value: Any, currency: str = "") -> str:
    """A human cell: percentages for ratios, thousands separators for money."""
    if value is None:
        return "—"
    if key in RATIO_KEYS or key.endswith("_rate") or key.endswith("retention"):
        return (
            f"{float(value) * 100:.1f}%" if isinstance(value, int | float | Decimal) else str(value)
        )
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(
    rows: Sequence[dict[str, Any]], title: str | None = None, columns: Sequence[str] | None = None
) -> Table:
    """A rich table over plain rows."""
    columns = list(columns or dict.fromkeys(k for row in rows for k in row))
    out = Table(title=title, header_style="bold", show_lines=False)
    for name in columns:
        numeric = bool(rows) and isinstance(rows[0].get(name), int | float | Decimal)
        out.add_column(name, justify="right" if numeric else "left")
    for row in rows:
        out.add_row(*[cell(name, row.get(name)) for name in columns])
    return out


def emit(
    data: Any,
    fmt: Format,
    *,
    rows: Callable[[], Sequence[dict[str, Any]]] | None = None,
    show: Callable[[], None] | None = None,
    columns: Sequence[str] | None = None,
) -> None:
    """Print `data` as JSON, `rows()` as CSV, or call `show()` (default: a table of rows).

    `columns` names the CSV header for when there are no rows.
    """
    if fmt is Format.json:
        sys.stdout.write(as_json(data) + "\n")
        return
    flat = rows() if rows else (data if isinstance(data, list) else [data])
    if fmt is Format.csv:
        write_csv(flat, columns=columns)
        return
    if show:
        show()
    else:
        console.print(table(flat))
