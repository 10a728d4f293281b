"""Portal tokens: signed with the ledger key, one customer, an expiry; nothing else passes."""

from __future__ import annotations

import pytest

from netretain.transparency.keys import init_keys, load_private_key
from netretain.transparency.tokens import (
    TokenForAnother,
    TokenRefused,
    check_token,
    issue_token,
    lifetime,
)

NOW = 1_790_000_000


def test_a_token_grants_its_customer_until_it_expires(private_key, public_key) -> None:
    token, claims = issue_token("acme", private_key, 3600, now=NOW)
    assert check_token(token, public_key, "acme", now=NOW + 3599) == claims
    assert (claims.issued, claims.expires) == (NOW, NOW + 3600)
    with pytest.raises(TokenRefused, match="expired"):
        check_token(token, public_key, "acme", now=NOW + 3600)
    with pytest.raises(TokenForAnother, match="another customer"):
        check_token(token, public_key, "beta", now=NOW)


def test_forged_and_malformed_tokens_are_refused(private_key, public_key, tmp_path) -> None:
    other = load_private_key(init_keys(tmp_path / "other").private)
    forged, _ = issue_token("acme", other, 3600, now=NOW)
    token, _ = issue_token("acme", private_key, 3600, now=NOW)
    payload, signature = token.split(".")
    longer, _ = issue_token("acme", private_key, 7200, now=NOW)
    spliced = f"{longer.split('.')[0]}.{signature}"  # a longer life under the old signature
    for bad in (forged, spliced, payload, f"{payload}.{signature}.x", "é.é", "", f"{payload}.AA"):
        with pytest.raises(TokenRefused):
            check_token(bad, public_key, "acme", now=NOW)


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("12h", 43200), ("7d", 604800)])
def test_lifetimes(text: str, seconds: int) -> None:
    assert lifetime(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "d", "0d", "-1d", "1.5h", "367d", "7w"])
def test_bad_lifetimes(text: str) -> None:
    with pytest.raises(ValueError):
        lifetime(text)
