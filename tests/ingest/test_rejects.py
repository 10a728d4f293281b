"""Bad input (issue 3): one reject reason per test, each with its file, row, column and reason.

One CSV holds every kind of bad row between good ones (the header is row 1, the first record row 2):

    row  2  G1 good                          row  9  G2 good (EUR)
    row  3  amount 12.5x                     row 10  G1 again, different amount: conflict
    row  4  service_start 2024-13-45         row 11  G2 again, exactly: ignored
    row  5  service_end before service_start row 12  only 4 fields
    row  6  type refund                      row 13  G3 good
    row  7  no customer_id                   row 14  amount abc (row numbers still right)
    row  8  currency JPY (no rate at all)    row 15  EUR before EUR's first rate
                                             row 16  subscription without service_start
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from netretain import Ledger, Reject
from netretain.ledger.ingest import IngestResult
from tests.conftest import INVOICE_HEADER, Inputs, mrr_by_customer

S = "subscription"
GOOD = {
    2: ("G1", "C1", "2024-01-01", S, "2024-01-01", "2024-02-01", "100.00", "USD", ""),
    9: ("G2", "C2", "2024-01-01", "usage", "2024-01-01", "2024-02-01", "50.00", "EUR", ""),
    13: ("G3", "C3", "2024-01-01", S, "2024-01-01", "2024-02-01", "30.00", "USD", ""),
}
LINES = [
    GOOD[2],
    ("L3", "C1", "2024-01-01", S, "2024-01-01", "2024-02-01", "12.5x", "USD", ""),
    ("L4", "C1", "2024-01-01", S, "2024-13-45", "2024-02-01", "100.00", "USD", ""),
    ("L5", "C1", "2024-01-01", S, "2024-03-01", "2024-02-01", "100.00", "USD", ""),
    ("L6", "C1", "2024-01-01", "refund", "2024-01-01", "2024-02-01", "100.00", "USD", ""),
    ("L7", "", "2024-01-01", S, "2024-01-01", "2024-02-01", "100.00", "USD", ""),
    ("L8", "C1", "2024-01-01", S, "2024-01-01", "2024-02-01", "100.00", "JPY", ""),
    GOOD[9],
    ("G1", "C1", "2024-01-01", S, "2024-01-01", "2024-02-01", "999.00", "USD", ""),
    GOOD[9],
    ("L12", "C1", "2024-01-01", S),
    GOOD[13],
    ("L14", "C1", "2024-01-01", S, "2024-01-01", "2024-02-01", "abc", "USD", ""),
    ("L15", "C1", "2023-12-01", S, "2023-12-01", "2024-01-01", "100.00", "EUR", ""),
    ("L16", "C1", "2024-01-01", S, "", "2024-02-01", "100.00", "USD", ""),
]


class Ingested:
    """The ledger, the file and what the ingest reported."""

    def __init__(self, ledger: Ledger, path: Path, result: IngestResult) -> None:
        self.ledger = ledger
        self.path = path
        self.file = str(path)
        self.result = result

    def rejects_at(self, row: int) -> list[Reject]:
        return [r for r in self.result.rejects if r.row == row]

    def stored_rejects_at(self, row: int) -> list[tuple[object, ...]]:
        rows = self.ledger.rejects().to_pylist()
        return [
            (r["ingest_id"], r["kind"], r["file"], r["row"], r["column"], r["reason"], r["value"])
            for r in rows
            if r["row"] == row
        ]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    inputs = Inputs(tmp_path_factory.mktemp("rejects"))
    path = inputs.csv("lines.csv", INVOICE_HEADER, LINES)
    rates = inputs.fx_rates([("2024-01", "EUR", "1.10")])
    ledger = Ledger()
    result = ledger.ingest(invoice_lines=path, fx_rates=rates)
    return Ingested(ledger, path, result)


def only_reject(ingested: Ingested, row: int, column: str, reason: str, value: str) -> None:
    """The row has exactly this reject, in the result and stored in the ledger."""
    assert ingested.rejects_at(row) == [Reject(ingested.file, row, column, reason, value)]
    stored = (1, "invoice_lines", ingested.file, row, column, reason, value)
    assert ingested.stored_rejects_at(row) == [stored]


def test_unparseable_number(ingested: Ingested) -> None:
    reason = "not a number (use digits and a dot, e.g. 1200.50)"
    only_reject(ingested, 3, "amount", reason, "12.5x")


def test_unparseable_date(ingested: Ingested) -> None:
    only_reject(ingested, 4, "service_start", "not a date: use YYYY-MM-DD", "2024-13-45")


def test_end_before_start(ingested: Ingested) -> None:
    reason = "end before start: service_end must be after service_start"
    only_reject(ingested, 5, "service_end", reason, "2024-02-01")


def test_unknown_type(ingested: Ingested) -> None:
    only_reject(ingested, 6, "type", "unknown type: use subscription, one_time, usage", "refund")


def test_missing_customer(ingested: Ingested) -> None:
    only_reject(ingested, 7, "customer_id", "missing customer", "")


def test_currency_with_no_rate_at_all(ingested: Ingested) -> None:
    reason = "no FX rate for this currency: add it to fx_rates"
    only_reject(ingested, 8, "currency", reason, "JPY")


def test_currency_with_no_rate_at_or_before_the_rows_first_month(ingested: Ingested) -> None:
    reason = "no FX rate at or before this row's first month: add earlier rates to fx_rates"
    only_reject(ingested, 15, "currency", reason, "EUR")


def test_recurring_line_without_service_period(ingested: Ingested) -> None:
    only_reject(ingested, 16, "service_start", "required for subscription and usage lines", "")


def test_repeated_line_id_with_different_content_is_a_conflict(ingested: Ingested) -> None:
    reason = (
        "conflict: this line_id is given again with different content; the first row stands (row 2)"
    )
    only_reject(ingested, 10, "line_id", reason, "G1")
    # The first row stands: G1 is $100, not $999.
    assert mrr_by_customer(ingested.ledger)["C1"]["2024-01"] == Decimal("100.00")


def test_exact_repeat_is_ignored(ingested: Ingested) -> None:
    assert ingested.rejects_at(11) == []
    lines = ingested.result.files[-1]
    assert lines.kind == "invoice_lines"
    assert lines.unchanged == 1


def test_wrong_number_of_fields_keeps_later_row_numbers(ingested: Ingested) -> None:
    only_reject(
        ingested,
        12,
        "*",
        "expected 9 fields, found 4",
        "L12,C1,2024-01-01,subscription",
    )
    # After the short line, rows keep their numbers: G3 is row 13, the bad amount row 14.
    reason = "not a number (use digits and a dot, e.g. 1200.50)"
    only_reject(ingested, 14, "amount", reason, "abc")
    stored = ingested.ledger.table("input_invoice_lines")
    rows = {r["line_id"]: r["_row"] for r in ingested.ledger.execute(stored).to_pylist()}
    assert rows == {"G1": 2, "G2": 9, "G3": 13}


def test_good_rows_are_ingested_regardless(ingested: Ingested) -> None:
    lines = ingested.result.files[-1]
    assert (lines.accepted, lines.rejected, lines.unchanged) == (3, 11, 1)
    mrr = mrr_by_customer(ingested.ledger)
    january = {customer: months["2024-01"] for customer, months in mrr.items()}
    assert january == {"C1": Decimal("100.00"), "C2": Decimal("55.00"), "C3": Decimal("30.00")}


def test_rejects_are_stored_and_listable(ingested: Ingested) -> None:
    table = ingested.ledger.rejects()
    assert table.column_names == ["ingest_id", "kind", "file", "row", "column", "reason", "value"]
    assert table.column("row").to_pylist() == [3, 4, 5, 6, 7, 8, 10, 12, 14, 15, 16]
    assert ingested.ledger.rejects(ingest_id=1).num_rows == 11
    assert ingested.ledger.rejects(ingest_id=2).num_rows == 0
    assert [r.row for r in ingested.result.rejects] == [3, 4, 5, 6, 7, 8, 10, 12, 14, 15, 16]


def test_refused_rows_are_kept_as_they_came(ingested: Ingested) -> None:
    refused = ingested.ledger.refused_rows("invoice_lines").to_pylist()
    by_row = {r["_row"]: r for r in refused}
    assert by_row[3]["amount"] == "12.5x"
    assert by_row[8]["currency"] == "JPY"


def test_the_ingest_log_counts_each_file(ingested: Ingested) -> None:
    log = ingested.ledger.ingests().to_pylist()
    counts = {r["kind"]: (r["accepted"], r["rejected"], r["unchanged"]) for r in log}
    assert counts == {"fx_rates": (1, 0, 0), "invoice_lines": (3, 11, 1)}


OTHER_KINDS = {
    "subscriptions": (
        "subscription_id,customer_id,start_date,end_date,amount,interval_months\n"
        "S1,C1,2024-01-01,2023-12-01,100.00,1\n"
        "S2,C1,2024-01-01,,100.00,0\n"
    ),
    # Spaces around header names are ignored (docs/data-model.md).
    "mrr": " customer_id , month,mrr\n,2024-01,100.00\nC1,2024-13,100.00\nC1,2024-01,-5\n",
    "fx_rates": "month,currency,rate\n2024-01,EUR,1,1\n2024-01,EURO,1.1\n2024-02,EUR,0\n",
}


@pytest.fixture(scope="module")
def other_kinds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Reject]]:
    """Bad rows of the other input kinds, ingested together: the rejects of each file."""
    inputs = Inputs(tmp_path_factory.mktemp("kinds"))
    paths = {kind: inputs.text(f"{kind}.csv", text) for kind, text in OTHER_KINDS.items()}
    result = Ledger().ingest(**paths)
    return {
        kind: [r for r in result.rejects if r.file == str(path)] for kind, path in paths.items()
    }


END_BEFORE_START = "end before start: end_date must be after start_date"
NOT_A_CODE = "not a currency code (three letters, e.g. EUR)"


@pytest.mark.parametrize(
    ("kind", "row", "column", "reason", "value"),
    [
        ("subscriptions", 2, "end_date", END_BEFORE_START, "2023-12-01"),
        ("subscriptions", 3, "interval_months", "must be 1 or more", "0"),
        ("mrr", 2, "customer_id", "missing customer", ""),
        ("mrr", 3, "month", "not a month: use YYYY-MM", "2024-13"),
        ("mrr", 4, "mrr", "must not be negative", "-5"),
        ("fx_rates", 2, "*", "expected 3 fields, found 4", "2024-01,EUR,1,1"),
        ("fx_rates", 3, "currency", NOT_A_CODE, "EURO"),
        ("fx_rates", 4, "rate", "must be greater than 0", "0"),
    ],
)
def test_other_kinds_reject_the_same_way(
    other_kinds: dict[str, list[Reject]],
    kind: str,
    row: int,
    column: str,
    reason: str,
    value: str,
) -> None:
    found = [r for r in other_kinds[kind] if r.row == row]
    assert [(r.column, r.reason, r.value) for r in found] == [(column, reason, value)]
    assert found[0].file.endswith(f"{kind}.csv")


def test_other_kinds_reject_every_bad_row(other_kinds: dict[str, list[Reject]]) -> None:
    rows = {kind: [r.row for r in found] for kind, found in other_kinds.items()}
    assert rows == {"subscriptions": [2, 3], "mrr": [2, 3, 4], "fx_rates": [2, 3, 4]}
