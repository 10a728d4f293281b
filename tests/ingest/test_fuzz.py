"""Random mutations of valid input files never raise anything but netretain's own errors, and every
row read is accounted for: read = accepted + replaced + unchanged + rejected (issue 10).

CSV files get byte, cell and encoding mutations; Parquet files get cells and column types.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netretain import Ledger
from netretain.errors import NetretainError

HEADER = "line_id,customer_id,invoice_date,type,service_start,service_end,amount,currency"
ROWS = [
    "L1,C1,2024-01-05,subscription,2024-01-05,2024-02-05,100.00,USD",
    "L2,C2,2024-01-01,usage,2024-01-01,2024-02-01,45.50,EUR",
    "L3,C2,2024-02-01,one_time,,,999.00,EUR",
    "L4,C3,2024-02-15,subscription,2024-02-15,2024-03-01,1500,JPY",
    'L5,"C, 4",2024-03-01,subscription,2024-03-01,2024-04-01,1.234,KWD',
]
VALID = "\n".join([HEADER, *ROWS]) + "\n"
FX = "month,currency,rate\n2024-01,EUR,1.10\n2024-01,JPY,0.0067\n2024-01,KWD,3.25\n"
FUZZ = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def ingest(path: Path, fx: Path, **options: Any) -> None:
    """Ingest a mutated file twice (the second time is a skip); only NetretainError may escape."""
    ledger = Ledger()
    try:
        result = ledger.ingest(fx_rates=fx, invoice_lines=path, **options)
    except NetretainError:
        return
    for f in result.files:
        assert f.read == f.accepted + f.replaced + f.unchanged + f.rejected, f
    lines = result.files[-1]
    stored = ledger.table("input_invoice_lines").count().to_pyarrow().as_py()
    assert stored == lines.accepted
    again = ledger.ingest(fx_rates=fx, invoice_lines=path, **options)
    assert all(f.skipped for f in again.files)


def run(content: bytes, suffix: str = ".csv", **options: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"lines{suffix}"
        path.write_bytes(content)
        fx = Path(tmp) / "fx.csv"
        fx.write_text(FX)
        ingest(path, fx, **options)


@st.composite
def byte_mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID.encode())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["replace", "insert", "delete"]))
        chunk = draw(st.binary(min_size=1, max_size=4))
        if kind == "replace" and at < len(data):
            data[at : at + len(chunk)] = chunk
        elif kind == "insert":
            data[at:at] = chunk
        else:
            del data[at : at + len(chunk)]
    return bytes(data)


CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "1e3", "NaN", "inf", "-0", "0.001", "99999999999999999999"]),
    st.sampled_from(["2024-02-30", "2024-1-5", "1.5", '"', '""', "\n", "a,b", "\r\n"]),
    st.decimals(allow_nan=True, places=4).map(str),
)


@st.composite
def cell_mutations(draw: st.DrawFn) -> str:
    rows = [row.split(",") for row in [HEADER, *ROWS[:3]]]  # rows without quoted commas
    for _ in range(draw(st.integers(1, 5))):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, len(rows[row]) - 1))
        rows[row][column] = draw(CELL)
    return "\n".join(",".join(r) for r in rows) + "\n"


@FUZZ
@given(byte_mutations())
def test_byte_mutations(content: bytes) -> None:
    run(content)


@FUZZ
@given(cell_mutations())
def test_cell_mutations(text: str) -> None:
    run(text.encode("utf-8", errors="surrogatepass"))


@FUZZ
@given(
    st.sampled_from(["latin-1", "cp1252", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8"]),
    st.sampled_from([None, "latin-1", "utf-16", "utf-8", "no-such-codec"]),
    st.text(min_size=1, max_size=6),
)
def test_encodings(written: str, said: str | None, name: str) -> None:
    text = VALID.replace("C1", name.replace(",", "").replace('"', "") or "C1")
    run(text.encode(written, errors="replace"), encoding=said)


TYPES = {
    "bool": st.lists(st.one_of(st.none(), st.booleans()), min_size=3, max_size=3).map(
        lambda v: pa.array(v, pa.bool_())
    ),
    "int32": st.lists(
        st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1)), min_size=3, max_size=3
    ).map(lambda v: pa.array(v, pa.int32())),
    "float64": st.lists(st.one_of(st.none(), st.floats()), min_size=3, max_size=3).map(
        lambda v: pa.array(v, pa.float64())
    ),
    "decimal": st.lists(
        st.one_of(st.none(), st.decimals(-(10**27), 10**27, places=10, allow_nan=False)),
        min_size=3,
        max_size=3,
    ).map(lambda v: pa.array(v, pa.decimal128(38, 10))),
    "string": st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=3, max_size=3).map(
        lambda v: pa.array(v, pa.string())
    ),
    "date": st.lists(st.one_of(st.none(), st.dates()), min_size=3, max_size=3).map(
        lambda v: pa.array(v, pa.date32())
    ),
    "timestamp": st.lists(st.one_of(st.none(), st.datetimes()), min_size=3, max_size=3).map(
        lambda v: pa.array(v, pa.timestamp("us"))
    ),
}


def typed_lines() -> dict[str, pa.Array]:
    day = dt.date(2024, 1, 1)
    return {
        "line_id": pa.array(["T1", "T2", "T3"]),
        "customer_id": pa.array(["C1", "C2", "C3"]),
        "invoice_date": pa.array([day] * 3, pa.date32()),
        "type": pa.array(["subscription", "usage", "one_time"]),
        "service_start": pa.array([day] * 3, pa.date32()),
        "service_end": pa.array([dt.date(2024, 2, 1)] * 3, pa.date32()),
        "amount": pa.array([Decimal("10.00")] * 3, pa.decimal128(18, 2)),
        "currency": pa.array(["USD", "EUR", "JPY"]),
    }


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(typed_lines())), st.sampled_from(sorted(TYPES))),
        min_size=1,
        max_size=3,
    ),
    st.data(),
)
def test_parquet_types(changes: list[tuple[str, str]], data: st.DataObject) -> None:
    columns = typed_lines()
    for column, kind in changes:
        columns[column] = data.draw(TYPES[kind])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lines.parquet"
        pq.write_table(pa.table(columns), path)
        fx = Path(tmp) / "fx.csv"
        fx.write_text(FX)
        ingest(path, fx)


@pytest.mark.parametrize("kind", [pa.int32(), pa.int64()])
def test_the_smallest_integer_amount_is_too_large_not_a_crash(kind: pa.DataType) -> None:
    """A typed integer amount at its type's minimum has no absolute value in the engine: it is a
    "too large" reject like the maximum, and the good row goes in."""
    columns = typed_lines()
    bits = kind.bit_width - 1
    columns["amount"] = pa.array([-(2**bits), 2**bits - 1, 5], kind)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lines.parquet"
        pq.write_table(pa.table(columns), path)
        fx = Path(tmp) / "fx.csv"
        fx.write_text(FX)
        result = Ledger().ingest(fx_rates=fx, invoice_lines=path)
    lines = result.files[-1]
    assert (lines.accepted, lines.rejected) == (1, 2)
    found = {(r.row, r.reason.split(":")[0]) for r in result.rejects}
    assert found == {(1, "too large"), (2, "too large")}
