"""`netretain movements`, `customers` and `rejects`: the rows behind every figure, and exports."""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from .conftest import Demo, assert_clean_error, invoke, invoke_json

MOVES = ("new", "expansion", "contraction", "churn", "reactivation")


def exact(value: float | str) -> Decimal:
    return Decimal(str(value))


@pytest.fixture(scope="module")
def months(demo: Demo) -> list[dict]:
    """`movements` over the whole ledger."""
    return invoke_json("movements", "--db", demo.db, schema="movements")


@pytest.fixture(scope="module")
def churned(demo: Demo) -> list[dict]:
    """Every churned customer-month."""
    return invoke_json(
        "customers", "--db", demo.db, "--movement", "churn", "--limit", "0", schema="customers"
    )


def test_movements_cover_every_month_and_tie(months: list[dict]) -> None:
    labels = [m["month"] for m in months]
    assert labels[0] == "2023-01" and len(labels) == 24 and labels == sorted(set(labels))
    previous = Decimal(0)
    for m in months:
        # Each month's MRR is last month's plus its movements, to the cent.
        inflow = sum(exact(m[k]) for k in ("new", "expansion", "reactivation"))
        outflow = exact(m["contraction"]) + exact(m["churn"])
        assert previous + inflow - outflow == exact(m["mrr"]), m["month"]
        previous = exact(m["mrr"])


def test_movements_from_to(demo: Demo, months: list[dict]) -> None:
    part = invoke_json(
        "movements", "--db", demo.db, "--from", "2023-06", "--to", "2023-11", schema="movements"
    )
    assert part == [m for m in months if "2023-06" <= m["month"] <= "2023-11"]
    assert len(part) == 6
    assert (
        invoke_json("movements", "--db", demo.db, "--from", "2024-10", schema="movements")
        == (months[-3:])
    )


def test_movements_outside_the_ledger(demo: Demo) -> None:
    result = invoke("movements", "--db", demo.db, "--from", "2020-01", code=1)
    assert_clean_error(result, "2020-01 is before the ledger's first month, 2023-01")


def test_churn_customers_of_a_month_sum_to_its_churn(
    demo: Demo, months: list[dict], churned: list[dict]
) -> None:
    # The month with the most churned customers, so the order is tested on several rows.
    month, count = Counter(r["month"] for r in churned).most_common(1)[0]
    assert count >= 3
    rows = invoke_json(
        "customers",
        "--db",
        demo.db,
        "--movement",
        "churn",
        "--month",
        month,
        "--sort",
        "amount",
        schema="customers",
    )
    amounts = [exact(r["churn"]) for r in rows]
    assert amounts == sorted(amounts, reverse=True)
    assert all(a > 0 for a in amounts) and {r["month"] for r in rows} == {month}
    assert {r["customer_id"] for r in rows} == {
        r["customer_id"] for r in churned if r["month"] == month
    }
    [total] = [exact(m["churn"]) for m in months if m["month"] == month]
    assert sum(amounts) == total
    # A churned customer's MRR went to zero from what it was.
    assert all(r["mrr"] == 0 and exact(r["previous_mrr"]) == exact(r["churn"]) for r in rows)


@pytest.mark.parametrize("movement", MOVES)
def test_each_movement_sums_to_the_monthly_total(
    demo: Demo, months: list[dict], movement: str
) -> None:
    rows = invoke_json(
        "customers", "--db", demo.db, "--movement", movement, "--limit", "0", schema="customers"
    )
    by_month: dict[str, Decimal] = {}
    for r in rows:
        assert exact(r[movement]) > 0
        by_month[r["month"]] = by_month.get(r["month"], Decimal(0)) + exact(r[movement])
    assert by_month == {m["month"]: exact(m[movement]) for m in months if m[movement]}


def test_one_customers_history(demo: Demo, churned: list[dict]) -> None:
    who = churned[0]["customer_id"]
    rows = invoke_json("customers", "--db", demo.db, "--customer", who, schema="customers")
    assert rows and {r["customer_id"] for r in rows} == {who}
    assert [r["month"] for r in rows] == sorted(r["month"] for r in rows)
    for before, after in itertools.pairwise(rows):
        assert exact(after["previous_mrr"]) == exact(before["mrr"])


def test_customers_export_writes_every_row(demo: Demo, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    filters = ("--from", "2024-01", "--to", "2024-03")
    everything = invoke_json(
        "customers", "--db", demo.db, *filters, "--limit", "0", schema="customers"
    )
    assert len(everything) > 25
    result = invoke(
        "customers", "--db", demo.db, *filters, "--limit", "5", "--export", path, "-f", "json"
    )
    assert len(json.loads(result.stdout)) == 5  # the screen shows the limit
    assert f"wrote {len(everything):,} row(s)" in result.stderr
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == tuple(everything[0])
        written = list(reader)
    assert len(written) == len(everything)
    for got, want in zip(written, everything, strict=True):
        assert (got["customer_id"], got["month"]) == (want["customer_id"], want["month"])
        for key in ("mrr", "previous_mrr", *MOVES):
            assert exact(got[key]) == exact(want[key]), (got, want)


def test_customers_bad_movement_is_a_usage_error(demo: Demo) -> None:
    result = invoke("customers", "--db", demo.db, "--movement", "upsell", code=2)
    assert "--movement must be one of new, expansion, contraction, churn, reactivation" in (
        " ".join(result.output.replace("│", " ").split())
    )


def test_rejects_export(demo: Demo, tmp_path: Path) -> None:
    path = tmp_path / "rejects.csv"
    shown = invoke_json("rejects", "--db", demo.db, "--export", path, schema="rejects")
    assert len(shown) == 7 and {r["kind"] for r in shown} == {"invoice_lines"}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == [
            "ingest_id",
            "kind",
            "file",
            "row",
            "column",
            "reason",
            "value",
        ]
        written = list(reader)
    assert written == [{k: "" if v is None else str(v) for k, v in r.items()} for r in shown]
    assert invoke_json("rejects", "--db", demo.db, "--ingest", "1", schema="rejects") == shown
