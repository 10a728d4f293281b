"""The revenue log a ledger keeps: leaves built in the engine equal the reference bytes, one signed
head per ingest, corrections that reference what they correct, proofs that verify."""

from __future__ import annotations

import datetime as dt
import json
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netretain import Ledger
from netretain.core.tables import literal_table
from netretain.engines.duckdb import DuckDBStore
from netretain.ledger import log as revenue_log
from netretain.store.catalogue import input_schema
from netretain.store.inputs import MONEY_DIGITS
from netretain.transparency import leaf_exprs, merkle
from netretain.transparency.errors import KeyFileError
from netretain.transparency.heads import check_chain, verify_head
from netretain.transparency.keys import init_keys, load_public_key
from netretain.transparency.leaves import leaf_bytes, order_key
from tests.conftest import Inputs, mrr_rows

from .test_leaves import GOLDEN

STORE = DuckDBStore()


def engine_leaves(kind: str, rows: list[dict[str, Any]], extra: tuple[str, ...] = ()) -> list[str]:
    """The engine's leaf text of rows stored as the ledger stores them (months as month_index)."""
    schema = {**input_schema(kind), **dict.fromkeys(extra, "string")}
    stored = [{("month_index" if k == "month" else k): v for k, v in r.items()} for r in rows]
    columns = {c: [r.get(c) for r in stored] for c in schema}
    table = literal_table(columns, schema)
    with revenue_log.deep_expressions():
        out = STORE.to_arrow(leaf_exprs.with_leaf(table, kind).select("_leaf", "_key"))
    keys = [order_key(kind, r)[1].decode() for r in rows]
    assert out.column("_key").to_pylist() == keys
    alone = STORE.to_arrow(leaf_exprs.with_key(table, kind).select("_key"))  # the append order
    assert alone.column("_key").to_pylist() == keys
    return out.column("_leaf").to_pylist()


def stored_form(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """A golden row as the ledger keeps it: months as indices, money as Decimal, currency upper."""
    out = dict(row)
    if "month" in out and isinstance(out["month"], str):
        year, month = map(int, out["month"].split("-"))
        out["month"] = year * 12 + month - 1
    for name in ("amount", "mrr"):
        if name in out:
            out[name] = Decimal(str(out[name]))
    for name in ("start_date", "end_date", "invoice_date", "service_start", "service_end"):
        if isinstance(out.get(name), str):
            out[name] = dt.date.fromisoformat(out[name])
    if "currency" in out:
        out["currency"] = out["currency"].upper()
    return out


@pytest.mark.parametrize("kind", sorted(GOLDEN))
def test_the_engine_builds_the_golden_leaf_of_every_kind(kind: str) -> None:
    row, expected = GOLDEN[kind]
    extra = tuple(k for k in row if k == "tier")
    assert engine_leaves(kind, [stored_form(kind, row)], extra) == [expected]


texts = st.text(st.characters(min_codepoint=1, max_codepoint=0x2FFF), max_size=12)
currencies = st.sampled_from(["USD", "JPY", "BHD", "CLF", "EUR"])
places = {"USD": 2, "JPY": 0, "BHD": 3, "CLF": 4, "EUR": 2}


@st.composite
def mrr_facts(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(currencies)
    top = 10 ** (MONEY_DIGITS + places[currency]) - 1  # the ledger keeps |amount| < 10**8
    units = draw(st.integers(-top, top))
    return {
        "customer_id": draw(texts),
        "month": draw(st.integers(0, 9999 * 12 + 11)),
        "mrr": Decimal(units).scaleb(-places[currency]),
        "currency": currency,
    }


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mrr_facts(), min_size=1, max_size=40))
def test_engine_leaves_equal_the_reference_for_any_text_amount_and_month(rows) -> None:
    expected = [leaf_bytes("mrr", r).decode() for r in rows]
    assert engine_leaves("mrr", rows) == expected


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "month": st.integers(1900 * 12, 2100 * 12),
                "currency": st.sampled_from(["EUR", "GBP"]),
                "rate": st.floats(1e-6, 1e6, allow_nan=False),
            }
        ),
        min_size=1,
        max_size=40,
    ),
    st.lists(texts, min_size=1, max_size=40),
)
def test_rates_dates_and_custom_columns_equal_the_reference(rates, names) -> None:
    assert engine_leaves("fx_rates", rates) == [leaf_bytes("fx_rates", r).decode() for r in rates]
    customers = [
        {"customer_id": n, "name": n, "signup_date": dt.date(2020, 2, 29), "tier": n or None}
        for n in names
    ]
    expected = [leaf_bytes("customers", c).decode() for c in customers]
    assert engine_leaves("customers", customers, ("tier",)) == expected


# a ledger's log -----------------------------------------------------------------------------------
def write_mrr(inputs: Inputs, name: str, rows: list[tuple[str, str, str, str]]) -> Path:
    return inputs.mrr(rows, name=name)


@pytest.fixture
def two_ingests(inputs: Inputs, tmp_path: Path) -> Ledger:
    """A ledger file: 6 MRR facts, then a file that corrects one and adds one (--replace)."""
    ledger = Ledger(tmp_path / "books.duckdb")
    first = [
        *mrr_rows("b", "2024-01", "2024-03", "100.00"),
        *mrr_rows("a", "2024-01", "2024-03", "50.00"),
    ]
    ledger.ingest(mrr=write_mrr(inputs, "one.csv", first))
    second = [("a", "2024-02", "55.00", "USD"), ("c", "2024-03", "10.00", "USD")]
    ledger.ingest(mrr=write_mrr(inputs, "two.csv", second), replace=True)
    return ledger


def test_each_ingest_appends_its_rows_in_key_order_and_signs_a_head(two_ingests: Ledger) -> None:
    heads = two_ingests.log_heads()
    assert [h.head.size for h in heads] == [6, 8]
    assert [s.file.rsplit("/", 1)[-1] for s in heads[0].head.sources] == ["one.csv"]
    log = two_ingests.execute(two_ingests.table("log_leaves").order_by("idx")).to_pylist()
    keys = [json.loads(r["key"]) for r in log]
    assert keys[:6] == sorted(keys[:6]) and keys[0] == ["a", "2024-01", "USD"]
    for signed in heads:
        verify_head(signed, two_ingests.public_key())
    check_chain(heads, two_ingests.public_key(), two_ingests.consistency_proof)
    leaves = [r["leaf"].encode() for r in log]
    assert heads[-1].head.root == merkle.root(leaves)


def test_a_correction_is_a_new_leaf_naming_the_leaf_it_corrects(two_ingests: Ledger) -> None:
    entries = two_ingests.log_entries("a")
    old = next(e for e in entries if json.loads(e.data)["row"]["month"] == "2024-02")
    fix = [e for e in entries if e.corrects is not None]
    assert len(fix) == 1 and fix[0].corrects == old.index and fix[0].index == 6
    body = json.loads(fix[0].data)
    assert body["corrects"] == {"index": old.index, "leaf_hash": old.leaf_hash.hex()}
    assert body["row"]["mrr"] == "55.00"
    assert json.loads(old.data)["row"]["mrr"] == "50.00"  # the old leaf is still there


def test_inclusion_proofs_of_a_customers_leaves_verify(two_ingests: Ledger) -> None:
    head = two_ingests.log_head()
    assert head is not None
    entries = two_ingests.log_entries("a")
    proofs = two_ingests.inclusion_proofs([e.index for e in entries])
    for e in entries:
        assert merkle.hash_leaf(e.data) == e.leaf_hash
        assert merkle.verify_inclusion(e.leaf_hash, e.index, 8, proofs[e.index], head.head.root)
    assert two_ingests.log_entries("nobody") == []


def test_an_ingest_that_reads_nothing_new_signs_no_head(
    two_ingests: Ledger, inputs: Inputs
) -> None:
    rows = [
        *mrr_rows("b", "2024-01", "2024-03", "100.00"),
        *mrr_rows("a", "2024-01", "2024-03", "50.00"),
    ]
    two_ingests.ingest(mrr=write_mrr(inputs, "one.csv", rows))  # same bytes: skipped
    assert len(two_ingests.log_heads()) == 2


def test_block_roots_hashed_a_block_per_statement_are_the_same(
    inputs: Inputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(revenue_log, "ROOTS_PART", 1)
    rows = [(f"c{i:05d}", "2024-01", f"{i}.00", "USD") for i in range(2 * revenue_log.CHUNK + 5)]
    ledger = Ledger()
    ledger.ingest(mrr=write_mrr(inputs, "big.csv", rows))
    hashes = ledger.log_leaf_hashes()
    blocks = ledger.execute(ledger.table("log_nodes").order_by("start")).to_pylist()
    chunk = revenue_log.CHUNK
    assert [(b["start"], bytes.fromhex(b["node"])) for b in blocks] == [
        (0, merkle.range_root(hashes, 0, chunk)),
        (chunk, merkle.range_root(hashes, chunk, 2 * chunk)),
    ]


def test_block_roots_serve_roots_and_proofs_past_two_thousand_leaves(inputs: Inputs) -> None:
    rows = [(f"c{i:05d}", "2024-01", f"{i}.00", "USD") for i in range(2 * revenue_log.CHUNK + 77)]
    ledger = Ledger()
    ledger.ingest(mrr=write_mrr(inputs, "big.csv", rows[:1500]))
    ledger.ingest(mrr=write_mrr(inputs, "more.csv", rows[1500:]))
    hashes = ledger.log_leaf_hashes()
    blocks = ledger.execute(ledger.table("log_nodes").order_by("start")).to_pylist()
    assert [b["start"] for b in blocks] == [0, revenue_log.CHUNK]
    assert bytes.fromhex(blocks[1]["node"]) == merkle.range_root(hashes, 1024, 2048)
    heads = ledger.log_heads()
    assert [h.head.root for h in heads] == [
        merkle.root_of_hashes(hashes[:1500]),
        merkle.root_of_hashes(hashes),
    ]
    size = len(hashes)
    picks = [0, 1023, 1024, 2047, size - 1]
    assert ledger.inclusion_proofs(picks) == merkle.inclusion_proofs(hashes, picks, size)
    for old in (1, 1024, 1500, 2048):
        assert ledger.consistency_proof(old) == merkle.consistency_proof(hashes, old, size)


# keys ---------------------------------------------------------------------------------------------
def test_the_signing_key_is_made_beside_the_ledger_once(
    two_ingests: Ledger, tmp_path: Path
) -> None:
    key, pub = tmp_path / "books.duckdb.key", tmp_path / "books.duckdb.pub"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert load_public_key(pub) == two_ingests.public_key()
    reopened = Ledger(tmp_path / "books.duckdb")
    assert reopened.signer.created is None
    verify_head(reopened.log_heads()[-1], reopened.public_key())


def test_a_key_named_by_argument_or_environment_signs(
    inputs: Inputs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = init_keys(tmp_path / "keys")
    monkeypatch.setenv("NETRETAIN_KEY", str(pair.private))
    ledger = Ledger(tmp_path / "env.duckdb")
    ledger.ingest(mrr=write_mrr(inputs, "m.csv", mrr_rows("a", "2024-01", "2024-02", "1.00")))
    verify_head(ledger.log_heads()[-1], load_public_key(pair.public))
    assert not (tmp_path / "env.duckdb.key").exists()
    monkeypatch.delenv("NETRETAIN_KEY")
    missing = Ledger(tmp_path / "other.duckdb", key=tmp_path / "nowhere.key")
    with pytest.raises(KeyFileError, match=r"nowhere\.key"):
        missing.ingest(mrr=write_mrr(inputs, "m2.csv", mrr_rows("a", "2024-01", "2024-02", "1.00")))
    assert missing.log_heads() == []  # the failed step rolled the whole ingest back
    missing.close()


def test_a_custom_column_sorting_before_every_other_is_left_out_when_empty() -> None:
    customers = [
        {"customer_id": "c1", "name": "A", "arr": "1200"},
        {"customer_id": "c2", "name": "B", "arr": None},
    ]
    expected = [leaf_bytes("customers", c).decode() for c in customers]
    assert engine_leaves("customers", customers, ("arr",)) == expected
    assert '"row":{"customer_id":"c2"' in expected[1] and '"row":{"arr":"1200",' in expected[0]
