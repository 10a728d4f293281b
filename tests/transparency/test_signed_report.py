"""Signed reports: a real report's figures bound to its definition and a head; one digit fails."""

from __future__ import annotations

import json

import pytest

from netretain.transparency import merkle
from netretain.transparency.errors import VerificationError
from netretain.transparency.heads import next_head, sign_head
from netretain.transparency.keys import init_keys, load_private_key
from netretain.transparency.signed_report import sign_report, verify_report

from .conftest import mrr_leaves, small_report


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    return small_report(tmp_path_factory.mktemp("report"))


def signed_head(key):
    leaves = mrr_leaves(4)
    return sign_head(next_head(None, len(leaves), merkle.root(leaves)), key)


def test_a_signed_report_verifies(report, private_key, public_key) -> None:
    sha = report["definition"]["sha256"]
    signed = sign_report(report, sha, signed_head(private_key), private_key)
    verified = verify_report(json.dumps(signed, indent=2), public_key)
    assert verified.figures == report
    assert verified.definition_sha256 == sha
    assert verified.head.size == 12


def digits(value, path=()):
    """Every (path, number) in the figures: the places a digit can be changed."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from digits(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from digits(v, (*path, i))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, value


def test_any_changed_digit_fails(report, private_key, public_key) -> None:
    signed = sign_report(
        report, report["definition"]["sha256"], signed_head(private_key), private_key
    )
    numbers = list(digits(signed["report"]))
    assert len(numbers) > 20  # the headline and every month's movements
    for path, value in numbers:
        tampered = json.loads(json.dumps(signed))
        target = tampered["report"]
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value + (1 if isinstance(value, int) else 0.01)
        with pytest.raises(VerificationError, match="bad signature"):
            verify_report(tampered, public_key)


def test_definition_and_head_are_bound(report, private_key, public_key, tmp_path) -> None:
    sha = report["definition"]["sha256"]
    signed = sign_report(report, sha, signed_head(private_key), private_key)
    for field, value in [
        ("definition_sha256", "0" * 64),
        ("head", {**signed["head"], "key_id": "x"}),
    ]:
        with pytest.raises(VerificationError, match="bad signature"):
            verify_report({**signed, field: value}, public_key)
    with pytest.raises(VerificationError, match="made by definition"):
        sign_report(report, "f" * 64, signed_head(private_key), private_key)
    other = load_private_key(init_keys(tmp_path / "other").private)
    with pytest.raises(VerificationError, match="another key"):
        verify_report(sign_report(report, sha, signed_head(other), other), public_key)


@pytest.mark.parametrize("junk", ["{}", "[]", '{"v": 1, "key_id": 3}', "not json"])
def test_junk_is_not_a_signed_report(public_key, junk) -> None:
    with pytest.raises(VerificationError):
        verify_report(junk, public_key)
