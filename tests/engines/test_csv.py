"""CSV on every engine: the same rejects (file, row, column, reason, value) and exact row numbers.

Spark and PostgreSQL parse CSV themselves (Spark per line with from_csv, PostgreSQL with COPY and
nr_csv_fields), so their rejects are checked against DuckDB's and against hand-written rows.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netretain import Ledger
from netretain.engines import spark_csv
from netretain.errors import IngestError
from netretain.synthetic import SyntheticCompany
from tests.conftest import mrr_by_customer
from tests.engines.conftest import BAD_ROWS, ENGINES, EXTRA


def reject_rows(result: Any) -> list[tuple[Any, ...]]:
    return sorted((r.file, r.row, r.column, r.reason, r.value) for r in result.rejects)


def test_hand_made_lines_are_rejected_as_expected(
    csv_results: dict[str, Any], generated: SyntheticCompany
) -> None:
    result, _ = csv_results["duckdb"]
    path = result.files[-1].file
    first = len(Path(path).read_text().splitlines()) - len(EXTRA)  # a blank line ends the file
    expected = sorted(
        (path, first + i, column, reason, text if column != "*" else line)
        for i, (line, rejects) in enumerate(EXTRA)
        for column, reason, text in rejects
    )
    found = [r for r in reject_rows(result) if r[0] == path and r[1] >= first]
    assert found == expected
    lines = result.files[-1]
    rejected_extra = sum(1 for _, rejects in EXTRA if rejects)
    assert (lines.accepted, lines.rejected) == (1, BAD_ROWS + rejected_extra)  # X6 is the new row
    assert lines.unchanged == generated.invoice_lines.num_rows
    fx = result.files[0]
    assert (fx.kind, fx.accepted, fx.rejected, fx.unchanged) == (
        "fx_rates",
        0,
        0,
        generated.fx_rates.num_rows,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_rejects_are_equal(csv_results: dict[str, Any], engine: str) -> None:
    expected, reference = csv_results["duckdb"]
    actual, ledger = csv_results[engine]
    assert reject_rows(actual) == reject_rows(expected)
    assert [(f.kind, f.accepted, f.rejected, f.unchanged) for f in actual.files] == [
        (f.kind, f.accepted, f.rejected, f.unchanged) for f in expected.files
    ]
    stored = ["kind", "file", "row", "column", "reason", "value"]
    assert (
        ledger.rejects().select(stored).to_pylist()
        == reference.rejects().select(stored).to_pylist()
    )


def test_spark_numbers_lines_across_many_splits(spark: Any, tmp_path: Path) -> None:
    """Small splits (2 KiB) force many tasks; every line keeps its physical number."""
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"line {n}\n" if n % 97 else "\n" for n in range(1, 3001)))
    session = spark.newSession()
    session.conf.set("spark.sql.files.maxPartitionBytes", "2048")
    session.conf.set("spark.sql.files.openCostInBytes", "0")
    lines = spark_csv.numbered_lines(session, path)
    assert lines.rdd.getNumPartitions() > 5
    rows = {r["_row"]: r["value"] for r in lines.collect()}
    assert rows == {n: (f"line {n}" if n % 97 else "") for n in range(1, 3001)}


def test_spark_numbers_parquet_rows_across_row_groups(spark: Any, tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"n": pa.array(range(1, 5001), pa.int64())}), path, row_group_size=300)
    session = spark.newSession()
    session.conf.set("spark.sql.files.maxPartitionBytes", "4096")
    frame = spark_csv.stage_parquet(session, path)
    pairs = [(r["n"], r["_row"]) for r in frame.collect()]
    assert len(pairs) == 5000 and all(n == row for n, row in pairs)


# Bad input on every engine (issue 10): per-row rejects or one clear error, never a crash.
FIXTURES = Path(__file__).parent.parent / "fixtures" / "bad_input"
ALL_ENGINES = ("duckdb", *ENGINES)
NOT_A_NUMBER = "not a number (use digits and a dot, e.g. 1200.50)"
NOT_A_DATE = "not a date: use YYYY-MM-DD"
TOO_LARGE = "too large: amounts must be below 100,000,000 per row"


def decimals(n: int) -> str:
    return f"more decimals than the currency has ({n}, ISO 4217); amounts are not rounded"


def fresh(new_store: Callable[[str], Any], engine: str) -> Ledger:
    return Ledger(store=new_store(engine))


def found(result: Any) -> list[tuple[int, str, str]]:
    return sorted((r.row, r.column, r.reason) for r in result.rejects)


def accounted(result: Any) -> None:
    for f in result.files:
        assert f.read == f.accepted + f.replaced + f.unchanged + f.rejected, f


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_blank_lines_keep_physical_row_numbers(new_store: Any, engine: str) -> None:
    result = fresh(new_store, engine).ingest(invoice_lines=FIXTURES / "blank_lines.csv")
    assert found(result) == [
        (8, "amount", NOT_A_NUMBER),
        (9, "*", "expected 8 fields, found 2"),
        (11, "*", "expected 8 fields, found 9"),
        (13, "customer_id", "missing customer"),
    ]
    [lines] = result.files
    assert (lines.read, lines.accepted, lines.rejected) == (7, 3, 4)
    accounted(result)


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_rows_after_quoted_line_breaks_keep_their_lines(new_store: Any, engine: str) -> None:
    """DuckDB reads a quoted value across lines; Spark and PostgreSQL refuse its lines."""
    result = fresh(new_store, engine).ingest(invoice_lines=FIXTURES / "quoted_newlines.csv")
    rows = found(result)
    assert (4, "amount", NOT_A_NUMBER) in rows
    assert (9, "customer_id", "missing customer") in rows
    if engine == "duckdb":
        assert rows == [(4, "amount", NOT_A_NUMBER), (9, "customer_id", "missing customer")]
    accounted(result)


@pytest.fixture(scope="module")
def precision(new_store: Callable[[str], Any]) -> dict[str, tuple[Any, Ledger]]:
    """precision.csv with its FX rates, ingested once per engine: (result, ledger)."""
    out = {}
    for engine in ALL_ENGINES:
        ledger = fresh(new_store, engine)
        files = {"invoice_lines": FIXTURES / "precision.csv", "fx_rates": FIXTURES / "fx_rates.csv"}
        out[engine] = (ledger.ingest(**files), ledger)
    return out


@pytest.mark.parametrize("engine", ALL_ENGINES)
def test_money_keeps_its_currency_precision(precision: dict[str, Any], engine: str) -> None:
    result, ledger = precision[engine]
    assert found(result) == [
        (2, "amount", decimals(2)),  # USD 0.001
        (3, "amount", decimals(2)),  # USD 100.005
        (4, "amount", decimals(0)),  # JPY 100.5
        (7, "amount", decimals(3)),  # KWD 1.2345
        (8, "amount", TOO_LARGE),
        (12, "amount", TOO_LARGE),  # 100,000,000 exactly
    ]
    kept = ledger.table("input_invoice_lines").select("line_id", "amount").to_pyarrow()
    amounts = {r["line_id"]: r["amount"] for r in kept.to_pylist()}
    assert amounts == {
        "P4": Decimal("1200"),
        "P5": Decimal("1.234"),
        "P8": Decimal("100.5"),
        "P9": Decimal("0.125"),
        "P10": Decimal("12.3"),
        "P12": Decimal("1"),
    }
    accounted(result)


def test_money_converts_exactly_the_same_on_every_engine(precision: dict[str, Any]) -> None:
    """JPY 1200 at 0.0067, KWD 1.234 at 3.2533, BHD 0.125 at 2.6596, EUR 12.30 at 1.0815."""
    mrr = {engine: mrr_by_customer(ledger) for engine, (_, ledger) in precision.items()}
    # rounded per customer, month and currency: BHD 0.33245 -> 0.33, EUR 13.30245 -> 13.30
    assert mrr["duckdb"]["C2"]["2024-01"] == Decimal("8.04")
    assert mrr["duckdb"]["C3"]["2024-01"] == Decimal("4.01")
    assert mrr["duckdb"]["C5"]["2024-01"] == Decimal("13.63")  # 0.33245 + 13.30245 = 13.6349
    assert mrr["duckdb"]["C4"]["2024-01"] == Decimal("100.50")
    assert mrr["duckdb"]["C6"]["2024-01"] == Decimal("0.01")  # JPY 1 at 0.0067
    assert mrr["spark"] == mrr["duckdb"] and mrr["postgres"] == mrr["duckdb"]


TYPED = {
    "double_amounts.parquet": [
        (2, "amount", NOT_A_NUMBER),  # NaN
        (3, "amount", NOT_A_NUMBER),  # inf
        (4, "amount", NOT_A_NUMBER),  # -inf
        (5, "amount", TOO_LARGE),  # 1e20
        (6, "amount", decimals(2)),  # 0.001
    ],
    "decimal_range.parquet": [(2, "amount", TOO_LARGE)],
    "boolean_dates.parquet": [(1, "invoice_date", NOT_A_DATE), (2, "invoice_date", NOT_A_DATE)],
    "int_dates.parquet": [(1, "invoice_date", NOT_A_DATE), (3, "invoice_date", NOT_A_DATE)],
}


@pytest.mark.parametrize("engine", ALL_ENGINES)
@pytest.mark.parametrize("name", sorted(TYPED))
def test_typed_parquet_values_are_row_rejects(new_store: Any, engine: str, name: str) -> None:
    result = fresh(new_store, engine).ingest(invoice_lines=FIXTURES / name)
    assert found(result) == TYPED[name]
    accounted(result)


ERRORS = {
    "unknown_column.csv": "unknown column(s) 'curency' (did you mean 'currency'?)",
    "semicolon.csv": "the delimiter is a semicolon, not a comma",
    "tab.csv": "the delimiter is a tab, not a comma",
    "unclosed_quote_header.csv": "the header row opens a quote it never closes",
    "invalid_byte.csv": "row 4 is not valid utf-8 (byte 0xff at offset",
    "latin1.csv": "row 2 is not valid utf-8 (byte 0xe9 at offset",
}


# ledger/ingest.py checks a file's encoding and header (readers.py) before any engine reads it, so
# Spark, the slowest engine, runs only the file it reads itself before refusing it (an unknown
# column); DuckDB and PostgreSQL run them all. Each shows a refused file leaves the ledger empty.
ERROR_CASES = [
    (engine, name)
    for name in sorted(ERRORS)
    for engine in ALL_ENGINES
    if engine != "spark" or name == "unknown_column.csv"
]


@pytest.mark.parametrize(("engine", "name"), ERROR_CASES)
def test_a_bad_file_is_one_clear_error(new_store: Any, engine: str, name: str) -> None:
    ledger = fresh(new_store, engine)
    with pytest.raises(IngestError) as raised:
        ledger.ingest(invoice_lines=FIXTURES / name)
    assert str(raised.value).startswith(f"{FIXTURES / name}: {ERRORS[name]}")
    assert ledger.ingests().num_rows == 0


# The transcoding to UTF-8 is the same for every engine (readers.utf8_csv, before the engine reads
# the file): Spark reads one transcoded file (UTF-16 by its byte order mark), the others all three.
ENCODINGS = {"latin1.csv": "latin-1", "utf16le.csv": None, "utf16be.csv": None}
ENCODING_CASES = [
    (engine, name, encoding)
    for name, encoding in ENCODINGS.items()
    for engine in ALL_ENGINES
    if engine != "spark" or name == "utf16le.csv"
]


@pytest.mark.parametrize(("engine", "name", "encoding"), ENCODING_CASES)
def test_other_encodings_are_read(
    new_store: Any, engine: str, name: str, encoding: str | None
) -> None:
    ledger = fresh(new_store, engine)
    result = ledger.ingest(invoice_lines=FIXTURES / name, encoding=encoding)
    assert (result.accepted, result.rejected) == (2, 0)
    assert result.files[0].file == str(FIXTURES / name)
    customers = ledger.table("input_invoice_lines").customer_id.to_pyarrow().to_pylist()
    assert sorted(customers) == ["Café", "Crème"]
