"""The demo company (seeded), ingested once per session into a DuckDB file for the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from netretain import Ledger
from netretain.synthetic import generate_company

CUSTOMERS, MONTHS, SEED = 3000, 36, 7


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company's ledger file (3000 customers x 36 months, seed 7)."""
    path = tmp_path_factory.mktemp("predict") / "demo.duckdb"
    company = generate_company(customers=CUSTOMERS, months=MONTHS, seed=SEED)
    ledger = Ledger(path)
    ledger.ingest_frames(**company.tables())
    ledger.store.close()
    return path
