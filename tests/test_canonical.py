"""Canonical JSON: one byte string per value, whatever order or types it was built with."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netretain.canonical import CanonicalError, canonical_bytes


def test_keys_sorted_no_whitespace_explicit_nulls() -> None:
    value = {"b": [1, True, None], "a": {"d": "x", "c": None}}
    assert canonical_bytes(value) == b'{"a":{"c":null,"d":"x"},"b":[1,true,null]}'


def test_text_is_utf8_with_only_quotes_backslashes_and_controls_escaped() -> None:
    assert canonical_bytes('Zoë "q" \\ / \n\x01') == '"Zoë \\"q\\" \\\\ / \\n\\u0001"'.encode()


def test_keys_sort_by_utf16_code_units_as_rfc_8785() -> None:
    # U+1F600 is D83D DE00 in UTF-16, before U+FB01: code-point order would put it after.
    assert canonical_bytes({"\ufb01": 1, "\U0001f600": 2}) == '{"😀":2,"ﬁ":1}'.encode()


def test_decimals_dates_and_floats() -> None:
    value = [Decimal("1E+2"), Decimal("0.10"), dt.date(2024, 2, 29), 1.05, 2.0]
    assert canonical_bytes(value) == b'["100","0.10","2024-02-29",1.05,2.0]'


@pytest.mark.parametrize(
    "bad", [float("nan"), float("inf"), Decimal("NaN"), dt.datetime(2024, 1, 1), b"x", {1: 2}]
)
def test_values_without_one_form_are_refused(bad) -> None:
    with pytest.raises(CanonicalError):
        canonical_bytes(bad)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_round_trips_through_json_and_is_stable(value) -> None:
    data = canonical_bytes(value)
    assert canonical_bytes(json.loads(data)) == data
