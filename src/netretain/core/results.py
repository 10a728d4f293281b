"""Result records: small, exact (money as Decimal), stamped with the definition that made them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")


def money(cents: int | None) -> Decimal:
    """Integer cents as an exact Decimal amount."""
    return (Decimal(int(cents or 0)) * CENT).quantize(CENT)


def plain(value: Any) -> Any:
    """JSON-ready: Decimal money becomes a number with its two decimals intact."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class MonthMovements:
    """One month of the whole business: MRR, paying customers and each movement (positive)."""

    month: str
    mrr: Decimal
    customers: int
    new: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    reactivation: Decimal

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
    churned_mrr: Decimal
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
            churned_mrr=money(row.get("churned_cents")),
            customers_start=int(row.get("customers_start") or 0),
            customers_retained=int(row.get("customers_retained") or 0),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The report's headline keys, in order: what every retention row (report, trend, segment) holds.
RETENTION_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Retention))


@dataclass(frozen=True)
class Report:
    """The board's numbers for one as-of month under one definition."""

    as_of: str
    definition: dict[str, Any]
    currency: str
    retention: Retention
    months: tuple[MonthMovements, ...] = field(default_factory=tuple)
    message: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.retention, name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "as_of": self.as_of,
            "definition": dict(self.definition),
            "currency": self.currency,
            **self.retention.to_dict(),
            "months": [m.to_dict() for m in self.months],
        }
        if self.message:
            out["message"] = self.message
        return out
