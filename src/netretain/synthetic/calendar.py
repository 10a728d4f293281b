"""Month arithmetic on day numbers, so dates are computed as whole numpy arrays."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

HORIZON_MONTHS = 26


@dataclass(frozen=True)
class Calendar:
    """The simulated months plus a horizon for service periods that end after them."""

    start: np.datetime64
    months: int
    month_start: np.ndarray

    def date(self, month: np.ndarray | int, day: np.ndarray | int) -> np.ndarray:
        """Day number (days since 1970-01-01) of `day` (1..28) in month index `month`."""
        return (self.month_start[month] + np.asarray(day, dtype=np.int64) - 1).astype(np.int32)

    def labels(self, count: int) -> list[str]:
        """The first `count` months as "YYYY-MM" strings."""
        return [str(m) for m in self.start + np.arange(count)]


def make_calendar(start: str, months: int) -> Calendar:
    """Calendar of `months` months from `start` ("YYYY-MM")."""
    if months < 1:
        raise ValueError("months must be at least 1")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", start):
        raise ValueError(f"start must look like YYYY-MM, got {start!r}")
    first = np.datetime64(start, "M")
    month_start = (first + np.arange(months + HORIZON_MONTHS)).astype("datetime64[D]")
    return Calendar(first, months, month_start.astype(np.int64))
