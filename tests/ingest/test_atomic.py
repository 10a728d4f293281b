"""Ingest is atomic, strict on request, and idempotent (issue 3).

Each test starts from `base`: a ledger holding two invoice lines and an EUR rate, then tries a
second ingest and compares every stored table (and the report) before and after.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from netretain import IngestError, Ledger, Reject
from netretain.ledger import build, hooks, incremental
from netretain.ledger import ingest as pipeline
from netretain.ledger.hooks import Ingested
from tests.conftest import INVOICE_HEADER, Inputs, mrr_by_customer, state, stored_tables

S = "subscription"
FIRST = [
    ("L1", "C1", "2024-01-01", S, "2024-01-01", "2025-01-01", "1200.00", "USD"),
    ("L2", "C2", "2024-01-01", S, "2024-01-01", "2024-04-01", "300.00", "EUR"),
]
SECOND = [
    ("L3", "C3", "2024-02-01", S, "2024-02-01", "2024-03-01", "70.00", "USD"),
    ("L4", "C1", "2024-03-01", "usage", "2024-03-01", "2024-04-01", "25.00", "USD"),
]


class Base:
    """A ledger after its first ingest (a copy of one built once), and everything it holds."""

    def __init__(self, saved: Path, inputs: Inputs) -> None:
        self.inputs = inputs
        copy = inputs.directory / "ledger.duckdb"
        shutil.copyfile(saved / "ledger.duckdb", copy)
        self.ledger = Ledger(copy)
        self.first = saved / "first.csv"
        self.second = saved / "second.csv"

    def snapshot(self, *, skip: tuple[str, ...] = ()) -> tuple[dict[str, list[str]], Any]:
        fresh = Ledger(store=self.ledger.store)  # nothing cached from before
        return state(self.ledger, skip=skip), fresh.report().to_dict()


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base ledger, ingested once and saved to a DuckDB file that each test copies."""
    directory = tmp_path_factory.mktemp("base")
    inputs = Inputs(directory)
    ledger = Ledger(directory / "ledger.duckdb")
    ledger.ingest(
        invoice_lines=inputs.invoice_lines(FIRST, "first.csv"),
        fx_rates=inputs.fx_rates([("2024-01", "EUR", "1.10")]),
    )
    inputs.invoice_lines(SECOND, "second.csv")
    ledger.store.raw.execute("CHECKPOINT")
    ledger.store.close()
    return directory


@pytest.fixture
def base(saved: Path, inputs: Inputs) -> Base:
    return Base(saved, inputs)


def test_base_ledger(base: Base) -> None:
    # C1: $1,200 a year = $100 a month; C2: EUR 100 a month at 1.10 = $110. Last month: 2024-03
    # (after SECOND; here L1 and L2 both start in 2024-01, so the ledger ends there).
    assert base.ledger.months == ("2024-01", "2024-01")
    assert mrr_by_customer(base.ledger) == {
        "C1": {"2024-01": Decimal("100.00")},
        "C2": {"2024-01": Decimal("110.00")},
    }


def failing_after(real: Callable[..., Any], error: BaseException) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise error

    return run


# atomic ------------------------------------------------------------------------------------------


def test_failure_after_the_rebuild_leaves_the_previous_state(
    base: Base, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = base.snapshot()
    # Every input and derived table has been written when this step fails (the full rebuild, or
    # the incremental one this ingest of later months takes).
    monkeypatch.setattr(build, "rebuild", failing_after(build.rebuild, RuntimeError("disk full")))
    failing = failing_after(incremental.update, RuntimeError("disk full"))
    monkeypatch.setattr(incremental, "update", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        base.ledger.ingest(invoice_lines=base.second)
    assert base.snapshot() == before


def test_keyboard_interrupt_mid_rebuild_leaves_the_previous_state(
    base: Base, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = base.snapshot()
    store = base.ledger.store
    real_replace = store.replace

    def replace(table: str, expr: Any) -> Any:
        if table == "movements":  # revenue_lines and customers are new by now
            raise KeyboardInterrupt
        return real_replace(table, expr)

    real_replace_from = store.replace_from

    def replace_from(table: str, column: str, first: int, expr: Any) -> None:
        if table == "movements":  # the incremental rebuild's last big write
            raise KeyboardInterrupt
        real_replace_from(table, column, first, expr)

    monkeypatch.setattr(store, "replace", replace)
    monkeypatch.setattr(store, "replace_from", replace_from)
    with pytest.raises(KeyboardInterrupt):
        base.ledger.ingest(invoice_lines=base.second)
    monkeypatch.undo()
    assert base.snapshot() == before


def test_failure_between_files_leaves_the_previous_state(
    base: Base, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = base.snapshot()
    customers = base.inputs.customers([("C9", "Nine")])
    recorded: list[str] = []
    real_record = pipeline._record

    def record(*args: Any, **kwargs: Any) -> None:
        real_record(*args, **kwargs)
        recorded.append(args[2])
        if len(recorded) == 2:  # customers are in, invoice lines stored: now fail
            raise OSError("connection lost")

    monkeypatch.setattr(pipeline, "_record", record)
    with pytest.raises(OSError, match="connection lost"):
        base.ledger.ingest(customers=customers, invoice_lines=base.second)
    monkeypatch.undo()
    assert recorded == ["customers", "invoice_lines"]
    assert base.snapshot() == before
    # Nothing remembers the failed files: ingesting them again works.
    retry = base.ledger.ingest(customers=customers, invoice_lines=base.second)
    assert [(f.kind, f.accepted, f.skipped) for f in retry.files] == [
        ("customers", 1, False),
        ("invoice_lines", 2, False),
    ]


def test_failed_first_ingest_leaves_an_empty_ledger(
    ledger: Ledger, inputs: Inputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "rebuild", failing_after(build.rebuild, RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        ledger.ingest(invoice_lines=inputs.invoice_lines(FIRST[:1]))
    assert stored_tables(ledger) == []


# strict ------------------------------------------------------------------------------------------


def test_strict_turns_a_reject_into_an_error_that_ingests_nothing(base: Base) -> None:
    before = base.snapshot()
    bad = base.inputs.invoice_lines(
        [*SECOND, ("L5", "C5", "2024-02-01", S, "2024-02-01", "2024-03-01", "7O.00", "USD")],
        "bad.csv",
    )
    with pytest.raises(IngestError) as raised:
        base.ledger.ingest(invoice_lines=bad, strict=True)
    reason = "not a number (use digits and a dot, e.g. 1200.50)"
    assert raised.value.rejects == (Reject(str(bad), 4, "amount", reason, "7O.00"),)
    assert "1 row(s) rejected, nothing ingested" in str(raised.value)
    assert base.snapshot() == before
    # Without strict the same file is ingested, good rows and all.
    result = base.ledger.ingest(invoice_lines=bad)
    assert (result.accepted, result.rejected) == (2, 1)


def test_strict_on_a_new_ledger_leaves_it_empty(ledger: Ledger, inputs: Inputs) -> None:
    bad = inputs.invoice_lines([("L1", "", "2024-01-01", S, "2024-01-01", "2024-02-01", "1")])
    with pytest.raises(IngestError):
        ledger.ingest(invoice_lines=bad, strict=True)
    assert stored_tables(ledger) == []


def test_strict_with_clean_input_ingests(base: Base) -> None:
    result = base.ledger.ingest(invoice_lines=base.second, strict=True)
    assert (result.accepted, result.rejected) == (2, 0)


# idempotent --------------------------------------------------------------------------------------


def test_the_same_file_twice_is_skipped(base: Base) -> None:
    before = base.snapshot()
    again = base.ledger.ingest(invoice_lines=base.first)
    assert [(f.skipped, f.accepted, f.unchanged) for f in again.files] == [(True, 0, 0)]
    assert base.snapshot() == before


def test_the_same_rows_renamed_and_reordered_change_nothing(base: Base) -> None:
    before = base.snapshot(skip=("ingests",))
    # Rows in the other order, columns in another order, under another name.
    header = ["amount", *[c for c in INVOICE_HEADER if c != "amount"]]
    rows = [[r[6], *r[:6], r[7], None] for r in reversed(FIRST)]
    renamed = base.inputs.csv("renamed.csv", header, rows)
    result = base.ledger.ingest(invoice_lines=renamed)
    files = [(f.skipped, f.accepted, f.unchanged, f.rejected) for f in result.files]
    assert files == [(False, 0, 2, 0)]
    assert base.snapshot(skip=("ingests",)) == before


def test_a_changed_row_with_a_known_id_is_a_conflict(base: Base) -> None:
    before = base.snapshot(skip=("ingests", "rejects", "refused_invoice_lines"))
    changed = base.inputs.invoice_lines([(*FIRST[0][:6], "2400.00", "USD"), FIRST[1]], "c.csv")
    result = base.ledger.ingest(invoice_lines=changed)
    reason = (
        "conflict: this line_id was ingested before with different content; "
        "ingest it again with replace to record a correction"
    )
    assert result.rejects == [Reject(str(changed), 2, "line_id", reason, "L1")]
    assert base.snapshot(skip=("ingests", "rejects", "refused_invoice_lines")) == before
    assert mrr_by_customer(base.ledger)["C1"] == {"2024-01": Decimal("100.00")}
    # The same file again with replace applies what was refused as a conflict.
    again = base.ledger.ingest(invoice_lines=changed, replace=True)
    assert [(f.skipped, f.replaced, f.rejected) for f in again.files] == [(False, 1, 0)]
    assert mrr_by_customer(base.ledger)["C1"] == {"2024-01": Decimal("200.00")}


def test_replace_applies_a_changed_row_and_records_the_correction(base: Base) -> None:
    changed = base.inputs.invoice_lines([(*FIRST[0][:6], "2400.00", "USD"), FIRST[1]], "c.csv")
    result = base.ledger.ingest(invoice_lines=changed, replace=True)
    file = result.files[0]
    assert (file.accepted, file.replaced, file.unchanged, file.rejected) == (0, 1, 1, 0)
    assert mrr_by_customer(base.ledger)["C1"] == {"2024-01": Decimal("200.00")}
    corrections = base.ledger.execute(base.ledger.table("corrections")).to_pylist()
    assert len(corrections) == 1
    correction = corrections[0]
    assert (correction["ingest_id"], correction["kind"], correction["key"]) == (
        2,
        "invoice_lines",
        "L1",
    )
    assert (correction["file"], correction["row"]) == (str(changed), 2)
    assert "1200.00" in correction["before"] and "2400.00" in correction["after"]
    stored = base.ledger.execute(base.ledger.table("input_invoice_lines")).to_pylist()
    assert sorted((r["line_id"], r["amount"]) for r in stored) == [
        ("L1", Decimal("2400.00")),
        ("L2", Decimal("300.00")),
    ]


# the ingest hook ---------------------------------------------------------------------------------


def test_a_hook_runs_inside_the_ingest_and_sees_what_it_accepted(base: Base) -> None:
    seen: list[tuple[int, list[tuple[str, int]], int]] = []

    def count_lines(ingested: Ingested) -> None:
        lines = ingested.store.table("input_invoice_lines")
        rows = ingested.store.to_arrow(lines.count().name("n").as_table()).to_pylist()[0]["n"]
        files = [(f.kind, f.accepted) for f in ingested.files]
        seen.append((ingested.ingest_id, files, rows))

    base.ledger.on_ingest.append(count_lines)
    base.ledger.ingest(invoice_lines=base.second)
    assert seen == [(2, [("invoice_lines", 2)], 4)]


def test_a_failing_hook_rolls_the_whole_ingest_back(base: Base) -> None:
    before = base.snapshot()

    def refuse(ingested: Ingested) -> None:
        raise IngestError("the revenue log refused this ingest")

    base.ledger.on_ingest.append(refuse)
    with pytest.raises(IngestError, match="revenue log refused"):
        base.ledger.ingest(invoice_lines=base.second)
    assert base.snapshot() == before


def test_a_registered_hook_runs_for_every_ledger_opened_after(base: Base) -> None:
    calls: list[int] = []
    hook = hooks.register(lambda ingested: calls.append(ingested.ingest_id))
    try:
        Ledger(store=base.ledger.store).ingest(invoice_lines=base.second)
    finally:
        hooks.unregister(hook)
    assert calls == [2]
