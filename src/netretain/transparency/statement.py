"""Customer statements: a customer's own leaves with inclusion proofs and their MRR history, signed.

JSON: {"as_of", "currency", "customer_id", "head": <signed head>, "history": [<month rows>],
"key_id", "leaves": [{"index", "data", "proof"}], "signature", "v": 1}. `data` is the leaf's
canonical JSON as text (its UTF-8 bytes are the leaf) and `proof` the hex audit path to the head's
root: the facts prove themselves. `history` is what netretain derived from them (MRR and each
movement per month, decimal strings in `currency`); the signature vouches for it and binds it to
the head. It covers "netretain customer statement v1" || 0x00 || the canonical JSON of everything
but `key_id` and `signature`. Anyone with the public key checks a statement without a database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from netretain.canonical import canonical_bytes
from netretain.transparency.errors import VerificationError, verified
from netretain.transparency.heads import SignedHead, TreeHead, verify_head
from netretain.transparency.keys import key_id, sign, signature_ok
from netretain.transparency.merkle import hash_leaf, verify_inclusion

STATEMENT_VERSION = 1
STATEMENT_DOMAIN = "netretain customer statement v1"
SIGNED_OUT = ("key_id", "signature")  # the fields a statement's signature does not cover


@dataclass(frozen=True)
class VerifiedStatement:
    """What a verified statement proves: these facts are in the log the head signs, and the key
    vouches for the history derived from them."""

    customer_id: str
    head: TreeHead
    records: tuple[dict[str, Any], ...]  # each leaf's JSON, decoded, in index order
    indexes: tuple[int, ...]
    history: tuple[dict[str, Any], ...]
    currency: str
    as_of: str | None


def build_statement(
    customer_id: str,
    leaves: Iterable[tuple[int, bytes]],
    head: SignedHead,
    proofs: Mapping[int, Sequence[bytes]],
    key: Ed25519PrivateKey,
    *,
    currency: str,
    history: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The signed statement of (index, leaf bytes) pairs; proofs[index] is the audit path to `head`.

    Compute `proofs` with `merkle.inclusion_proofs(leaf_hashes, indexes, head.head.size)`;
    `history` rows hold a "month" and money (Decimals or decimal strings, never floats).
    """
    entries = [
        {"data": data.decode("utf-8"), "index": index, "proof": [p.hex() for p in proofs[index]]}
        for index, data in sorted(leaves)
    ]
    rows = json.loads(canonical_bytes(list(history)))  # Decimals as their exact strings
    body = {
        "as_of": rows[-1]["month"] if rows else None,
        "currency": currency,
        "customer_id": customer_id,
        "head": head.to_dict(),
        "history": rows,
        "leaves": entries,
        "v": STATEMENT_VERSION,
    }
    signature = sign(key, STATEMENT_DOMAIN, canonical_bytes(body))
    return {**body, "key_id": key_id(key.public_key()), "signature": signature.hex()}


def verify_statement(
    data: Mapping[str, Any] | str | bytes, public_key: Ed25519PublicKey
) -> VerifiedStatement:
    """Check the head's signature, every leaf's proof, then the statement's signature;
    VerificationError names the first thing that fails."""
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
    _check_signature(statement, public_key)  # after the leaves, so a changed fact is named
    return VerifiedStatement(
        customer,
        head,
        tuple(records),
        tuple(indexes),
        tuple(statement["history"]),
        str(statement["currency"]),
        statement["as_of"],
    )


def _check_signature(statement: Mapping[str, Any], public_key: Ed25519PublicKey) -> None:
    if statement["key_id"] != key_id(public_key):
        raise VerificationError("the statement was signed by another key")
    body = {k: v for k, v in statement.items() if k not in SIGNED_OUT}
    try:
        signature = bytes.fromhex(statement["signature"])
    except ValueError as e:
        raise VerificationError("the statement's signature is not hex") from e
    if not signature_ok(public_key, STATEMENT_DOMAIN, canonical_bytes(body), signature):
        raise VerificationError("bad signature: the statement's history or customer changed")


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
