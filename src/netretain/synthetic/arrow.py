"""Arrow schemas of the generated files (from the input specs) and fast column builders."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from netretain.store.inputs import SPECS

ATTRIBUTES = ("segment", "region", "plan", "gtm_motion", "pricing_model")
CUSTOMERS_SCHEMA = SPECS["customers"].file_schema(ATTRIBUTES)
SUBSCRIPTIONS_SCHEMA = SPECS["subscriptions"].file_schema()
INVOICE_LINES_SCHEMA = SPECS["invoice_lines"].file_schema()
FX_RATES_SCHEMA = SPECS["fx_rates"].file_schema()
USAGE_EVENTS_SCHEMA = SPECS["usage_events"].file_schema()
PLANS_SCHEMA = SPECS["plans"].file_schema()
HEALTH_SCHEMA = pa.schema(
    [("customer_id", pa.string()), ("month", pa.string()), ("health", pa.float32())]
)
QUANTITY = USAGE_EVENTS_SCHEMA.field("quantity").type
AMOUNT = SUBSCRIPTIONS_SCHEMA.field("amount").type
RATE = FX_RATES_SCHEMA.field("rate").type


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
