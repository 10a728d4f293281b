"""Schemas of netretain's input tables and fast numpy-to-Arrow column builders."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

AMOUNT = pa.decimal128(18, 2)
RATE = pa.decimal128(18, 8)

CUSTOMERS_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("name", pa.string()),
        ("signup_date", pa.date32()),
        ("parent_id", pa.string()),
        ("segment", pa.string()),
        ("region", pa.string()),
        ("plan", pa.string()),
        ("gtm_motion", pa.string()),
        ("pricing_model", pa.string()),
    ]
)
SUBSCRIPTIONS_SCHEMA = pa.schema(
    [
        ("subscription_id", pa.string()),
        ("customer_id", pa.string()),
        ("start_date", pa.date32()),
        ("end_date", pa.date32()),
        ("amount", AMOUNT),
        ("interval_months", pa.int32()),
        ("currency", pa.string()),
        ("quantity", pa.int32()),
        ("plan", pa.string()),
    ]
)
INVOICE_LINES_SCHEMA = pa.schema(
    [
        ("line_id", pa.string()),
        ("customer_id", pa.string()),
        ("invoice_date", pa.date32()),
        ("type", pa.string()),
        ("service_start", pa.date32()),
        ("service_end", pa.date32()),
        ("amount", AMOUNT),
        ("currency", pa.string()),
        ("quantity", pa.int32()),
        ("plan", pa.string()),
        ("subscription_id", pa.string()),
    ]
)
FX_RATES_SCHEMA = pa.schema([("month", pa.string()), ("currency", pa.string()), ("rate", RATE)])


def decimal_array(unscaled: np.ndarray, type_: pa.Decimal128Type) -> pa.Array:
    """Build a decimal128 array from unscaled int64 values (e.g. cents) without Python objects."""
    values = np.ascontiguousarray(unscaled, dtype=np.int64)
    words = np.empty((len(values), 2), dtype="<i8")
    words[:, 0] = values
    words[:, 1] = values >> 63
    return pa.Array.from_buffers(type_, len(values), [None, pa.py_buffer(words)])


def date_array(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Build a date32 array from days since the epoch, null where `null` is set."""
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=null)


def int32_array(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Build an int32 array, null where `null` is set."""
    return pa.array(values.astype(np.int32), type=pa.int32(), mask=null)


def id_strings(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Format integers as zero-padded identifiers such as C0000001, vectorised in Arrow."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, type=pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def labels(values: Sequence[str], codes: np.ndarray) -> pa.Array:
    """Map small integer codes to their string labels; negative codes become null."""
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pa.array(values, type=pa.string()).take(indices)


def take_strings(strings: pa.Array, indices: np.ndarray) -> pa.Array:
    """Gather strings by integer position; negative positions become null."""
    return strings.take(pa.array(indices.astype(np.int64), mask=indices < 0))
