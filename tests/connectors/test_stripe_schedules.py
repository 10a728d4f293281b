"""Subscription schedules and test clocks, served by the local fake Stripe (localstripe 1.15.10 has
neither): only the phases billed by the account's time (or its test clock's) count as MRR."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from netretain import Ledger
from netretain.ledger import connectors as service
from tests.connectors.fake_stripe import FakeStripe, serve
from tests.connectors.shapes import customer, invoice, line, price, subscription, ts
from tests.connectors.test_stripe_sync import mrr_by_month, source

TODAY = dt.date(2024, 4, 1)
P100 = price(10000, pid="price_100")
P200 = price(20000, pid="price_200")
P50, P80, P120 = (price(a, pid=f"price_{a // 100}") for a in (5000, 8000, 12000))


def phase(start: str, end: str, pid: str, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "start_date": ts(start),
        "end_date": ts(end),
        "items": [{"price": pid, "quantity": quantity}],
        "discounts": [],
        **extra,
    }


def schedule(sid: str, sub: str, phases: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": sid, "object": "subscription_schedule", "subscription": sub, "phases": phases,
            "status": "active", **extra}  # fmt: skip


def account() -> FakeStripe:
    """cus_s: 100.00 a month at half price (coupon) Jan-Feb 2024, 3 seats from Mar 1, 200.00 a
    seat from Jun 1 (not billed by Apr 1). cus_t, on a test clock frozen at 2024-02-15: 50.00 in
    Jan, 80.00 from Feb 1, 120.00 from Mar 1 (not billed by the clock's time, though the
    account's own time has passed it), and a 10.00 one-time charge on its simulated Feb 1."""
    clock = {"id": "clock_1", "object": "test_helpers.test_clock", "frozen_time": ts("2024-02-15")}
    sub_s = subscription("sub_s", "cus_s", "2024-01-01", [(P100, 3)], schedule="sub_sched_s")
    sub_t = subscription("sub_t", "cus_t", "2024-01-01", [(P80, 1)], schedule="sub_sched_t",
                         test_clock="clock_1")  # fmt: skip
    t_invoice = invoice("in_t", "cus_t", "2024-02-01",
                        [line("il_t", 1000, "2024-02-01", "2024-02-01", P50, type="invoiceitem")],
                        test_clock="clock_1")  # fmt: skip
    return FakeStripe(
        lists={
            "products": [{"id": "prod_1", "object": "product", "name": "Netretain Pro"}],
            "customers": [
                customer("cus_s", "2024-01-01"),
                {**customer("cus_t", "2024-01-01"), "test_clock": "clock_1"},
            ],
            "subscriptions": [sub_s, sub_t],
            "invoices": [t_invoice],
            "prices": [P100, P200, P50, P80, P120],
            "coupons": [{"id": "co_half", "object": "coupon", "percent_off": 50}],
            "subscription_schedules": [
                schedule("sub_sched_s", "sub_s", [
                    phase("2024-01-01", "2024-03-01", "price_100",
                          discounts=[{"coupon": "co_half"}]),
                    phase("2024-03-01", "2024-06-01", "price_100", 3),
                    phase("2024-06-01", "2024-09-01", "price_200", 3),
                ]),
                schedule("sub_sched_t", "sub_t", [
                    phase("2024-01-01", "2024-02-01", "price_50"),
                    phase("2024-02-01", "2024-03-01", "price_80"),
                    phase("2024-03-01", "2024-04-01", "price_120"),
                ], test_clock="clock_1"),
            ],
            "test_helpers/test_clocks": [clock],
        }
    )  # fmt: skip


def versions(ledger: Ledger) -> list[tuple[str, str, str | None, Decimal]]:
    rows = ledger.execute(ledger.table("input_subscriptions")).to_pylist()
    return sorted(
        (r["subscription_id"], r["start_date"].isoformat(),
         r["end_date"] and r["end_date"].isoformat(), r["amount"])
        for r in rows
    )  # fmt: skip


def test_only_billed_phases_count_by_the_account_or_its_test_clock():
    fake = account()
    with serve(fake):
        ledger = Ledger()
        result = service.sync_stripe(ledger, source(fake), today=TODAY)
        again = service.sync_stripe(ledger, source(fake), today=TODAY)
    assert result.read["test_clocks"] == 1 and result.read["subscription_schedules"] == 2
    assert versions(ledger) == [
        ("sub_s", "2024-01-01", "2024-03-01", Decimal("50.00")),
        ("sub_s@2024-03-01", "2024-03-01", None, Decimal("300.00")),  # Jun's 600.00 not billed
        ("sub_t", "2024-01-01", "2024-02-01", Decimal("50.00")),
        ("sub_t@2024-02-01", "2024-02-01", None, Decimal("80.00")),  # the clock is at Feb 15
    ]
    assert mrr_by_month(ledger, "2024-01", "2024-03") == {
        "2024-01": Decimal("100.00"),
        "2024-02": Decimal("130.00"),
        "2024-03": Decimal("380.00"),
    }
    lines = ledger.execute(ledger.table("input_invoice_lines")).to_pylist()
    assert [(r["line_id"], r["amount"]) for r in lines] == [("in_t/il_t", Decimal("10.00"))]
    assert "invoices" not in service.cursors(ledger.store, "stripe")  # a clock's time is its own
    assert again.ingest is not None and not again.ingest.changed
    assert any(r.startswith("customers?") and "test_clock=clock_1" in r for r in fake.requests)


def test_an_advanced_clock_bills_the_next_phase():
    fake = account()
    with serve(fake):
        ledger = Ledger()
        service.sync_stripe(ledger, source(fake), today=TODAY)
        fake.lists["test_helpers/test_clocks"][0]["frozen_time"] = ts("2024-03-02")
        fake.lists["subscriptions"][1]["items"]["data"][0]["price"] = P120
        service.sync_stripe(ledger, source(fake), today=TODAY)
    assert [v for v in versions(ledger) if v[0].startswith("sub_t")] == [
        ("sub_t", "2024-01-01", "2024-02-01", Decimal("50.00")),
        ("sub_t@2024-02-01", "2024-02-01", "2024-03-01", Decimal("80.00")),
        ("sub_t@2024-03-01", "2024-03-01", None, Decimal("120.00")),
    ]


def test_the_reconciliation_counts_a_test_clock_s_subscriptions_too():
    fake = account()
    with serve(fake):
        ledger = Ledger()
        service.sync_stripe(ledger, source(fake), today=TODAY)
        march = service.reconcile_stripe(ledger, source(fake), start="2024-03", end="2024-03")
    (month,) = march.to_dict()["months"]
    # Stripe's naive sum: sub_s 3 x 100.00 + sub_t 80.00 (found only by its clock)
    assert Decimal(str(month["stripe_mrr"])) == Decimal(str(month["netretain_mrr"])) == 380
