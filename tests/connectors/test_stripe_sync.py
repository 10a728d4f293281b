"""Syncing a Stripe account served in Stripe's shapes by a local server: pages, retries, rejects,
incremental cursors, dry runs, and a failure that leaves the ledger as it was."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from netretain import Ledger
from netretain.connectors.errors import ConnectorError
from netretain.connectors.stripe_api import StripeSource
from netretain.ledger import connectors as service
from tests.connectors.fake_stripe import KEY, FakeStripe, serve
from tests.connectors.shapes import coupon, customer, invoice, line, price, subscription, ts

METERED = price(None, usage="metered", pid="price_api")


def company() -> FakeStripe:
    """Three customers; by hand: Jan 2024 = 62.00 + 0 (trial); Feb = 62.00 + 23.25 + 18.40
    usage (period Feb 1 - Mar 1); Mar = 62.00 + 23.25 + 100.00 (1200.00 a year) = 185.25."""
    return FakeStripe(
        lists={
            "products": [{"id": "prod_1", "object": "product", "name": "Netretain Pro"}],
            "customers": [
                customer("cus_a", "2023-12-20", segment="SMB"),
                customer("cus_b", "2024-01-03", segment="Enterprise"),
                customer("cus_c", "2024-02-01"),
            ],
            "subscriptions": [
                subscription("sub_a", "cus_a", "2024-01-01", [(price(3100), 2)]),
                subscription(
                    "sub_b",
                    "cus_b",
                    "2024-01-03",
                    [(price(3100), 1), (METERED, 1)],
                    trial_end=ts("2024-02-03"),
                    discount=coupon(percent=25),
                ),
                subscription(
                    "sub_c",
                    "cus_c",
                    "2024-03-01",
                    [(price(120000, interval="year", pid="price_annual"), 1)],
                ),
            ],
            "invoices": [
                invoice(
                    "in_1",
                    "cus_b",
                    "2024-03-01",
                    [line("il_1", 1840, "2024-02-01", "2024-03-01", METERED)],
                ),
                invoice(
                    "in_2",
                    "cus_a",
                    "2024-01-01",
                    [
                        line(
                            "il_2",
                            5000,
                            "2024-01-01",
                            "2024-01-01",
                            price(5000),
                            type="invoiceitem",
                        )
                    ],
                ),
            ],
            "credit_notes": [
                {
                    "id": "cn_1",
                    "object": "credit_note",
                    "customer": "cus_a",
                    "currency": "usd",
                    "created": ts("2024-02-10"),
                    "status": "issued",
                    "invoice": "in_2",
                    "lines": {
                        "object": "list",
                        "data": [
                            {
                                "id": "cnli_1",
                                "amount": 2500,
                                "quantity": 1,
                                "discount_amounts": [{"amount": 500}],
                            },
                        ],
                    },
                },
                {
                    "id": "cn_2",
                    "object": "credit_note",
                    "customer": "cus_a",
                    "currency": "usd",
                    "created": ts("2024-02-11"),
                    "status": "void",
                    "lines": {"data": []},
                },
            ],
        }
    )


def mrr_by_month(ledger: Ledger, start: str, end: str) -> dict[str, Decimal]:
    return {m.month: m.mrr for m in ledger.movements(start, end)}


def ingests(ledger: Ledger) -> int:
    """How many files the ledger records as ingested (none before its first ingest)."""
    if not ledger.store.has("ingests"):
        return 0
    return ledger.execute(ledger.table("ingests")).num_rows


def source(fake: FakeStripe, sleeps: list[float] | None = None) -> StripeSource:
    sleep = sleeps.append if sleeps is not None else (lambda s: None)
    return StripeSource(KEY, api_base=fake.url, sleep=sleep)


def test_a_sync_maps_the_account_to_the_cent():
    with serve(company()) as fake:
        ledger = Ledger()
        result = service.sync_stripe(ledger, source(fake), today=dt.date(2024, 4, 1))
    assert result.read == {
        "products": 1, "customers": 3, "subscriptions": 3, "invoices": 2, "credit_notes": 2,
    }  # fmt: skip
    plans = ledger.execute(ledger.table("input_subscriptions").select("subscription_id", "plan"))
    named = sorted((r["subscription_id"], r["plan"]) for r in plans.to_pylist())
    assert named == [("sub_a", "basic"), ("sub_b", "basic"), ("sub_c", "annual")]
    assert result.ingest is not None and result.ingest.rejected == 0
    assert mrr_by_month(ledger, "2024-01", "2024-03") == {
        "2024-01": Decimal("62.00"),
        "2024-02": Decimal("103.65"),  # 62.00 + (31.00 less 25%) + 18.40 usage in force Feb 29
        "2024-03": Decimal("185.25"),
    }
    lines = ledger.execute(ledger.table("input_invoice_lines")).to_pylist()
    assert sorted((r["line_id"], r["type"], r["amount"]) for r in lines) == [
        ("cn_1/cnli_1", "one_time", Decimal("-20.00")),  # 25.00 less a 5.00 discount, given back
        ("in_1/il_1", "usage", Decimal("18.40")),
        ("in_2/il_2", "one_time", Decimal("50.00")),
    ]
    segments = ledger.execute(ledger.table("customers").select("customer_id", "segment"))
    assert sorted(segments.to_pylist(), key=lambda r: r["customer_id"])[0]["segment"] == "SMB"


def test_pages_are_followed_and_rate_limits_retried_with_backoff():
    fake = company()
    fake.lists["customers"] = [customer(f"cus_{n:03}", "2024-01-01") for n in range(250)]
    fake.failures = {"customers": [429, 429], "subscriptions": [503]}
    sleeps: list[float] = []
    with serve(fake):
        result = service.sync_stripe(Ledger(), source(fake, sleeps))
    assert result.read["customers"] == 250
    pages = [r for r in fake.requests if r.startswith("customers")]
    assert len(pages) == 2 + 3  # two refused, then three pages of 100
    assert "starting_after=cus_099" in pages[3] and "starting_after=cus_199" in pages[4]
    first, second, third = sleeps  # jitter: half to all of 0.5 s, 1 s, 0.5 s
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0 and 0.25 <= third <= 0.5


def test_incremental_sync_reads_only_new_invoices_and_repeats_nothing():
    fake = company()
    with serve(fake):
        ledger = Ledger()
        service.sync_stripe(ledger, source(fake), today=dt.date(2024, 4, 1))
        again = service.sync_stripe(ledger, source(fake), today=dt.date(2024, 4, 1))
        assert again.read["invoices"] == 0
        assert again.ingest is not None
        assert not again.ingest.changed
        assert service.cursors(ledger.store, "stripe") == {
            "invoices": ts("2024-03-01"), "credit_notes": ts("2024-02-11"),
        }  # fmt: skip
        fake.lists["invoices"].append(
            invoice("in_3", "cus_b", "2024-04-01",
                    [line("il_3", 2210, "2024-03-01", "2024-04-01", METERED)])
        )  # fmt: skip
        third = service.sync_stripe(ledger, source(fake), today=dt.date(2024, 4, 1))
    assert third.read["invoices"] == 1
    assert [f.accepted for f in third.ingest.files if f.kind == "invoice_lines"] == [1]
    assert service.cursors(ledger.store, "stripe")["invoices"] == ts("2024-04-01")


def test_a_plan_change_keeps_the_months_before_it():
    fake = company()
    with serve(fake):
        ledger = Ledger()
        service.sync_stripe(ledger, source(fake), today=dt.date(2024, 4, 1))
        fake.lists["subscriptions"][0] = subscription(
            "sub_a", "cus_a", "2024-01-01", [(price(3100), 5)]
        )
        service.sync_stripe(ledger, source(fake), today=dt.date(2024, 5, 10))
    mrr = mrr_by_month(ledger, "2024-04", "2024-05")
    assert mrr == {"2024-04": Decimal("185.25"), "2024-05": Decimal("278.25")}  # +3 x 31.00


def test_rows_the_ledger_refuses_are_rejects_named_by_the_source():
    fake = company()
    fake.lists["subscriptions"].append(
        subscription("sub_e", "cus_a", "2024-01-01", [(price(4000, currency="eur"), 1)])
    )
    with serve(fake):
        result = service.sync_stripe(Ledger(), source(fake))
    assert result.ingest is not None
    (reject,) = result.ingest.rejects
    assert (reject.file, reject.column, reject.value) == ("stripe:subscriptions", "currency", "EUR")
    assert "no FX rate" in reject.reason


def test_a_failure_mid_sync_leaves_the_ledger_and_cursors_as_they_were():
    fake = company()
    with serve(fake):
        ledger = Ledger()
        service.sync_stripe(ledger, source(fake), today=dt.date(2024, 4, 1))
        before = ingests(ledger)
        fake.lists["subscriptions"][0] = subscription("sub_a", "cus_a", "2024-01-01", [])
        fake.lists["invoices"].append(invoice("in_9", "cus_a", "2024-04-02", []))
        fake.failures = {"invoices": [500] * 10}
        with pytest.raises(ConnectorError, match=r"invoices after 7 tries \(500\)"):
            service.sync_stripe(ledger, source(fake), today=dt.date(2024, 4, 2))
    assert ingests(ledger) == before
    assert service.cursors(ledger.store, "stripe")["invoices"] == ts("2024-03-01")
    assert mrr_by_month(ledger, "2024-03", "2024-03") == {"2024-03": Decimal("185.25")}


def test_a_failure_inside_the_ingest_rolls_the_cursors_back_too():
    fake = company()

    def broken(ingested):
        raise RuntimeError("disk full")

    with serve(fake):
        ledger = Ledger(on_ingest=[broken])
        with pytest.raises(RuntimeError, match="disk full"):
            service.sync_stripe(ledger, source(fake))
    assert service.cursors(ledger.store, "stripe") == {}
    assert ingests(ledger) == 0


def test_a_dry_run_counts_what_would_change_and_writes_nothing():
    with serve(company()) as fake:
        ledger = Ledger()
        result = service.sync_stripe(ledger, source(fake), dry_run=True)
    assert result.ingest is not None
    assert {f.kind: f.accepted for f in result.ingest.files} == {
        "customers": 3, "subscriptions": 3, "invoice_lines": 3,
    }  # fmt: skip
    assert ingests(ledger) == 0
    assert service.cursors(ledger.store, "stripe") == {}


def test_a_wrong_key_is_one_message_without_the_key():
    with serve(company()) as fake:
        wrong = StripeSource("sk_test_wrong_secret", api_base=fake.url)
        with pytest.raises(ConnectorError) as caught:
            service.sync_stripe(Ledger(), wrong)
    assert "refused the API key" in str(caught.value)
    assert "sk_test_wrong_secret" not in str(caught.value)


def test_an_invoice_with_more_lines_than_its_list_carries_is_read_whole():
    fake = company()
    usage = [line(f"il_u{n:03}", 100 + n, "2024-02-01", "2024-03-01", METERED) for n in range(150)]
    cut = invoice("in_big", "cus_c", "2024-03-02", usage[:10])
    cut["lines"]["has_more"] = True
    fake.lists["invoices"].append(cut)
    fake.lines["in_big"] = usage
    with serve(fake):
        ledger = Ledger()
        result = service.sync_stripe(ledger, source(fake), today=dt.date(2024, 4, 1))
    assert result.ingest is not None and result.ingest.rejected == 0
    assert len([r for r in fake.requests if r.startswith("invoices/in_big/lines")]) == 2
    lines = ledger.execute(ledger.table("input_invoice_lines")).to_pylist()
    big = [r["amount"] for r in lines if r["line_id"].startswith("in_big/")]
    assert len(big) == 150 and sum(big) == Decimal("261.75")  # (100 + ... + 249) cents
