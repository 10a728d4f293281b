"""Key files: made once, private key 0600 and refused when others can read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from netretain.transparency.errors import KeyFileError
from netretain.transparency.keys import (
    HEAD_DOMAIN,
    REPORT_DOMAIN,
    KeyPaths,
    init_keys,
    key_id,
    load_private_key,
    load_public_key,
    raw_public,
    sign,
    signature_ok,
)


def test_init_writes_a_private_key_only_its_owner_reads(keys: KeyPaths) -> None:
    assert keys.private.stat().st_mode & 0o777 == 0o600
    assert keys.private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert keys.public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    private = load_private_key(keys.private)
    public = load_public_key(keys.public)
    assert key_id(private.public_key()) == key_id(public)
    assert load_public_key(raw_public(public)) == public


def test_init_never_overwrites(keys: KeyPaths) -> None:
    before = keys.private.read_bytes()
    with pytest.raises(KeyFileError, match="never overwritten"):
        init_keys(keys.private.parent)
    assert keys.private.read_bytes() == before


def test_a_private_key_readable_by_others_is_refused(keys: KeyPaths) -> None:
    keys.private.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_private_key(keys.private)


def test_missing_and_wrong_files_say_what_they_are(keys: KeyPaths, tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read key file"):
        load_public_key(tmp_path / "nope.pub")
    with pytest.raises(KeyFileError, match="not an Ed25519 public key"):
        load_public_key(keys.private.read_bytes())


def test_signatures_are_bound_to_their_domain(private_key, public_key) -> None:
    signature = sign(private_key, HEAD_DOMAIN, b"body")
    assert signature_ok(public_key, HEAD_DOMAIN, b"body", signature)
    assert not signature_ok(public_key, REPORT_DOMAIN, b"body", signature)
    assert not signature_ok(public_key, HEAD_DOMAIN, b"bodY", signature)
