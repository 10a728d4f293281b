"""Each Stripe mapping rule on a hand-made object, against the row it must give (by hand)."""

from __future__ import annotations

import datetime as dt

import pytest

from netretain.connectors import stripe_map as sm
from tests.connectors.shapes import coupon, invoice, line, price, subscription, ts

RULES = sm.StripeRules()


def row(**extra):
    sub = subscription("sub_1", "cus_1", "2024-01-15", [(price(3100), 2)], **extra)
    return sm.subscription_row(sub, RULES)


def test_amounts_stay_exact_in_each_currency_precision():
    assert sm.money(3100, "usd") == "31.00"
    assert sm.money(500, "jpy") == "500"
    assert sm.money(1234, "kwd") == "1.234"
    assert sm.money(-250, "eur") == "-2.50"


def test_a_monthly_subscription_is_unit_amount_times_quantity_per_month():
    got = row()
    assert got is not None
    assert (got["amount"], got["interval_months"], got["currency"]) == ("62.00", "1", "USD")
    assert (got["start_date"], got["end_date"], got["quantity"]) == ("2024-01-15", None, "2")


def test_yearly_and_quarterly_prices_count_their_months():
    yearly = subscription("s", "c", "2024-01-01", [(price(120000, interval="year"), 1)])
    quarterly = subscription("s", "c", "2024-01-01", [(price(9000, count=3), 1)])
    assert sm.subscription_row(yearly, RULES)["interval_months"] == "12"
    assert sm.subscription_row(quarterly, RULES)["interval_months"] == "3"


def test_weekly_prices_have_no_month_count_and_are_refused_by_the_ingest():
    weekly = subscription("s", "c", "2024-01-01", [(price(900, interval="week"), 1)])
    assert sm.subscription_row(weekly, RULES)["interval_months"] is None


@pytest.mark.parametrize(
    ("discount", "amount"),
    [
        (coupon(percent=25), "46.50"),  # 6200 - 1550
        (coupon(percent=33.3), "41.35"),  # 6200 * 0.333 = 2064.6 -> 2065 off
        (coupon(amount=500), "57.00"),
        (coupon(amount=10000), "0.00"),  # never below zero
        (coupon(percent=100), "0.00"),
    ],
)
def test_discounts_reduce_the_amount_rounding_half_up_to_the_cent(discount, amount):
    assert row(discount=discount)["amount"] == amount
    assert row(discounts=[discount])["amount"] == amount


def test_trials_are_not_revenue():
    assert row(trial_end=ts("2024-02-01"))["start_date"] == "2024-02-01"


def test_how_a_subscription_ends():
    assert row(status="canceled", ended_at=ts("2024-05-03"))["end_date"] == "2024-05-03"
    assert row(cancel_at=ts("2024-07-01"))["end_date"] == "2024-07-01"
    assert row(cancel_at_period_end=True)["end_date"] == "2024-02-14"  # current period end
    assert row(status="incomplete") is None


def test_past_due_and_paused_follow_the_rules():
    churn = sm.StripeRules(past_due="churn", paused="revenue")
    sub = subscription("s", "c", "2024-01-15", [(price(3100), 1)], status="past_due")
    assert sm.subscription_row(sub, RULES)["end_date"] is None
    assert sm.subscription_row(sub, churn)["end_date"] == "2024-01-15"
    paused = {**sub, "status": "paused"}
    assert sm.subscription_row(paused, RULES)["end_date"] == "2024-01-15"
    assert sm.subscription_row(paused, churn)["end_date"] is None
    with pytest.raises(ValueError, match="past_due"):
        sm.StripeRules(past_due="maybe")


def test_metered_items_are_left_to_the_usage_lines():
    mixed = subscription(
        "s", "c", "2024-01-01", [(price(3100), 1), (price(None, usage="metered"), 1)]
    )
    assert sm.subscription_row(mixed, RULES)["amount"] == "31.00"
    only = subscription("s", "c", "2024-01-01", [(price(None, usage="metered"), 1)])
    assert sm.subscription_row(only, RULES) is None


def test_invoices_give_one_time_and_usage_lines_net_of_discounts_without_tax():
    metered = price(None, usage="metered", pid="price_api")
    lines = [
        line("il_1", 6200, "2024-01-01", "2024-02-01", price(3100)),  # licensed: left out
        line("il_2", -1500, "2024-01-10", "2024-02-01", price(3100), proration=True),
        line("il_3", 1840, "2024-01-01", "2024-02-01", metered, amount_excluding_tax=1840),
        line(
            "il_4", 5000, "2024-01-05", "2024-01-05", price(5000), type="invoiceitem",
            discount_amounts=[{"amount": 500}],
        ),
    ]  # fmt: skip
    rows = sm.invoice_line_rows(invoice("in_1", "cus_1", "2024-02-01", lines))
    assert [(r["line_id"], r["type"], r["amount"]) for r in rows] == [
        ("in_1/il_3", "usage", "18.40"),
        ("in_1/il_4", "one_time", "45.00"),
    ]
    assert (rows[0]["service_start"], rows[0]["service_end"]) == ("2024-01-01", "2024-02-01")
    assert rows[1]["service_start"] is None
    assert sm.invoice_line_rows(invoice("in_2", "c", "2024-02-01", lines, status="draft")) == []


def test_customers_keep_metadata_as_attributes():
    got = sm.customer_row(
        {"id": "cus_1", "name": None, "email": "a@b.c", "created": ts("2023-05-02"),
         "metadata": {"segment": "SMB", "parent_id": "cus_0"}}
    )  # fmt: skip
    assert got == {
        "customer_id": "cus_1",
        "name": "a@b.c",
        "signup_date": "2023-05-02",
        "parent_id": "cus_0",
        "segment": "SMB",
    }


def test_a_change_of_terms_ends_the_old_version_and_starts_a_new_one():
    from decimal import Decimal

    stored = [
        {"subscription_id": "sub_1", "customer_id": "c", "start_date": dt.date(2024, 1, 15),
         "end_date": None, "amount": Decimal("62.0000"), "interval_months": 1,
         "currency": "USD", "quantity": 2, "plan": "basic"}
    ]  # fmt: skip
    same = row()
    assert sm.versions([same], stored, dt.date(2024, 6, 1)) == [same]
    bigger = sm.subscription_row(
        subscription("sub_1", "c", "2024-01-15", [(price(3100), 3)]), RULES
    )
    old, new = sm.versions([bigger], stored, dt.date(2024, 6, 1))
    assert (old["subscription_id"], old["end_date"], old["amount"]) == (
        "sub_1",
        "2024-06-01",
        "62.0000",
    )
    assert (new["subscription_id"], new["start_date"], new["amount"]) == (
        "sub_1@2024-06-01", "2024-06-01", "93.00",
    )  # fmt: skip


def test_the_plan_is_the_nickname_else_the_product_name_else_its_id():
    bare = {**price(3100), "nickname": None}
    sub = subscription("s", "c", "2024-01-01", [(bare, 1)])
    assert sm.subscription_row(sub, RULES, {"prod_1": "Netretain Pro"})["plan"] == "Netretain Pro"
    assert sm.subscription_row(sub, RULES)["plan"] == "prod_1"
    assert row()["plan"] == "basic"


def test_a_phase_is_billed_from_its_first_second_and_past_phases_keep_their_own_terms():
    phases = [
        {"start_date": ts("2024-01-01"), "items": [{"price": "price_a", "quantity": 2}],
         "discounts": [{"coupon": "co_10"}]},
        {"start_date": ts("2024-02-01"), "items": [{"price": "price_a", "quantity": 4}]},
    ]  # fmt: skip
    schedule = {"phases": list(reversed(phases))}  # Stripe's order is not relied on
    assert sm.billed_phases(schedule, ts("2024-02-01") - 1) == phases[:1]
    assert sm.billed_phases(schedule, ts("2024-02-01")) == phases
    sub = subscription("sub_1", "cus_1", "2024-01-01", [(price(3100, pid="price_a"), 4)])
    prices = {"price_a": price(3100, pid="price_a")}
    coupons = {"co_10": {"id": "co_10", "percent_off": 10}}
    rows = sm.schedule_rows(sub, phases, prices, coupons, RULES)
    assert [(r["subscription_id"], r["start_date"], r["end_date"], r["amount"]) for r in rows] == [
        ("sub_1", "2024-01-01", "2024-02-01", "55.80"),  # 2 x 31.00 less 10% (6.20)
        ("sub_1@2024-02-01", "2024-02-01", None, "124.00"),  # the subscription's own 4 x 31.00
    ]
