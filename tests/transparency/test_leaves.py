"""The leaf byte format, pinned: an engine that hashes leaves in SQL must match these bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import duckdb
import pytest

from netretain.store.inputs import SPECS
from netretain.transparency.leaves import (
    LeafError,
    LeafRef,
    correction_bytes,
    leaf_bytes,
    leaf_hash,
    order_key,
)

# One row of every kind with its exact leaf bytes: the documented format, byte for byte.
GOLDEN = {
    "customers": (
        {"customer_id": "c1", "name": "Zoë", "signup_date": dt.date(2024, 1, 5), "tier": "gold"},
        '{"corrects":null,"kind":"customers","row":{"customer_id":"c1","name":"Zoë",'
        '"parent_id":null,"signup_date":"2024-01-05","tier":"gold"},"v":1}',
    ),
    "subscriptions": (
        {
            "subscription_id": "s1",
            "customer_id": "c1",
            "start_date": "2024-01-01",
            "end_date": None,
            "amount": Decimal("1200.5"),
            "interval_months": 12,
            "currency": "usd",
        },
        '{"corrects":null,"kind":"subscriptions","row":{"amount":"1200.50","currency":"USD",'
        '"customer_id":"c1","end_date":null,"interval_months":12,"plan":null,"quantity":null,'
        '"start_date":"2024-01-01","subscription_id":"s1"},"v":1}',
    ),
    "invoice_lines": (
        {
            "line_id": "L1",
            "customer_id": "c1",
            "invoice_date": "2024-01-01",
            "type": "usage",
            "service_start": "2024-01-01",
            "service_end": "2024-02-01",
            "amount": 1500,
            "currency": "JPY",
            "quantity": 3,
        },
        '{"corrects":null,"kind":"invoice_lines","row":{"amount":"1500","currency":"JPY",'
        '"customer_id":"c1","invoice_date":"2024-01-01","line_id":"L1","plan":null,"quantity":3,'
        '"service_end":"2024-02-01","service_start":"2024-01-01","subscription_id":null,'
        '"type":"usage"},"v":1}',
    ),
    "mrr": (
        {"customer_id": "c1", "month": "2024-03", "mrr": "-0.25", "currency": "BHD"},
        '{"corrects":null,"kind":"mrr","row":{"currency":"BHD","customer_id":"c1",'
        '"month":"2024-03","mrr":"-0.250"},"v":1}',
    ),
    "fx_rates": (
        {"month": 2024 * 12 + 1, "currency": "EUR", "rate": 1.15},
        '{"corrects":null,"kind":"fx_rates","row":{"currency":"EUR","month":"2024-02",'
        '"rate":"1.15"},"v":1}',
    ),
    "plans": (
        {"plan": "growth", "metric": "api_calls", "included_quantity": 3000.0},
        '{"corrects":null,"kind":"plans","row":{"included_quantity":"3000","metric":"api_calls",'
        '"plan":"growth"},"v":1}',
    ),
    "usage_events": (
        {"customer_id": "c1", "date": "2024-03-05T10:30:00", "metric": "api_calls", "quantity": 12},
        '{"corrects":null,"kind":"usage_events","row":{"customer_id":"c1",'
        '"date":"2024-03-05T10:30:00","metric":"api_calls","quantity":"12"},"v":1}',
    ),
}


def test_every_kind_has_a_golden_leaf() -> None:
    assert set(GOLDEN) == set(SPECS)


@pytest.mark.parametrize("kind", sorted(GOLDEN))
def test_leaf_bytes_are_the_documented_format(kind: str) -> None:
    row, expected = GOLDEN[kind]
    data = leaf_bytes(kind, row)
    assert data == expected.encode("utf-8")
    assert leaf_hash(data) == hashlib.sha256(b"\x00" + data).digest()


def test_one_fact_one_leaf_whatever_the_input_types() -> None:
    a = leaf_bytes("mrr", {"customer_id": "c", "month": "2024-01", "mrr": 100, "currency": "EUR"})
    b = leaf_bytes(
        "mrr",
        {
            "currency": "eur",
            "mrr": Decimal("100.000"),
            "month": dt.date(2024, 1, 31),
            "customer_id": "c",
        },
    )
    assert a == b


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"mrr": 1.5}, "never a float"),
        ({"mrr": "1.005"}, "finer than the 2 decimals of USD"),
        ({"currency": "JPY", "mrr": "10.5"}, "finer than the 0 decimals"),
        ({"month": "2024-13"}, "not YYYY-MM"),
        ({"nickname": "x"}, "has no column 'nickname'"),
    ],
)
def test_rows_outside_their_types_are_refused(row, reason) -> None:
    base = {"customer_id": "c", "month": "2024-01", "mrr": "1", "currency": "USD"}
    with pytest.raises(LeafError, match=reason):
        leaf_bytes("mrr", {**base, **row})


def test_bad_dates_and_kinds_are_refused() -> None:
    with pytest.raises(LeafError, match="not a valid date"):
        leaf_bytes("customers", {"customer_id": "c", "signup_date": "2024-02-30"})
    with pytest.raises(LeafError, match="unknown kind"):
        leaf_bytes("payments", {})


def test_a_correction_references_the_leaf_it_corrects() -> None:
    row, _ = GOLDEN["mrr"]
    old = leaf_bytes("mrr", row)
    ref = LeafRef(7, leaf_hash(old))
    fixed = correction_bytes("mrr", {**row, "mrr": "0.5"}, ref)
    record = json.loads(fixed)
    assert record["corrects"] == {"index": 7, "leaf_hash": leaf_hash(old).hex()}
    assert record["row"]["mrr"] == "0.500"
    withdrawn = json.loads(correction_bytes("mrr", None, ref))
    assert withdrawn["row"] is None and withdrawn["kind"] == "mrr"
    with pytest.raises(LeafError, match="32-byte"):
        correction_bytes("mrr", row, LeafRef(7, b"short"))


def test_order_key_puts_kinds_in_ingest_order_then_keys() -> None:
    rows = [
        ("mrr", {"customer_id": "b", "month": "2024-01", "mrr": "1", "currency": "USD"}),
        ("mrr", {"customer_id": "a", "month": "2024-02", "mrr": "1", "currency": "USD"}),
        ("fx_rates", {"month": "2024-01", "currency": "EUR", "rate": "1"}),
        ("customers", {"customer_id": "z"}),
    ]
    ordered = sorted(rows, key=lambda r: order_key(*r))
    assert [(k, r.get("customer_id")) for k, r in ordered] == [
        ("fx_rates", None),
        ("customers", "z"),
        ("mrr", "a"),
        ("mrr", "b"),
    ]


def test_duckdb_hashes_leaf_bytes_like_the_reference() -> None:
    # The engine half of set-based leaf hashing: SHA-256(0x00 || bytes) in SQL over stored leaves.
    con = duckdb.connect()
    con.execute("create table leaves (i int, data blob)")
    leaves = [leaf_bytes(kind, row) for kind, (row, _) in sorted(GOLDEN.items())]
    con.executemany("insert into leaves values (?, ?)", list(enumerate(leaves)))
    sql = "select sha256(from_hex('00') || data) from leaves order by i"
    hashes = [bytes.fromhex(h) for (h,) in con.execute(sql).fetchall()]
    assert hashes == [leaf_hash(d) for d in leaves]
