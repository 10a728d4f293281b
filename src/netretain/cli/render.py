"""One way to print: JSON, CSV or a rich table, from the same plain rows."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich import box
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
SHORT_TEXT = 24  # a text column no wider than this is kept whole like a figure


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


UNITS = (
    (Decimal(10) ** 12, "T"),
    (Decimal(10) ** 9, "B"),
    (Decimal(10) ** 6, "M"),
    (Decimal(1000), "K"),
)


def compact(value: Decimal) -> str:
    """Money in three significant figures and a unit (3.45M, 12.3K, -980K); under 1,000 whole."""
    for i, (size, unit) in enumerate(UNITS):
        if abs(value) >= size:
            scaled = value / size
            digits = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            text = f"{scaled:.{digits}f}"
            if abs(Decimal(text)) >= 1000 and i:  # 999,999 rounds to 1000K: say 1.00M
                return f"{scaled / 1000:.2f}{UNITS[i - 1][1]}"
            return text + unit
    return f"{value:,.2f}"


def table(
    rows: Sequence[dict[str, Any]],
    title: str | None = None,
    columns: Sequence[str] | None = None,
    optional: Sequence[str] = (),
) -> Table:
    """A rich table over plain rows that fits the terminal without cutting a figure: money goes
    to compact units (3.45M) when the full amounts do not fit even without the `optional` columns
    (a hash), which go first; JSON and CSV keep every figure whole."""
    columns = list(columns or dict.fromkeys(k for row in rows for k in row))
    kept = [c for c in columns if c not in optional]
    # whole figures first, then fewer columns, then compact units
    tries = [(columns, False, False), (columns, False, True), (kept, False, True)]
    for shown, compact_money, lean in tries:
        out = _table(rows, title, shown, compact_money, lean)
        if _width(out) <= console.width:
            return out
    return _table(rows, title, kept, compact_money=True, lean=True)


def _width(renderable: Table) -> int:
    """The width a table takes when nothing limits it."""
    return console.measure(renderable, options=console.options.update_width(10_000)).maximum


def _cell(name: str, value: Any, compact_money: bool) -> str:
    """`cell`, with money in compact units when asked."""
    if compact_money and isinstance(value, Decimal) and name not in RATIO_KEYS:
        return compact(value)
    return cell(name, value)


def _table(
    rows: Sequence[dict[str, Any]],
    title: str | None,
    columns: Sequence[str],
    compact_money: bool,
    lean: bool,
) -> Table:
    """The table with full or compact money, boxed or lean (one rule, single spaces)."""
    cells = [[_cell(name, row.get(name), compact_money) for name in columns] for row in rows]
    layout: dict[str, Any] = (
        {"box": box.SIMPLE_HEAD, "show_edge": False, "pad_edge": False, "collapse_padding": True}
        if lean
        else {}
    )
    out = Table(title=title, header_style="bold", show_lines=False, **layout)
    for i, name in enumerate(columns):
        numeric = bool(rows) and isinstance(rows[0].get(name), int | float | Decimal)
        # figures and short labels (months, ids) never wrap or shrink; long text gives way
        widest = max((len(c[i]) for c in cells), default=0)
        whole = numeric or widest <= SHORT_TEXT
        out.add_column(
            name,
            justify="right" if numeric else "left",
            no_wrap=whole,
            min_width=widest if whole else None,
        )
    for row_cells in cells:
        out.add_row(*row_cells)
    return out


def notes(warnings: Sequence[str]) -> None:
    """Warnings as visible notes on stderr, apart from the data on stdout."""
    for warning in warnings:
        err_console.print(f"[bold yellow]note:[/] {warning}", highlight=False)


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
