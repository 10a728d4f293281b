"""`reconcile stripe`: netretain's MRR against the naive sum of Stripe's subscription objects,
each difference put down to its rule, by hand on the Stripe-shaped company of test_stripe_sync."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path

from typer.testing import CliRunner

from netretain import Ledger
from netretain.cli.app import app
from netretain.connectors.stripe_api import StripeSource
from netretain.ledger import connectors as service
from tests.cli.conftest import ENV, validate
from tests.connectors.fake_stripe import KEY, serve
from tests.connectors.shapes import price, subscription
from tests.connectors.test_stripe_sync import company

ZERO = D("0.00")


def rules(month: dict) -> dict:
    return {k: v for k, v in month.items() if k not in ("month", "customer_id") and v != 0}


def test_each_difference_is_put_down_to_its_rule():
    fake = company()
    with serve(fake):
        ledger = Ledger()
        source = StripeSource(KEY, api_base=fake.url)
        service.sync_stripe(ledger, source, today=dt.date(2024, 4, 1))
        result = service.reconcile_stripe(ledger, source, month="2024-02")
    months = {m.month: rules(m.to_dict()) for m in result.months}
    assert months == {
        # cus_b's trial (from Feb 3) leaves Jan out of netretain
        "2024-01": {"stripe_mrr": D("93"), "netretain_mrr": D("62"), "trial": D("-31")},
        # cus_b's 25% coupon (-7.75) and its metered usage (+18.40)
        "2024-02": {"stripe_mrr": D("93"), "netretain_mrr": D("103.65"), "discount": D("-7.75"),
                    "usage": D("18.40")},
        "2024-03": {"stripe_mrr": D("193"), "netretain_mrr": D("185.25"), "discount": D("-7.75")},
    }  # fmt: skip
    (only,) = result.customers  # cus_a's and cus_c's figures agree in February
    assert (only.customer_id, only.stripe_mrr, only.netretain_mrr) == ("cus_b", D(31), D("41.65"))


def test_a_plan_change_is_its_own_rule_and_the_cli_prints_the_schema(tmp_path: Path):
    fake = company()
    db = tmp_path / "l.duckdb"
    with serve(fake):
        with Ledger(db) as ledger:
            source = StripeSource(KEY, api_base=fake.url)
            service.sync_stripe(ledger, source, today=dt.date(2024, 4, 1))
            fake.lists["subscriptions"][0] = subscription(
                "sub_a", "cus_a", "2024-01-01", [(price(3100), 5)]
            )
            service.sync_stripe(ledger, source, today=dt.date(2024, 5, 10))
        env = {**ENV, "STRIPE_API_KEY": KEY}
        args = ["reconcile", "stripe", "--db", str(db), "--api-base", fake.url]
        out = CliRunner().invoke(app, [*args, "--from", "2024-04", "-f", "json"], env=env)
        shown = CliRunner().invoke(app, [*args, "--month", "2024-04"], env=env)
    assert out.exit_code == 0, out.output
    data = validate("reconcile", json.loads(out.stdout))
    april, may = data["months"]
    # Stripe now says 5 seats since January; netretain kept 2 seats until the change on May 10
    assert (april["stripe_mrr"], april["plan_change"], april["netretain_mrr"]) == (
        286, -93, 185.25,
    )  # fmt: skip
    assert (may["stripe_mrr"], may["plan_change"], may["netretain_mrr"]) == (
        286, 0, 278.25,
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "cus_a" in shown.stdout and KEY not in shown.output
