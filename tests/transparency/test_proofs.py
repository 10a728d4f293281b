"""Statements and signed reports from a real ledger with its revenue log (ledger/proofs.py):
a customer's own facts with proofs against the latest head, their MRR history, one signature."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netretain import Ledger, NotFoundError
from netretain.ledger import proofs
from netretain.transparency import merkle
from netretain.transparency.errors import VerificationError
from netretain.transparency.signed_report import verify_report
from netretain.transparency.statement import verify_statement
from tests.conftest import Inputs, mrr_rows

LINES = [
    ("L1", "acme", "2024-01-01", "subscription", "2024-01-01", "2024-02-01", "100.00", "USD"),
    ("L2", "acme", "2024-02-01", "subscription", "2024-02-01", "2024-03-01", "120.00", "USD"),
    ("L3", "acme", "2024-02-01", "usage", "2024-02-01", "2024-03-01", "7.25", "USD"),
    ("L4", "beta", "2024-01-01", "subscription", "2024-01-01", "2024-03-01", "80.00", "USD"),
]
CUSTOMERS = [("acme", "Acme Ltd", "2023-12-01"), ("beta", "Beta GmbH", "2023-11-15")]


def make_ledger(folder: Path) -> Ledger:
    inputs = Inputs(folder)
    found = Ledger(folder / "ledger.duckdb")
    found.ingest(customers=inputs.customers(CUSTOMERS), invoice_lines=inputs.invoice_lines(LINES))
    return found


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    return make_ledger(tmp_path_factory.mktemp("proofs"))


def test_a_statement_holds_the_customers_own_facts_proven(ledger: Ledger) -> None:
    statement = json.loads(json.dumps(proofs.statement(ledger, "acme")))  # as a file holds it
    done = verify_statement(statement, ledger.public_key())
    kinds = sorted((r["kind"], (r["row"] or {}).get("line_id")) for r in done.records)
    assert kinds == [
        ("customers", None),
        ("invoice_lines", "L1"),
        ("invoice_lines", "L2"),
        ("invoice_lines", "L3"),
    ]
    assert {r["row"]["customer_id"] for r in done.records} == {"acme"}
    assert done.head == ledger.log_head().head
    assert [(h["month"], h["mrr"]) for h in done.history] == [
        ("2024-01", "100.00"),
        ("2024-02", "127.25"),  # usage is revenue under ndr@1
    ]
    assert done.history[1]["expansion"] == "27.25" and done.currency == "USD"


def test_the_history_is_the_ledgers(ledger: Ledger) -> None:
    statement = proofs.statement(ledger, "beta")
    rows = ledger.customer_rows(customer_id="beta")
    assert [Decimal(h["mrr"]) for h in statement["history"]] == [r["mrr"] for r in rows]


def test_a_statement_for_an_unknown_customer_is_refused(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="no customer 'nobody'"):
        proofs.statement(ledger, "nobody")


def test_a_statement_is_against_the_latest_head(tmp_path: Path) -> None:
    ledger = make_ledger(tmp_path)
    inputs = Inputs(tmp_path / "more")
    (tmp_path / "more").mkdir()
    more = [("L5", "acme", "2024-03-01", "subscription", "2024-03-01", "2024-04-01", "130", "USD")]
    ledger.ingest(invoice_lines=inputs.invoice_lines(more))
    statement = proofs.statement(ledger, "acme")
    assert statement["head"] == ledger.log_head().to_dict()
    assert len(ledger.log_heads()) == 2
    assert len(verify_statement(statement, ledger.public_key()).records) == 5


def test_a_signed_report_is_bound_to_the_latest_head(ledger: Ledger) -> None:
    report = ledger.report("2024-02")
    signed = json.loads(json.dumps(proofs.signed_report(ledger, report)))
    done = verify_report(signed, ledger.public_key())
    assert done.head == ledger.log_head().head
    assert done.figures["total_mrr"] == "167.25"  # exact decimal strings, as signed
    assert done.definition_sha256 == report.definition["sha256"]
    signed["report"]["total_mrr"] = "167.26"
    with pytest.raises(VerificationError, match="bad signature"):
        verify_report(signed, ledger.public_key())


def test_anchor_figures_are_the_reports_cents_and_the_head(ledger: Ledger) -> None:
    report = ledger.report("2024-02")
    sent = proofs.anchor_figures(ledger, report)
    head = ledger.log_head().head
    assert (sent.root, sent.size, sent.as_of) == (head.root, head.size, "2024-02")
    assert sent.definition_sha256 == report.definition["sha256"]
    assert (sent.starting_cents, sent.ending_cents) == (
        int(report.starting_mrr * 100),
        int(report.ending_mrr * 100),
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """A log over two full blocks of 1024 leaves and into a third: 120 customers x 26 months."""
    folder = tmp_path_factory.mktemp("big")
    rows = [row for c in range(120) for row in mrr_rows(f"c{c:03d}", "2022-01", "2024-02", "10.00")]
    found = Ledger(folder / "ledger.duckdb")
    found.ingest(mrr=Inputs(folder).mrr(rows))
    return found


@pytest.fixture(scope="module")
def hashes(big: Ledger) -> list[bytes]:
    return big.log_leaf_hashes()


def test_statement_proofs_are_the_rfc_audit_paths(big: Ledger, hashes: list[bytes]) -> None:
    size = len(hashes)
    assert size == 120 * 26 > 3 * 1024
    indexes = [0, 1, 1023, 1024, 2047, 2048, 3071, 3072, size - 2, size - 1, 1500]
    expected = merkle.inclusion_proofs(hashes, indexes, size)
    assert big.inclusion_proofs(indexes, size) == expected
    smaller = 2050  # an older head's size: a tree that ends inside the third block
    assert big.inclusion_proofs([5, 2049], smaller) == merkle.inclusion_proofs(
        hashes, [5, 2049], smaller
    )
    assert big.inclusion_proofs([], size) == {}


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_every_statement_proof_verifies(big: Ledger, hashes: list[bytes], data) -> None:
    size = data.draw(st.integers(1, len(hashes)))
    indexes = data.draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=5, unique=True))
    root = merkle.root_of_hashes(hashes[:size])
    for i, proof in big.inclusion_proofs(indexes, size).items():
        assert merkle.verify_inclusion(hashes[i], i, size, proof, root)


def test_a_reader_signs_statements_with_its_ledgers_key(ledger: Ledger) -> None:
    reader = ledger.reader()
    try:
        statement = proofs.statement(reader, "beta")
        assert reader.path == ledger.path and reader.currency == ledger.currency
    finally:
        reader.close()
    assert verify_statement(statement, ledger.public_key()).head == ledger.log_head().head
