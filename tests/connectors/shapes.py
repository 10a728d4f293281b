"""Stripe objects in the documented shapes (API 2024+: prices with `recurring`), for tests."""

from __future__ import annotations

import datetime as dt
from typing import Any


def ts(day: str) -> int:
    """YYYY-MM-DD at 00:00 UTC as a Unix timestamp."""
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp())


def price(
    amount: int | None,
    currency: str = "usd",
    interval: str = "month",
    count: int = 1,
    usage: str = "licensed",
    pid: str = "price_basic",
) -> dict[str, Any]:
    return {
        "id": pid,
        "object": "price",
        "currency": currency,
        "unit_amount": amount,
        "nickname": pid.removeprefix("price_"),
        "product": "prod_1",
        "recurring": {"interval": interval, "interval_count": count, "usage_type": usage},
    }


def subscription(
    sid: str,
    customer: str,
    start: str,
    items: list[tuple[dict[str, Any], int]],
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": sid,
        "object": "subscription",
        "customer": customer,
        "status": "active",
        "start_date": ts(start),
        "created": ts(start),
        "current_period_start": ts(start),
        "current_period_end": ts(start) + 30 * 86400,
        "items": {
            "object": "list",
            "data": [
                {"id": f"si_{sid}_{n}", "price": p, "quantity": q} for n, (p, q) in enumerate(items)
            ],
        },
        **extra,
    }


def customer(cid: str, created: str, **metadata: str) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "customer",
        "name": f"Customer {cid}",
        "created": ts(created),
        "metadata": metadata,
    }


def coupon(percent: float | None = None, amount: int | None = None) -> dict[str, Any]:
    return {"coupon": {"id": "co", "percent_off": percent, "amount_off": amount, "currency": "usd"}}


def invoice(iid: str, customer: str, created: str, lines: list[dict[str, Any]], **extra: Any):
    return {
        "id": iid,
        "object": "invoice",
        "customer": customer,
        "created": ts(created),
        "currency": "usd",
        "status": "paid",
        "lines": {"object": "list", "data": lines, "has_more": False},
        **extra,
    }


def line(lid: str, amount: int, start: str, end: str, p: dict[str, Any], **extra: Any):
    return {
        "id": lid,
        "object": "line_item",
        "amount": amount,
        "currency": p["currency"],
        "period": {"start": ts(start), "end": ts(end)},
        "price": p,
        "quantity": 1,
        "type": "subscription",
        **extra,
    }
