"""An ingest that only adds rows rebuilds only the months they can change (issue 16 item 4): the
ledger it leaves equals the one a single ingest of all the rows builds, table by table."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netretain import Ledger
from tests.ingest.incremental_cases import (
    FX,
    GAP_RETURN,
    OPEN_HORIZON,
    Watch,
    assert_same,
    day,
    in_parts,
    line,
    merged,
    month,
    write,
)

CURRENCIES = ("USD", "EUR", "GBP")
CASES = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def duckdb(watch: Watch) -> Ledger:
    return Ledger(on_ingest=[watch])


def test_a_customer_returns_after_a_gap_in_the_new_month(tmp_path: Path) -> None:
    """C1 paid in January and February, nothing since; June's line brings it back: March is its
    churn month, April and May are zero months the new ingest must fill in before June."""
    first, second = GAP_RETURN
    assert assert_same(duckdb, tmp_path, [first, second]) == [False, True]
    ledger, _ = in_parts(duckdb, tmp_path / "again", [first, second])
    rows = ledger.execute(ledger.table("movements")).to_pylist()
    c1 = {
        r["month_index"] % 12: (r["mrr_cents"], r["reactivation"])
        for r in rows
        if r["customer_id"] == "C1"
    }
    assert c1 == {
        0: (5000, 0),
        1: (5000, 0),
        2: (0, 0),
        3: (0, 0),
        4: (0, 0),
        5: (8000, 8000),
        6: (0, 0),
    }


def test_the_horizon_moves_with_an_open_subscription(tmp_path: Path) -> None:
    """An open subscription runs to the horizon: April's lines move it, so the subscription's MRR
    reaches April, and a customer paying in March alone churns in April."""
    first, second = OPEN_HORIZON
    assert assert_same(duckdb, tmp_path, [first, second]) == [False, True]


def test_a_new_rate_changes_the_new_month_only(tmp_path: Path) -> None:
    """A rate given for the new month converts it (and later months); earlier months keep theirs."""
    first = {"invoice_lines": [line(1, "C1", 0, 3, 100, "EUR")], "fx_rates": FX}
    second = {
        "invoice_lines": [line(2, "C1", 3, 1, 100, "EUR")],
        "fx_rates": ["2024-04,EUR,1.20"],
    }
    assert assert_same(duckdb, tmp_path, [first, second]) == [False, True]


def test_a_table_damaged_before_a_later_month_stays_damaged(tmp_path: Path) -> None:
    """A movements row deleted behind netretain's back before a later month's ingest: the
    incremental checksums keep naming movements (and its view mrr) damaged; rebuild mends both."""
    first, second = GAP_RETURN
    ledger, watch = in_parts(duckdb, tmp_path, [first])
    gone = "DELETE FROM movements WHERE month_index = (SELECT min(month_index) FROM movements)"
    ledger.store.con.raw_sql(gone)
    ledger.ingest(**write(tmp_path / "later", second))
    assert watch.incremental == [False, True]
    assert sorted(t.table for t in ledger.check().damaged) == ["movements", "mrr"]
    assert ledger.rebuild().ok


def test_a_table_an_earlier_version_kept_is_dropped(tmp_path: Path) -> None:
    """`mrr_components` was stored until it was computed when asked: a ledger that still has it
    loses it at its next ingest (here incremental) or rebuild (what a full ingest runs), and
    checks whole."""
    first, second = GAP_RETURN
    ledger, watch = in_parts(duckdb, tmp_path, [first])
    kept = "CREATE TABLE mrr_components AS SELECT 1 AS native_micros"
    ledger.store.con.raw_sql(kept)
    ledger.ingest(**write(tmp_path / "later", second))
    assert watch.incremental == [False, True] and not ledger.store.has("mrr_components")
    ledger.store.con.raw_sql(kept)
    assert ledger.rebuild().ok and not ledger.store.has("mrr_components")
    assert ledger.check().ok


def test_a_replaced_row_rebuilds_everything(tmp_path: Path) -> None:
    """A correction can change any month: the ingest falls back to a full rebuild."""
    first = {"invoice_lines": [line(1, "C1", 0, 3, 100), line(2, "C1", 3, 1, 100)]}
    fixed = {"invoice_lines": [line(1, "C1", 0, 3, 90)]}
    watch = Watch()
    ledger = Ledger(on_ingest=[watch])
    ledger.ingest(**write(tmp_path / "a", first))
    assert ledger.ingest(replace=True, **write(tmp_path / "b", fixed)).files[0].replaced == 1
    assert watch.incremental == [False, False]
    whole = Ledger()
    whole.ingest(
        **write(
            tmp_path / "c",
            {"invoice_lines": [fixed["invoice_lines"][0], first["invoice_lines"][1]]},
        )
    )
    assert ledger.movements() == whole.movements()
    assert ledger.check().ok


def test_billing_an_unbilled_subscription_rebuilds_everything(tmp_path: Path) -> None:
    """A subscription row counts only while no invoice line bills it: its first invoice line
    removes its line, which the incremental path cannot do."""
    first = {
        "subscriptions": ["S1,C1,2024-01-01,,100,1,USD"],
        "invoice_lines": [line(1, "C2", 0, 2, 10)],
    }
    second = {"invoice_lines": [line(2, "C1", 1, 1, 100, "USD", "S1")]}
    assert assert_same(duckdb, tmp_path, [first, second]) == [False, False]


@st.composite
def company(draw: Any) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """A random small company over twelve months, split at a random month into two ingests."""
    cut = draw(st.integers(1, 11))
    parts: tuple[dict[str, list[str]], dict[str, list[str]]] = ({}, {})

    def add(kind: str, at: int, row: str) -> None:
        parts[at >= cut].setdefault(kind, []).append(row)

    customers = [f"C{i}" for i in range(draw(st.integers(1, 4)))]
    add("customers", 0, "C0,first")
    for c in customers[1:]:
        add("customers", 0, f"{c},")
    add("fx_rates", 0, "2024-01,EUR,1.10")
    add("fx_rates", 0, "2024-01,GBP,1.25")
    for m in draw(st.sets(st.integers(1, 12), max_size=3)):
        cur = draw(st.sampled_from(CURRENCIES[1:]))
        add("fx_rates", m, f"{month(m)},{cur},{draw(st.sampled_from(['0.9', '1.3333', '2']))}")
    subs = []
    for j in range(draw(st.integers(0, 2))):
        start = draw(st.integers(0, 11))
        end = draw(st.one_of(st.none(), st.integers(start + 1, 14)))
        cust, cur = draw(st.sampled_from(customers)), draw(st.sampled_from(CURRENCIES))
        amount, every = draw(st.integers(10, 900)), draw(st.sampled_from([1, 3, 12]))
        ends = "" if end is None else day(end, 10)
        add("subscriptions", start, f"S{j},{cust},{day(start, 10)},{ends},{amount},{every},{cur}")
        subs.append(f"S{j}")
    n = 0
    for c in customers:
        for _ in range(draw(st.integers(0, 4))):
            n += 1
            start, length = draw(st.integers(0, 11)), draw(st.sampled_from([1, 2, 3, 12]))
            cur = draw(st.sampled_from(CURRENCIES))
            sub = draw(st.sampled_from(["", "", *subs]))
            kind = draw(st.sampled_from(["subscription", "usage"]))
            add(
                "invoice_lines",
                start,
                line(n, c, start, length, draw(st.integers(1, 999)), cur, sub, kind),
            )
        for m in draw(st.sets(st.integers(0, 11), max_size=2)):
            add("mrr", m, f"{c},{month(m)},{draw(st.integers(1, 300))},USD")
        for m in draw(st.sets(st.integers(0, 11), max_size=2)):
            add("usage_events", m, f"{c},{day(m, 3)},api_calls,{draw(st.integers(0, 50))}")
    add("invoice_lines", 11, line(0, "C0", 11, 1, 42))  # the second part is never empty
    return parts


@CASES
@given(company())
def test_ingesting_in_two_parts_equals_ingesting_at_once(parts: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert_same(duckdb, Path(tmp), list(parts))


def test_merged_keeps_every_row() -> None:
    assert merged([{"mrr": ["a"]}, {"mrr": ["b"], "fx_rates": ["c"]}]) == {
        "mrr": ["a", "b"],
        "fx_rates": ["c"],
    }
