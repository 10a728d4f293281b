"""A real key pair in a temporary directory, and a small log of revenue facts to sign heads over."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from netretain.cli.render import plain
from netretain.transparency.keys import KeyPaths, init_keys, load_private_key, load_public_key
from netretain.transparency.leaves import leaf_bytes
from tests.conftest import Inputs, ledger_from, mrr_rows


@pytest.fixture
def keys(tmp_path: Path) -> KeyPaths:
    return init_keys(tmp_path / "keys")


@pytest.fixture
def private_key(keys: KeyPaths) -> Ed25519PrivateKey:
    return load_private_key(keys.private)


@pytest.fixture
def public_key(keys: KeyPaths) -> Ed25519PublicKey:
    return load_public_key(keys.public)


def mrr_leaves(customers: int, months: int = 3) -> list[bytes]:
    """One MRR fact per customer and month, in the log's append order (month, then customer)."""
    return [
        leaf_bytes(
            "mrr",
            {
                "customer_id": f"c{c}",
                "month": f"2024-{m:02d}",
                "mrr": f"{100 + 10 * c + m}.50",
                "currency": "USD",
            },
        )
        for m in range(1, months + 1)
        for c in range(customers)
    ]


def small_report(directory: Path) -> dict:
    """A report netretain computes on a small ledger, as `netretain report --format json` prints it.

    Cohort of March 2023: a stays at 100, b expands 250 -> 300, e contracts 90 -> 60, c churns;
    d is new in 2024 and outside the cohort.
    """
    ledger = ledger_from(
        Inputs(directory),
        mrr=[
            *mrr_rows("a", "2023-01", "2024-03", "100.00"),
            *mrr_rows("b", "2023-01", "2024-02", "250.00"),
            *mrr_rows("b", "2024-03", "2024-03", "300.00"),
            *mrr_rows("c", "2023-01", "2023-10", "80.00"),
            *mrr_rows("e", "2023-01", "2023-12", "90.00"),
            *mrr_rows("e", "2024-01", "2024-03", "60.00"),
            *mrr_rows("d", "2024-01", "2024-03", "40.00"),
        ],
    )
    return plain(ledger.report("2024-03").to_dict())
