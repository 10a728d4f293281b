"""The input files netretain reads: columns, types, keys, and how each is stored.

Validation, the catalogue, the synthetic generator, docs and tests all read these specs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

INVOICE_TYPES: tuple[str, ...] = ("subscription", "one_time", "usage")
# Amounts are kept exactly at four decimals, enough for every ISO 4217 currency (CLF has 4); a
# row's own currency decides how many of them it may use (MINOR_UNITS), and nothing is rounded.
MONEY = "decimal(18, 4)"
MONEY_SCALE = 4
# |amount| < 10**8: every later step (monthly rates in millionths, times days) stays exact.
MONEY_DIGITS = 8
# Input column type -> how the ledger stores it, and how a typed file (Parquet) holds it.
STORED_TYPES = {
    "string": "string",
    "currency": "string",
    "date": "date",
    "month": "int64",
    "money": MONEY,
    "rate": "float64",
    "int": "int64",
    "time": "string",
}
FILE_TYPES = {
    "string": pa.string(),
    "currency": pa.string(),
    "date": pa.date32(),
    "month": pa.string(),
    "money": pa.decimal128(18, 2),
    "rate": pa.decimal128(18, 8),
    "int": pa.int32(),
    "time": pa.string(),
}


# ISO 4217 minor units of the currencies that do not have 2 (list one, 2024); any other code has 2.
ZERO_DECIMALS: tuple[str, ...] = ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG")
ZERO_DECIMALS += ("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF")
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(ZERO_DECIMALS, 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
DEFAULT_MINOR_UNITS = 2


def minor_units(currency: str) -> int:
    """Decimals an amount in this currency may have (ISO 4217: JPY 0, USD 2, KWD 3)."""
    return MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)


@dataclass(frozen=True)
class Column:
    """One input column: its type, whether the file must have it, whether a row must fill it."""

    name: str
    type: str  # string | date | month | money | rate | int | time
    in_file: bool = False
    required: bool = False
    description: str = ""

    @property
    def stored(self) -> str:
        """The column's name in the ledger: months are kept as integer `month_index`."""
        return "month_index" if self.type == "month" else self.name

    @property
    def stored_type(self) -> str:
        """The Ibis type the ledger keeps the column in."""
        return STORED_TYPES[self.type]


@dataclass(frozen=True)
class InputSpec:
    """One kind of input file; `key` identifies a row across ingests (a repeat is a conflict)."""

    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    extra_columns: bool = False  # customers keep every other column as a custom attribute

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def stored_columns(self, extra: Sequence[str] = ()) -> list[str]:
        """The columns a good row keeps in the ledger (months as month_index), extras last."""
        return [*(c.stored for c in self.columns), *extra]

    @property
    def stored_key(self) -> list[str]:
        """The stored columns of the key."""
        return [self.column(k).stored for k in self.key]

    def stored_schema(self) -> dict[str, str]:
        """Stored column -> Ibis type, for the accepted rows (without bookkeeping)."""
        return {c.stored: c.stored_type for c in self.columns}

    def file_schema(self, extra: Sequence[str] = ()) -> pa.Schema:
        """The Arrow schema of a typed (Parquet) file of this kind; extras are text."""
        fields = [(c.name, FILE_TYPES[c.type]) for c in self.columns]
        return pa.schema([*fields, *((name, pa.string()) for name in extra)])


CUSTOMERS = InputSpec(
    "customers",
    (
        Column("customer_id", "string", True, True, "Your id for the customer; unique."),
        Column("name", "string", description="Display name."),
        Column("signup_date", "date", description="When the customer signed up (YYYY-MM-DD)."),
        Column("parent_id", "string", description="customer_id of the parent account, if any."),
    ),
    key=("customer_id",),
    extra_columns=True,
)

SUBSCRIPTIONS = InputSpec(
    "subscriptions",
    (
        Column("subscription_id", "string", True, True, "Unique id of the subscription."),
        Column("customer_id", "string", True, True, "Who pays."),
        Column("start_date", "date", True, True, "First day in force."),
        Column("end_date", "date", description="First day no longer in force; empty = active."),
        Column("amount", "money", True, True, "Charged per interval, net of discounts, no tax."),
        Column("interval_months", "int", True, True, "1 monthly, 3 quarterly, 12 annual."),
        Column("currency", "currency", description="ISO code; empty = reporting currency."),
        Column("quantity", "int", description="Seats or units (informational)."),
        Column("plan", "string", description="Plan name."),
    ),
    key=("subscription_id",),
)

INVOICE_LINES = InputSpec(
    "invoice_lines",
    (
        Column("line_id", "string", True, True, "Unique id of the line."),
        Column("customer_id", "string", True, True, "Who pays."),
        Column("invoice_date", "date", description="Date of the invoice."),
        Column("type", "string", True, True, "subscription, one_time or usage."),
        Column("service_start", "date", description="First day served (required unless one_time)."),
        Column("service_end", "date", description="First day not served (exclusive)."),
        Column("amount", "money", True, True, "Amount for the service period, net of discounts."),
        Column("currency", "currency", description="ISO code; empty = reporting currency."),
        Column("quantity", "int", description="Seats or units (informational)."),
        Column("plan", "string", description="Plan name."),
        Column("subscription_id", "string", description="Subscription the line bills."),
    ),
    key=("line_id",),
)

MRR = InputSpec(
    "mrr",
    (
        Column("customer_id", "string", True, True, "Who pays."),
        Column("month", "month", True, True, "YYYY-MM."),
        Column("mrr", "money", True, True, "Monthly recurring revenue at the end of the month."),
        Column("currency", "currency", description="ISO code; empty = reporting currency."),
    ),
    key=("customer_id", "month", "currency"),
)

FX_RATES = InputSpec(
    "fx_rates",
    (
        Column("month", "month", True, True, "YYYY-MM."),
        Column("currency", "currency", True, True, "ISO code of the foreign currency."),
        Column("rate", "rate", True, True, "Reporting-currency units per unit of this currency."),
    ),
    key=("month", "currency"),
)

# Usage is kept at the time given (a day, or a time of day: `time` columns are stored as ISO text,
# YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fraction], UTC) and summed per month into usage_monthly.
USAGE_EVENTS = InputSpec(
    "usage_events",
    (
        Column("customer_id", "string", True, True, "Who used it; must be a known customer."),
        Column("date", "time", True, True, "When: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC)."),
        Column("metric", "string", True, True, "What was used (api_calls, seats_active, ...)."),
        Column("quantity", "rate", True, True, "How much; not negative."),
    ),
    key=("customer_id", "date", "metric"),
)

PLANS = InputSpec(
    "plans",
    (
        Column("plan", "string", True, True, "Plan name, as in subscriptions and invoice lines."),
        Column("metric", "string", True, True, "A usage metric the plan includes."),
        Column("included_quantity", "rate", True, True, "How much a month includes (per seat)."),
    ),
    key=("plan", "metric"),
)

SPECS: dict[str, InputSpec] = {
    s.kind: s for s in (CUSTOMERS, SUBSCRIPTIONS, INVOICE_LINES, MRR, FX_RATES, PLANS, USAGE_EVENTS)
}
# fx first: rows in other files are checked against the rates known after this ingest; usage
# last: its customers must be known, from this ingest's files or earlier ones.
INGEST_ORDER: tuple[str, ...] = (
    "fx_rates",
    "customers",
    "subscriptions",
    "invoice_lines",
    "mrr",
    "plans",
    "usage_events",
)
