"""Signed tree heads: what the log held at the end of an ingest, chained and signed with Ed25519.

A head body is the canonical JSON of {"previous", "root", "size", "sources", "time", "v"}: the log
size, its RFC 6962 root (hex), a UTC time "YYYY-MM-DDTHH:MM:SSZ", the SHA-256 (hex) of the previous
head's body (null for the first) and the digests of the files that ingest read. The signature
covers "netretain tree head v1" || 0x00 || body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from netretain.canonical import canonical_bytes
from netretain.transparency.errors import VerificationError
from netretain.transparency.keys import HEAD_DOMAIN, key_id, sign, signature_ok
from netretain.transparency.merkle import HASH_SIZE, Frontier, verify_consistency

HEAD_VERSION = 1
ProofSource = Callable[[int, int], Sequence[bytes]]  # (old size, new size) -> consistency proof


@dataclass(frozen=True, order=True)
class Source:
    """One input file an ingest read: its kind, its name and the SHA-256 (hex) of its bytes."""

    kind: str
    file: str
    sha256: str


@dataclass(frozen=True)
class TreeHead:
    """The state of the log after one ingest, before signing."""

    size: int
    root: bytes
    time: str
    previous: bytes | None = None
    sources: tuple[Source, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous": None if self.previous is None else self.previous.hex(),
            "root": self.root.hex(),
            "size": self.size,
            "sources": [vars(s) for s in sorted(self.sources)],
            "time": self.time,
            "v": HEAD_VERSION,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TreeHead:
        if data.get("v") != HEAD_VERSION:
            raise VerificationError(f"unknown tree head version {data.get('v')!r}")
        previous = data["previous"]
        return cls(
            size=int(data["size"]),
            root=bytes.fromhex(data["root"]),
            time=str(data["time"]),
            previous=None if previous is None else bytes.fromhex(previous),
            sources=tuple(sorted(Source(**s) for s in data["sources"])),
        )

    def body(self) -> bytes:
        """The canonical bytes that are signed and chained."""
        return canonical_bytes(self.to_dict())

    def hash(self) -> bytes:
        """SHA-256 of the body: what the next head names as `previous`."""
        return hashlib.sha256(self.body()).digest()


@dataclass(frozen=True)
class SignedHead:
    """A tree head, its Ed25519 signature and its key's id (SHA-256 of the raw public key)."""

    head: TreeHead
    signature: bytes
    key_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "head": self.head.to_dict(),
            "key_id": self.key_id,
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedHead:
        try:
            head = TreeHead.from_dict(data["head"])
            return cls(head, bytes.fromhex(data["signature"]), str(data["key_id"]))
        except (KeyError, TypeError, ValueError) as e:
            raise VerificationError(f"not a signed tree head: {e!r}") from e


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_head(
    previous: SignedHead | None,
    size: int,
    root: bytes,
    sources: Iterable[Source] = (),
    time: str | None = None,
) -> TreeHead:
    """The head that follows `previous` (None for the log's first head)."""
    if len(root) != HASH_SIZE:
        raise ValueError("a tree root is 32 bytes")
    if previous is not None and size < previous.head.size:
        raise ValueError(f"the log cannot shrink from {previous.head.size} to {size} leaves")
    parent = None if previous is None else previous.head.hash()
    return TreeHead(size, root, time or utc_now(), parent, tuple(sorted(sources)))


def seal(
    previous: SignedHead | None,
    frontier: Frontier,
    new_leaf_hashes: Iterable[bytes],
    sources: Iterable[Source],
    key: Ed25519PrivateKey,
    time: str | None = None,
) -> SignedHead:
    """End an ingest: append its leaf hashes to the log's frontier and sign the next head.

    `frontier` is extended in place; store `frontier.size` and `frontier.nodes` for the next ingest.
    """
    frontier.extend(new_leaf_hashes)
    head = next_head(previous, frontier.size, frontier.root(), sources, time)
    return sign_head(head, key)


def sign_head(head: TreeHead, key: Ed25519PrivateKey) -> SignedHead:
    return SignedHead(head, sign(key, HEAD_DOMAIN, head.body()), key_id(key.public_key()))


def verify_head(signed: SignedHead, key: Ed25519PublicKey) -> TreeHead:
    """The head, if `key` signed it; VerificationError otherwise."""
    if signed.key_id != key_id(key):
        raise VerificationError(f"head signed by key {signed.key_id[:16]}..., not this key")
    if not signature_ok(key, HEAD_DOMAIN, signed.head.body(), signed.signature):
        raise VerificationError(f"bad signature on the head of size {signed.head.size}")
    return signed.head


def check_chain(heads: Sequence[SignedHead], key: Ed25519PublicKey, prove: ProofSource) -> None:
    """Every head signed, each naming its predecessor, the log never shrinking and only growing.

    `prove(old_size, new_size)` returns the log's consistency proof; the first failure raises
    VerificationError naming the head (by position) and what is wrong.
    """
    for i, signed in enumerate(heads):
        try:
            verify_head(signed, key)
        except VerificationError as e:
            raise VerificationError(f"head {i}: {e}") from e
        if i == 0:
            continue
        _check_link(i, heads[i - 1].head, signed.head, prove)


def check_extends(
    saved: SignedHead, current: SignedHead, key: Ed25519PublicKey, prove: ProofSource
) -> None:
    """An auditor's check: the log of `current` only grew since the head they kept (`saved`)."""
    for name, signed in (("saved", saved), ("current", current)):
        try:
            verify_head(signed, key)
        except VerificationError as e:
            raise VerificationError(f"{name} head: {e}") from e
    _check_growth("the current head", "the saved head", saved.head, current.head, prove)


def _check_link(i: int, old: TreeHead, new: TreeHead, prove: ProofSource) -> None:
    if new.previous != old.hash():
        raise VerificationError(f"head {i} does not name head {i - 1} as its previous head")
    _check_growth(f"head {i}", f"head {i - 1}", old, new, prove)


def _check_growth(
    new_name: str, old_name: str, old: TreeHead, new: TreeHead, prove: ProofSource
) -> None:
    if new.size < old.size:
        raise VerificationError(f"{new_name} shrinks the log from {old.size} to {new.size} leaves")
    if old.size == 0:
        return  # every log extends the empty one
    proof = [] if new.size == old.size else prove(old.size, new.size)
    if not verify_consistency(old.size, new.size, old.root, new.root, proof):
        raise VerificationError(
            f"{new_name} (size {new.size}) is not an append-only extension of {old_name}"
            f" (size {old.size}): the log was rewritten"
        )
