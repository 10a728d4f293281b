"""A result as JSON (the CLI's shape) or as CSV rows, for every download link."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse, Response


def csv_text(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as CSV with a header; nested values as compact JSON."""
    out = io.StringIO()
    columns = list(dict.fromkeys(k for row in rows for k in row))
    if columns:
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in columns})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else value


def respond(
    data: Any, fmt: str = "json", rows: Sequence[dict[str, Any]] | None = None, name: str = "data"
) -> Response:
    """JSON of `data`, or CSV of `rows` (default: data itself when it is a list of rows)."""
    if fmt == "csv":
        flat = rows if rows is not None else (data if isinstance(data, list) else [data])
        return Response(
            csv_text(flat),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return JSONResponse(data)
