"""Ed25519 keys in PEM files, and domain-separated signatures over canonical bytes.

Every signature covers `domain || 0x00 || body`, so a signed head can never pass for a signed
report (or the reverse) even if their bodies happened to match.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from netretain.transparency.errors import KeyFileError

HEAD_DOMAIN = "netretain tree head v1"
REPORT_DOMAIN = "netretain signed report v1"


@dataclass(frozen=True)
class KeyPaths:
    """Where `init_keys` wrote the pair."""

    private: Path
    public: Path


def init_keys(directory: Path, name: str = "netretain") -> KeyPaths:
    """Make an Ed25519 pair: NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub; never overwrites."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = KeyPaths(directory / f"{name}.key", directory / f"{name}.pub")
    for path in (paths.private, paths.public):
        if path.exists():
            raise KeyFileError(f"{path} exists: keys are never overwritten; move it away first")
    key = Ed25519PrivateKey.generate()
    _write_new(paths.private, private_pem(key), 0o600)
    _write_new(paths.public, public_pem(key.public_key()), 0o644)
    return paths


def _write_new(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL, mode set at creation: the private key is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The private key in `path`, refused if group or others may read it (as ssh does)."""
    data = _read(path)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise KeyFileError(f"{path} is readable by others: run `chmod 600 {path}`")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise KeyFileError(f"{path} is not an unencrypted PEM private key: {e}") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key(source: Path | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file, PEM bytes, or its 32 raw bytes."""
    data = _read(source) if isinstance(source, Path) else source
    try:
        if len(data) == 32:
            return Ed25519PublicKey.from_public_bytes(data)
        key = serialization.load_pem_public_key(data)
    except ValueError as e:
        raise KeyFileError(f"not an Ed25519 public key: {e}") from e
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"a {type(key).__name__}, not an Ed25519 public key")
    return key


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise KeyFileError(f"cannot read key file {path}: {e.strerror}") from e


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex: names the key that signed, without trusting it."""
    return hashlib.sha256(raw_public(key)).hexdigest()


def sign(key: Ed25519PrivateKey, domain: str, body: bytes) -> bytes:
    """Ed25519 signature over domain || 0x00 || body."""
    return key.sign(domain.encode() + b"\x00" + body)


def signature_ok(key: Ed25519PublicKey, domain: str, body: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, domain.encode() + b"\x00" + body)
    except InvalidSignature:
        return False
    return True
