"""JSON-ready values, as the CLI prints them: Decimal money and Fraction ratios become numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any


def plain(value: Any) -> Any:
    """A result's `to_dict()` (or rows) with every value JSON can carry."""
    if isinstance(value, Decimal | Fraction):
        return float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
