"""A tiny ledger whose every analysis figure is computed by hand in the tests (built once).

MRR (USD), one row per customer and month, 2024-01 .. 2025-01:

    A  SMB         NA    starter   100 every month
    B  SMB         EMEA  growth    200 in 2024-01 .. 2024-06, then gone (churns in 2024-07)
    C  Enterprise  NA    scale    1000 in 2024-01 .. 2024-12, 1500 in 2025-01 (expansion 500)
    D  Enterprise  EMEA  scale     800 in 2024-01 .. 2024-12,  600 in 2025-01 (contraction 200)
    E  Enterprise  NA    scale     300 from 2024-03 (new; in no 12-month cohort)

Trailing-12 cohort at 2025-01 = A, B, C, D: start 2100, end 2200, expansion 500, contraction 200,
churn 200. X and Y carry plans on invoice lines for `plan_at_start` (see test_segments).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netretain import Ledger
from tests.conftest import Inputs

MONTHS = [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01"]
PROFILE = {
    "A": {m: "100.00" for m in MONTHS},
    "B": {m: "200.00" for m in MONTHS[:6]},
    "C": {m: ("1500.00" if m == "2025-01" else "1000.00") for m in MONTHS},
    "D": {m: ("600.00" if m == "2025-01" else "800.00") for m in MONTHS},
    "E": {m: "300.00" for m in MONTHS[2:]},
}
CUSTOMERS = [
    ("A", "Alpha", "SMB", "NA", "starter"),
    ("B", "Beta", "SMB", "EMEA", "growth"),
    ("C", "Gamma", "Enterprise", "NA", "scale"),
    ("D", "Delta", "Enterprise", "EMEA", "scale"),
    ("E", "Epsilon", "Enterprise", "NA", "scale"),
]


def build_tiny(directory: Path) -> Ledger:
    """The tiny ledger above, ingested from CSV files in `directory`."""
    inputs = Inputs(directory)
    customers = inputs.csv(
        "customers.csv", ("customer_id", "name", "segment", "region", "plan"), CUSTOMERS
    )
    rows = [(c, m, v, "USD") for c, months in PROFILE.items() for m, v in months.items()]
    ledger = Ledger()
    result = ledger.ingest(customers=customers, mrr=inputs.mrr(rows))
    assert result.rejects == []
    return ledger


@pytest.fixture(scope="package")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    """The tiny ledger, built once for every analysis test."""
    return build_tiny(tmp_path_factory.mktemp("tiny"))
