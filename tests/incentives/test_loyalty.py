"""Loyalty points and tiers on a real ledger, against hand-computed figures (loyalty@1: 10 points
per paying month, 5 per month with usage, 1 per 10.00 of MRR expansion; silver 150, gold 300)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from netretain import Ledger
from netretain.errors import NotFoundError
from netretain.incentives.loyalty import LoyaltyError, from_mapping, load_file, resolve
from netretain.ledger import loyalty
from tests.conftest import Inputs, mrr_rows

CUSTOMERS = ("customer_id", "name", "signup_date", "parent_id", "wallet")
USAGE = ("customer_id", "date", "metric", "quantity")


def programme_ledger(directory: Path) -> Ledger:
    """a: 100 all 2024, usage in Feb, Mar, May (and a zero in Jul). b: 100 to June, 1100 from July
    (1000.00 expansion). c: 50 Jan-Mar, churns, back at 80 Jun-Aug. d: new in December at 40."""
    inputs = Inputs(directory)
    ledger = Ledger()
    result = ledger.ingest(
        customers=inputs.csv(
            "customers.csv",
            CUSTOMERS,
            [
                ("a", "A", "2024-01-01", None, None),
                ("b", "B", "2024-01-01", None, None),
                ("c", "C", "2024-01-01", None, None),
                ("d", "D", "2024-12-01", None, None),
            ],
        ),
        mrr=inputs.mrr(
            [
                *mrr_rows("a", "2024-01", "2024-12", "100.00"),
                *mrr_rows("b", "2024-01", "2024-06", "100.00"),
                *mrr_rows("b", "2024-07", "2024-12", "1100.00"),
                *mrr_rows("c", "2024-01", "2024-03", "50.00"),
                *mrr_rows("c", "2024-06", "2024-08", "80.00"),
                *mrr_rows("d", "2024-12", "2024-12", "40.00"),
            ]
        ),
        usage_events=inputs.csv(
            "usage_events.csv",
            USAGE,
            [
                ("a", "2024-02-03", "api_calls", "10"),
                ("a", "2024-02-20", "api_calls", "5"),
                ("a", "2024-03-01", "seats", "2"),
                ("a", "2024-05-31", "api_calls", "1"),
                ("a", "2024-07-04", "api_calls", "0"),
            ],
        ),
    )
    assert result.rejects == [], [str(r) for r in result.rejects]
    return ledger


@pytest.fixture
def programme(tmp_path: Path) -> Ledger:
    return programme_ledger(tmp_path)


def by_customer(found) -> dict[str, dict]:
    return {a["customer_id"]: a for a in found.accounts}


def test_points_and_tiers_at_year_end(programme: Ledger) -> None:
    found = loyalty.loyalty(programme, "2024-12")
    accounts = by_customer(found)
    # a: 12 x 10 + 3 x 5 = 135 (member, 15 to silver); b: 12 x 10 + 1000/10 = 220 (silver, 80 to
    # gold); c: 6 paying months = 60 (a return is not expansion); d: 1 month = 10
    assert {c: (a["earned"], a["tier"], a["points_to_next"]) for c, a in accounts.items()} == {
        "a": (135, "member", 15),
        "b": (220, "silver", 80),
        "c": (60, "member", 90),
        "d": (10, "member", 140),
    }
    assert accounts["a"]["active_months"] == 3 and accounts["a"]["tenure_months"] == 12
    assert accounts["b"]["expansion"] == Decimal("1000.00") and accounts["b"]["next_tier"] == "gold"
    assert [a["customer_id"] for a in found.accounts] == ["b", "a", "c", "d"]  # best first
    assert {t["tier"]: t["accounts"] for t in found.tiers} == {
        "member": 3, "silver": 1, "gold": 0, "platinum": 0,
    }  # fmt: skip
    assert found.definition == resolve().stamp() and found.as_of == "2024-12"


def test_points_at_an_earlier_month_count_only_what_happened_by_then(programme: Ledger) -> None:
    accounts = by_customer(loyalty.loyalty(programme, "2024-06"))
    # a: 6 x 10 + 3 x 5 = 75; b: 60 (its expansion is in July); c: Jan-Mar and Jun = 40
    assert {c: a["earned"] for c, a in accounts.items()} == {"a": 75, "b": 60, "c": 40}


def test_one_customer_and_top(programme: Ledger) -> None:
    only = loyalty.loyalty(programme, "2024-12", customers=("c",))
    assert [a["customer_id"] for a in only.accounts] == ["c"]
    assert {t["tier"]: t["accounts"] for t in only.tiers}["member"] == 3  # counts stay whole
    top = loyalty.loyalty(programme, "2024-12", top=2)
    assert [a["customer_id"] for a in top.accounts] == ["b", "a"]


def test_redeeming_spends_points_but_keeps_the_tier(programme: Ledger) -> None:
    done = loyalty.redeem(programme, "a", "early-access")
    assert (done.points, done.kind, done.grant) == (100, "access", None)
    a = loyalty.account(programme, "a")
    assert (a["earned"], a["spent"], a["points"], a["tier"]) == (135, 100, 35, "member")
    with pytest.raises(LoyaltyError, match="a has 35 points; early-access needs 100"):
        loyalty.redeem(programme, "a", "early-access")
    assert [r["reward"] for r in loyalty.redemptions(programme, "a")] == ["early-access"]
    assert loyalty.redemptions(programme, "b") == []


def test_a_discount_is_recorded_as_an_incentive_from_next_month(programme: Ledger) -> None:
    from netretain.ledger.incentives import incentives

    done = loyalty.redeem(programme, "b", "discount-50")
    assert done.grant is not None
    assert {k: done.grant[k] for k in ("customer_id", "kind", "start_month", "end_month")} == {
        "customer_id": "b", "kind": "reward", "start_month": "2025-01", "end_month": "2025-03",
    }  # fmt: skip
    assert done.grant["mrr"] == Decimal("50.00")
    kept = [g for g in incentives(programme) if g.incentive_id == done.redemption_id]
    assert len(kept) == 1 and kept[0].mrr == Decimal("50.00") and kept[0].kind == "reward"
    assert loyalty.account(programme, "b")["points"] == 20
    verdicts = {t.table: t.status for t in programme.check().tables}
    assert verdicts["loyalty_redemptions"] == verdicts["incentives"] == "ok"  # checksums kept


def test_unknown_reward_and_customer_are_refused(programme: Ledger) -> None:
    with pytest.raises(LoyaltyError, match=r"no reward 'gold-bar'.*known: discount-50"):
        loyalty.redeem(programme, "a", "gold-bar")
    with pytest.raises(NotFoundError, match="zz has no loyalty points"):
        loyalty.redeem(programme, "zz", "early-access")


def test_rules_are_hashed_and_checked(tmp_path: Path) -> None:
    shipped = resolve("loyalty@1")
    text = Path(__file__).resolve().parents[2] / "src/netretain/incentives/loyalty_rules"
    copy = load_file(text / "loyalty-1.toml")
    assert copy.sha256 == shipped.sha256 and len(shipped.sha256) == 64
    content = shipped.content()
    changed = from_mapping(
        {**_mapping(content), "points": {**_points(content), "per_active_month": 6}}
    )
    assert changed.sha256 != shipped.sha256
    with pytest.raises(LoyaltyError, match="rising min_points"):
        from_mapping({**_mapping(content), "tiers": [{"name": "x", "min_points": 5}]})
    with pytest.raises(LoyaltyError, match="no loyalty rules"):
        resolve("loyalty@9")


def _points(content: dict) -> dict:
    return {"per_tenure_month": content["per_tenure_month"],
            "per_active_month": content["per_active_month"],
            "expansion_unit": content["expansion_unit"]}  # fmt: skip


def _mapping(content: dict) -> dict:
    return {"name": content["name"], "version": content["version"], "points": _points(content),
            "tiers": content["tiers"], "rewards": content["rewards"]}  # fmt: skip
