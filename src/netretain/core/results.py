"""Result records: small, exact (money as Decimal), stamped with the definition that made them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from netretain.core.arith import MONTHS_PER_YEAR

CENT = Decimal("0.01")


def money(cents: int | None) -> Decimal:
    """Integer cents as an exact Decimal amount."""
    return (Decimal(int(cents or 0)) * CENT).quantize(CENT)


def arr(mrr_cents: int | None) -> Decimal:
    """Annual recurring revenue: 12 x MRR, exact."""
    return money(MONTHS_PER_YEAR * int(mrr_cents or 0))


def plain(value: Any) -> Any:
    """JSON-ready: Decimal money becomes a number with its two decimals intact, an exact Fraction a
    number, a date its ISO text."""
    if isinstance(value, Decimal | Fraction):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True, kw_only=True)
class Stamped:
    """A result stamped with what made it: the definition (name, version, sha256) and currency.

    `to_dict` puts the `LEAD` fields first (what the result is of: as_of, period, ...), then the
    stamp, then every other field; a field's metadata `key` renames it in JSON. `warnings` (what
    makes the figures provisional, e.g. a month past the data) closes the JSON, as a list.
    """

    definition: dict[str, Any]
    currency: str
    warnings: tuple[str, ...] = ()
    LEAD: ClassVar[tuple[str, ...]] = ("as_of",)

    def lead(self) -> dict[str, Any]:
        """What the result is of, as it leads the JSON."""
        return {name: jsonable(getattr(self, name)) for name in self.LEAD}

    def body(self) -> dict[str, Any]:
        """Every field that is neither lead nor stamp, renamed by its metadata `key`."""
        skip = {*self.LEAD, "definition", "currency", "warnings"}
        return {
            f.metadata.get("key", f.name): jsonable(getattr(self, f.name))
            for f in fields(self)
            if f.name not in skip
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.lead(),
            "definition": dict(self.definition),
            "currency": self.currency,
            **self.body(),
            "warnings": list(self.warnings),
        }


def jsonable(value: Any) -> Any:
    """Records as dicts, tuples as lists; money and ratios stay exact (see `plain`)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return dict(value)
    return value


def stamped_row(
    row: dict[str, Any], lead: Sequence[str], definition: dict[str, Any], currency: str
) -> dict[str, Any]:
    """One row of a list-shaped result, carrying the stamp after its `lead` keys."""
    head = {name: row[name] for name in lead}
    rest = {k: v for k, v in row.items() if k not in head}
    return {**head, "definition": definition, "currency": currency, **rest}


@dataclass(frozen=True)
class MonthMovements:
    """One month of the whole business: MRR, paying customers, each movement (positive) and how
    many customers made it."""

    month: str
    mrr: Decimal
    customers: int
    new: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    reactivation: Decimal
    new_customers: int = 0
    expansion_customers: int = 0
    contraction_customers: int = 0
    churn_customers: int = 0
    reactivation_customers: int = 0

    @property
    def net_new(self) -> Decimal:
        return self.new + self.expansion + self.reactivation - self.contraction - self.churn

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Retention:
    """NDR, GDR and logo retention of one cohort, with the bridge that ties its money."""

    ndr: float | None
    gdr: float | None
    logo_retention: float | None
    starting_mrr: Decimal
    ending_mrr: Decimal
    expansion_mrr: Decimal
    contraction_mrr: Decimal
    churn_mrr: Decimal
    customers_start: int
    customers_retained: int

    @classmethod
    def from_row(cls, row: dict[str, Any] | None) -> Retention:
        """From a retention_table row (cents and counts); None means an empty cohort."""
        row = row or {}

        def ratio(name: str) -> float | None:
            value = row.get(name)
            return None if value is None or not row.get("customers_start") else float(value)

        return cls(
            ndr=ratio("ndr"),
            gdr=ratio("gdr"),
            logo_retention=ratio("logo_retention"),
            starting_mrr=money(row.get("starting_cents")),
            ending_mrr=money(row.get("ending_cents")),
            expansion_mrr=money(row.get("expansion_cents")),
            contraction_mrr=money(row.get("contraction_cents")),
            churn_mrr=money(row.get("churn_cents")),
            customers_start=int(row.get("customers_start") or 0),
            customers_retained=int(row.get("customers_retained") or 0),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The report's headline keys, in order: what every retention row (report, trend, segment) holds.
RETENTION_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Retention))


@dataclass(frozen=True)
class Window:
    """The months a report compares: from `start` to `end`, described in words."""

    start: str
    end: str
    months: int
    description: str

    @property
    def text(self) -> str:
        """'2024-12 -> 2025-12, trailing 12 months'."""
        return f"{self.start} -> {self.end}, {self.description}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": self.text}


@dataclass(frozen=True)
class Report(Stamped):
    """The board's numbers for one as-of month under one definition.

    `starting_mrr` and `ending_mrr` are the cohort's (the customers paying at the window start);
    `total_mrr` is every customer's MRR in the as-of month, shown apart.
    """

    as_of: str
    retention: Retention
    window: Window | None = None
    total_mrr: Decimal | None = None
    differences: tuple[str, ...] = ()  # how the definition differs from the default, in words
    months: tuple[MonthMovements, ...] = field(default_factory=tuple)
    message: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.retention, name)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            **self.retention.to_dict(),
            "total_mrr": self.total_mrr,
            "window": self.window.to_dict() if self.window else None,
            "differences": list(self.differences),
            "months": [m.to_dict() for m in self.months],
        }
        if self.message:
            out["message"] = self.message
        return out
