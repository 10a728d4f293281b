"""Customer statements: a customer's own leaves, each with its inclusion proof, under a signed head.

JSON: {"customer_id", "head": <signed head>, "leaves": [{"index", "data", "proof"}], "v": 1}, where
`data` is the leaf's canonical JSON as text (its UTF-8 bytes are the leaf) and `proof` the hex audit
path to the head's root. Anyone with the public key checks it without a database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from netretain.transparency.errors import VerificationError, verified
from netretain.transparency.heads import SignedHead, TreeHead, verify_head
from netretain.transparency.merkle import hash_leaf, verify_inclusion

STATEMENT_VERSION = 1


@dataclass(frozen=True)
class VerifiedStatement:
    """What a verified statement proves: these facts are in the log the head signs."""

    customer_id: str
    head: TreeHead
    records: tuple[dict[str, Any], ...]  # each leaf's JSON, decoded, in index order
    indexes: tuple[int, ...]


def build_statement(
    customer_id: str,
    leaves: Iterable[tuple[int, bytes]],
    head: SignedHead,
    proofs: Mapping[int, Sequence[bytes]],
) -> dict[str, Any]:
    """The statement of (index, leaf bytes) pairs; proofs[index] is the audit path to `head`.

    Compute `proofs` with `merkle.inclusion_proofs(leaf_hashes, indexes, head.head.size)`.
    """
    entries = [
        {"data": data.decode("utf-8"), "index": index, "proof": [p.hex() for p in proofs[index]]}
        for index, data in sorted(leaves)
    ]
    return {
        "customer_id": customer_id,
        "head": head.to_dict(),
        "leaves": entries,
        "v": STATEMENT_VERSION,
    }


def verify_statement(
    data: Mapping[str, Any] | str | bytes, public_key: Ed25519PublicKey
) -> VerifiedStatement:
    """Check the head's signature and every leaf's proof; VerificationError names what fails."""
    return verified(data, "statement", lambda doc: _verify(doc, public_key))


def _verify(statement: Mapping[str, Any], public_key: Ed25519PublicKey) -> VerifiedStatement:
    if statement.get("v") != STATEMENT_VERSION:
        raise VerificationError(f"unknown statement version {statement.get('v')!r}")
    head = verify_head(SignedHead.from_dict(statement["head"]), public_key)
    customer = str(statement["customer_id"])
    records, indexes = [], []
    for entry in statement["leaves"]:
        records.append(_verify_leaf(entry, head, customer))
        indexes.append(int(entry["index"]))
    return VerifiedStatement(customer, head, tuple(records), tuple(indexes))


def _verify_leaf(entry: Mapping[str, Any], head: TreeHead, customer: str) -> dict[str, Any]:
    index, text = int(entry["index"]), str(entry["data"])
    try:
        proof = [bytes.fromhex(p) for p in entry["proof"]]
    except ValueError as e:
        raise VerificationError(f"leaf {index}: the proof is not hex") from e
    leaf = hash_leaf(text.encode("utf-8"))
    if not verify_inclusion(leaf, index, head.size, proof, head.root):
        raise VerificationError(f"leaf {index} is not in the signed log of {head.size} leaves")
    record = json.loads(text)
    row = record.get("row") or {}
    if row.get("customer_id", customer) != customer:
        raise VerificationError(f"leaf {index} belongs to {row['customer_id']!r}, not {customer!r}")
    return record
