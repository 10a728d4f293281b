"""One ledger that exercises every MRR and FX rule, one customer per rule (built once)."""

from __future__ import annotations

import pytest

from netretain import Ledger
from tests.conftest import Inputs, ledger_from, mrr_rows

FX = [
    ("2024-01", "EUR", "1.10"),
    ("2024-03", "EUR", "1.30"),  # February has no EUR rate: January's carries forward
    ("2024-01", "GBP", "1.30"),
    ("2024-01", "CHF", "1.15"),
]

S, U, ONCE = "subscription", "usage", "one_time"
INVOICE_LINES = [
    # (line_id, customer, invoice_date, type, service_start, service_end, amount, currency, sub)
    ("A1", "A", "2024-01-01", S, "2024-01-01", "2025-01-01", "12000.00", "USD"),
    ("B1", "B", "2024-01-15", S, "2024-01-15", "2024-04-15", "300.00", "USD"),
    ("C1", "C", "2024-01-01", S, "2024-01-01", "2024-04-01", "300.00", "USD"),
    ("D1", "D", "2024-01-15", S, "2024-01-15", "2024-02-01", "17.00", "USD"),
    ("E1", "E", "2024-01-10", ONCE, None, None, "500.00", "USD"),
    ("E2", "E", "2024-01-01", ONCE, "2024-01-01", "2024-02-01", "999.00", "USD"),
    ("E3", "E", "2024-01-01", S, "2024-01-01", "2024-02-01", "50.00", "USD"),
    ("F1", "F", "2024-02-01", U, "2024-02-01", "2024-03-01", "80.00", "USD"),
    ("G1", "G", "2024-01-10", S, "2024-01-10", "2024-02-10", "100.00", "USD"),
    ("H1", "H", "2024-03-31", S, "2024-03-31", "2024-04-30", "90.00", "USD"),
    ("I1", "I", "2024-01-01", S, "2024-01-01", "2024-04-01", "300.00", "EUR"),
    ("J1", "J", "2024-01-01", U, "2024-01-01", "2024-02-01", "0.05", "EUR"),
    ("J2", "J", "2024-01-01", U, "2024-01-01", "2024-02-01", "0.05", "GBP"),
    ("K1", "K", "2024-01-01", U, "2024-01-01", "2024-02-01", "10.05", "EUR"),
    ("K2", "K", "2024-01-01", U, "2024-01-01", "2024-02-01", "20.05", "EUR"),
    ("L1", "L", "2024-01-01", S, "2024-01-01", "2024-02-01", "100.10", "CHF"),
    ("N1", "N", "2024-01-15", S, "2024-01-15", "2024-04-15", "3000.00", "USD"),
    ("N2", "N", "2024-04-15", S, "2024-04-15", "2024-07-15", "3000.00", "USD"),
    ("N3", "N", "2024-07-15", S, "2024-07-15", "2024-10-15", "3000.00", "USD"),
    ("N4", "N", "2024-10-15", S, "2024-10-15", "2025-01-15", "3000.00", "USD"),
    ("O1", "O", "2024-01-01", S, "2024-01-01", "2024-02-01", "500.00", "USD", "S-O"),
    ("R1", "R", "2024-01-05", ONCE, None, None, "1000.00", "USD"),
    ("T1", "T", "2024-01-31", S, "2024-01-31", "2024-03-15", "145.00", "USD"),
    ("U1", "U", "2024-02-15", S, "2024-02-15", "2024-03-01", "15.00", "USD"),
]

SUBSCRIPTIONS = [
    # (subscription_id, customer, start_date, end_date, amount, interval_months, currency)
    ("S-M", "M", "2024-01-15", None, "3000.00", "3", "USD"),
    ("S-O", "O", "2024-01-01", None, "1200.00", "1", "USD"),  # billed by line O1: not used
    ("S-Q", "Q", "2024-02-01", "2024-05-01", "1200.00", "12", "USD"),
    ("S-V", "V", "2024-02-01", "2024-03-01", "200.00", "1", "EUR"),
]

MRR_ROWS = [
    ("P", "2024-02", "250.00", "USD"),
    ("P", "2024-03", "300.00", "USD"),
    ("W", "2024-02", "100.00", "EUR"),
]


@pytest.fixture(scope="package")
def rules_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """Every MRR and FX rule, one customer each; read-only for the tests that share it."""
    inputs = Inputs(tmp_path_factory.mktemp("rules"))
    return ledger_from(
        inputs,
        fx_rates=FX,
        invoice_lines=INVOICE_LINES,
        subscriptions=SUBSCRIPTIONS,
        mrr=MRR_ROWS,
    )


# Movements, from MRR rows (2024-01 .. 2024-08). X walks through every movement; Z returns after
# four months at zero; Y joins in April; H pays $50 every month.
MOVEMENT_ROWS = [
    ("X", "2024-01", "100.00"),
    ("X", "2024-02", "150.00"),
    ("X", "2024-03", "120.00"),
    ("X", "2024-06", "80.00"),
    ("X", "2024-07", "80.00"),
    ("Z", "2024-01", "100.00"),
    *mrr_rows("Z", "2024-06", "2024-08", "100.00"),
    *mrr_rows("Y", "2024-04", "2024-08", "200.00"),
    *mrr_rows("H", "2024-01", "2024-08", "50.00"),
]


@pytest.fixture(scope="package")
def movements_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    return ledger_from(Inputs(tmp_path_factory.mktemp("movements")), mrr=MOVEMENT_ROWS)


# A trailing-12 cohort at T = 2024-01 (T - 12 = 2023-01), from MRR rows:
#   K1 flat 100; K2 200 -> 300 from 2023-10; K3 100 -> 40 from 2023-10; K4 100, gone from 2023-06;
#   K5 flat 40; K6 joins 2023-02 at 500; K9 100, away 2023-03 .. 2023-10, back at 100 from 2023-11.
COHORT_ROWS = [
    *mrr_rows("K1", "2023-01", "2024-01", "100.00"),
    *mrr_rows("K2", "2023-01", "2023-09", "200.00"),
    *mrr_rows("K2", "2023-10", "2024-01", "300.00"),
    *mrr_rows("K3", "2023-01", "2023-09", "100.00"),
    *mrr_rows("K3", "2023-10", "2024-01", "40.00"),
    *mrr_rows("K4", "2023-01", "2023-05", "100.00"),
    *mrr_rows("K5", "2023-01", "2024-01", "40.00"),
    *mrr_rows("K6", "2023-02", "2024-01", "500.00"),
    *mrr_rows("K9", "2023-01", "2023-02", "100.00"),
    *mrr_rows("K9", "2023-11", "2024-01", "100.00"),
]


@pytest.fixture(scope="package")
def cohort_ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    return ledger_from(Inputs(tmp_path_factory.mktemp("cohort")), mrr=COHORT_ROWS)
