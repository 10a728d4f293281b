"""A real key pair in a temporary directory, and a small log of revenue facts to sign heads over."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from netretain.transparency.keys import KeyPaths, init_keys, load_private_key, load_public_key
from netretain.transparency.leaves import leaf_bytes


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
