"""Which accounts of a campaign are held out: reproducible from the seed alone (issue 17)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def draw(seed: int, customer_id: str) -> str:
    """An account's place in the seed's random order: a hash of the seed and its id."""
    return hashlib.sha256(f"{seed}:{customer_id}".encode()).hexdigest()


def held_out(customers: Sequence[str], share: float, seed: int) -> frozenset[str]:
    """round(share x n) accounts, those first in the seed's order: the same seed and accounts
    always hold out the same ones, whatever order the accounts come in."""
    count = round(share * len(customers))
    order = sorted(set(customers), key=lambda c: (draw(seed, c), c))
    return frozenset(order[:count])
