"""Stripe Dashboard CSV exports -> the Stripe objects `stripe_map` maps, with a reject per bad row.

A user without API access exports customers, subscriptions, invoices and invoice line items (and
coupons, for discounts) from the Dashboard. Each row becomes the object the API would have given
(amounts back to integer minor units, dates to Unix seconds), so the API sync and this path share
every mapping rule and give the same figures on the same account. Column names are the
Dashboard's ("Customer ID", "Current Period Start (UTC)", "Amount Due"; docs/connectors.md).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from netretain.connectors.errors import ConnectorError
from netretain.errors import Reject
from netretain.store.inputs import minor_units

# Each export's file names (the Dashboard's download name first) and the columns it must have.
FILES: dict[str, tuple[str, ...]] = {
    "customers": ("unified_customers.csv", "customers.csv"),
    "subscriptions": ("subscriptions.csv",),
    "invoices": ("invoices.csv",),
    "invoice_line_items": ("invoice_line_items.csv", "invoice_lines.csv"),
    "coupons": ("coupons.csv",),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "customers": ("id", "Created (UTC)"),
    "subscriptions": ("id", "Customer ID", "Status", "Amount", "Interval", "Quantity"),
    "invoices": ("id", "Customer", "Status", "Currency", "Date (UTC)"),
    "invoice_line_items": ("id", "Invoice ID", "Amount", "Currency"),
    "coupons": ("id",),
}
METADATA = " (metadata)"
TRUE = ("true", "yes", "1")


class RowError(ValueError):
    """One cell that cannot be read: its column and why."""

    def __init__(self, column: str, reason: str, value: str | None):
        super().__init__(reason)
        self.column, self.reason, self.value = column, reason, value


@dataclass
class Export:
    """The objects read from a Dashboard export directory, and the rows refused."""

    read: dict[str, int] = field(default_factory=dict)
    customers: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def find(directory: Path, export: str) -> Path | None:
    """The file of one export in the directory, by the Dashboard's name or ours."""
    for name in FILES[export]:
        if (directory / name).is_file():
            return directory / name
    return None


def read_export(directory: str | Path, currency: str) -> Export:
    """Every export found in `directory` as Stripe objects; `currency` (the ledger's) stands in
    for a subscriptions file without a Currency column, as the Dashboard's older exports have."""
    root = Path(directory)
    if not root.is_dir():
        raise ConnectorError(f"{root} is not a directory of Stripe Dashboard exports")
    if find(root, "subscriptions") is None and find(root, "invoice_line_items") is None:
        raise ConnectorError(
            f"{root} has neither subscriptions.csv nor invoice_line_items.csv: "
            "export them from the Stripe Dashboard (Billing > Subscriptions, Invoices)"
        )
    out = Export()
    coupons = {c["id"]: c for c in _objects(root, "coupons", _coupon, out)}
    out.customers = list(_objects(root, "customers", _customer, out))
    by_id: dict[str, dict[str, Any]] = {}
    for sub in _objects(root, "subscriptions", lambda r: _subscription(r, coupons, currency), out):
        kept = by_id.setdefault(sub["id"], sub)
        if kept is not sub:  # a further item of a subscription with several
            kept["items"]["data"].extend(sub["items"]["data"])
    out.subscriptions = list(by_id.values())
    invoices = {i["id"]: i for i in _objects(root, "invoices", _invoice, out)}
    for invoice_id, line in _objects(root, "invoice_line_items", _line, out):
        invoice = invoices.get(invoice_id)
        if invoice is not None:
            invoice["lines"]["data"].append(line)
    out.invoices = list(invoices.values())
    return out


def _objects(
    root: Path, export: str, make: Callable[[dict[str, str]], Any], out: Export
) -> Iterator[Any]:
    """Each row of one export made into its object; a bad row becomes a reject instead."""
    path = find(root, export)
    if path is None:
        return
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED[export] if c not in header]
        if missing:
            raise ConnectorError(f"{path.name}: the Dashboard export lacks columns {missing}")
        reader.fieldnames = header
        count = 0
        for number, raw in enumerate(reader, start=2):  # the header is row 1
            count += 1
            row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
            try:
                yield make(row)
            except RowError as bad:
                out.rejects.append(Reject(path.name, number, bad.column, bad.reason, bad.value))
        out.read[export] = count


def _customer(row: dict[str, str]) -> dict[str, Any]:
    metadata = {k.removesuffix(METADATA): v for k, v in row.items() if k.endswith(METADATA) and v}
    return {
        "id": _required(row, "id"),
        "name": row.get("Name") or row.get("Description") or None,
        "email": row.get("Email") or None,
        "created": _time(row, "Created (UTC)", required=True),
        "metadata": metadata,
    }


def _subscription(
    row: dict[str, str], coupons: dict[str, dict[str, Any]], fallback: str
) -> dict[str, Any]:
    currency = (row.get("Currency") or fallback).lower()
    every, unit = _interval(row)
    usage = "metered" if row.get("Usage Type", "").lower() == "metered" else "licensed"
    amount = None if usage == "metered" and not row["Amount"] else _minor(row, "Amount", currency)
    price = {
        "unit_amount": amount,
        "currency": currency,
        "nickname": row.get("Plan") or None,
        "product": row.get("Product") or None,
        "recurring": {"interval": unit, "interval_count": every, "usage_type": usage},
    }
    code = row.get("Coupon") or ""
    if code and code not in coupons:
        raise RowError("Coupon", "names a coupon that coupons.csv does not have", code)
    start = "Start Date (UTC)" if row.get("Start Date (UTC)") else "Start (UTC)"
    if not row.get(start):
        start = "Created (UTC)"
    return {
        "id": _required(row, "id"),
        "customer": _required(row, "Customer ID"),
        "status": _required(row, "Status"),
        "start_date": _time(row, start, required=True),
        "trial_end": _time(row, "Trial End (UTC)"),
        "current_period_start": _time(row, "Current Period Start (UTC)"),
        "current_period_end": _time(row, "Current Period End (UTC)"),
        "canceled_at": _time(row, "Canceled At (UTC)"),
        "ended_at": _time(row, "Ended At (UTC)"),
        "cancel_at": _time(row, "Cancel At (UTC)"),
        "cancel_at_period_end": row.get("Cancel At Period End", "").lower() in TRUE,
        "discount": {"coupon": coupons[code]} if code else None,
        "items": {"data": [{"price": price, "quantity": _integer(row, "Quantity")}]},
    }


def _interval(row: dict[str, str]) -> tuple[int, str]:
    """ "month", "year", "3 months" (or an Interval Count column) as (count, unit)."""
    text = row["Interval"].lower().split()
    count = row.get("Interval Count") or (text[0] if len(text) == 2 else "1")
    unit = text[-1].removesuffix("s") if text else ""
    if unit not in ("month", "year", "week", "day") or not count.isdigit():
        raise RowError("Interval", "is not month, year or 'N months'", row["Interval"])
    return int(count), unit


def _invoice(row: dict[str, str]) -> dict[str, Any]:
    return {
        "id": _required(row, "id"),
        "customer": _required(row, "Customer"),
        "status": _required(row, "Status").lower(),
        "currency": _required(row, "Currency").lower(),
        "created": _time(row, "Date (UTC)", required=True),
        "lines": {"data": [], "has_more": False},
    }


def _line(row: dict[str, str]) -> tuple[str, dict[str, Any]]:
    currency = _required(row, "Currency").lower()
    metered = row.get("Usage Type", "").lower() == "metered"
    kind = "invoiceitem" if row.get("Type", "").lower() in ("invoiceitem", "invoice_item") else None
    discount = _minor(row, "Discount Amount", currency) if row.get("Discount Amount") else 0
    line = {
        "id": _required(row, "id"),
        "amount": _minor(row, "Amount", currency),
        "currency": currency,
        "period": {
            "start": _time(row, "Period Start (UTC)") or 0,
            "end": _time(row, "Period End (UTC)") or 0,
        },
        "quantity": _integer(row, "Quantity") if row.get("Quantity") else None,
        "type": kind or "subscription",
        "price": {
            "nickname": row.get("Plan") or row.get("Price") or None,
            "recurring": {"usage_type": "metered"} if metered else None,
        },
        "discount_amounts": [{"amount": discount}],
    }
    return _required(row, "Invoice ID"), line


def _coupon(row: dict[str, str]) -> dict[str, Any]:
    currency = (row.get("Currency") or "usd").lower()
    percent = row.get("Percent Off") or None
    if percent is not None:
        try:
            Decimal(percent)
        except InvalidOperation:
            raise RowError("Percent Off", "is not a number", percent) from None
    amount = _minor(row, "Amount Off", currency) if row.get("Amount Off") else None
    return {
        "id": _required(row, "id"),
        "percent_off": percent,
        "amount_off": amount,
        "currency": currency,
    }


def _required(row: dict[str, str], column: str) -> str:
    if not row.get(column):
        raise RowError(column, "is empty", None)
    return row[column]


def _time(row: dict[str, str], column: str, required: bool = False) -> int | None:
    """A Dashboard time ("2024-01-31 17:05" or "2024-01-31 17:05:09", UTC) as Unix seconds."""
    text = row.get(column) or ""
    if not text:
        if required:
            raise RowError(column, "is empty", None)
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace(" UTC", "").replace("Z", ""))
    except ValueError:
        raise RowError(column, "is not a time like 2024-01-31 17:05 (UTC)", text) from None
    return int(moment.replace(tzinfo=dt.UTC).timestamp())


def _minor(row: dict[str, str], column: str, currency: str) -> int:
    """An amount in units ("1,200.00" USD) as integer minor units (120000); more decimals than
    the currency has is refused, never rounded."""
    text = row.get(column) or ""
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise RowError(column, "is not an amount", text) from None
    minor = value.scaleb(minor_units(currency))
    if minor != minor.to_integral_value():
        raise RowError(column, f"has more decimals than {currency.upper()} has", text)
    return int(minor)


def _integer(row: dict[str, str], column: str) -> int:
    text = row.get(column) or ""
    if not text.isdigit():
        raise RowError(column, "is not a whole number", text)
    return int(text)
