"""Append-only buffers of equal-length numpy columns, filled one month at a time."""

from __future__ import annotations

import numpy as np

NULL_DATE = np.iinfo(np.int32).min
NO_MONTH = np.iinfo(np.int32).max

LINE_DTYPES: dict[str, type] = {
    "customer": np.int32,
    "kind": np.int8,
    "invoice": np.int32,
    "start": np.int32,
    "end": np.int32,
    "cents": np.int64,
    "quantity": np.int32,
    "plan": np.int8,
    "subscription": np.int64,
}
SUBSCRIPTION_DTYPES: dict[str, type] = {
    "subscription": np.int64,
    "customer": np.int32,
    "start": np.int32,
    "end": np.int32,
    "cents": np.int64,
    "interval": np.int32,
    "quantity": np.int32,
    "plan": np.int8,
}


class ColumnBuffer:
    """Collects chunks of typed columns; scalars are broadcast to the chunk length."""

    def __init__(self, dtypes: dict[str, type]) -> None:
        self._dtypes = dtypes
        self._parts: dict[str, list[np.ndarray]] = {name: [] for name in dtypes}

    def add(self, count: int, **values: np.ndarray | int) -> None:
        """Append `count` rows; every column must be given."""
        if count == 0:
            return
        for name, dtype in self._dtypes.items():
            column: np.ndarray = np.asarray(values[name], dtype=dtype)
            self._parts[name].append(np.broadcast_to(column, (count,)))

    def finish(self) -> dict[str, np.ndarray]:
        """Concatenate the chunks into one array per column, releasing the chunks as it goes."""
        columns = {}
        for name, dtype in self._dtypes.items():
            parts = self._parts.pop(name)
            columns[name] = np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
        return columns
