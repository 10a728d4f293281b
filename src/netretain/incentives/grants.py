"""Incentive grants (issue 17): a discount or credit an offer or a reward gives one customer, as
the MRR it takes off every month of its span. Reports add them back for `--exclude-incentives`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from netretain.errors import LedgerError
from netretain.store.inputs import minor_units

KINDS = ("offer", "reward")


def month_of(day: dt.date) -> int:
    """A date's month index (year x 12 + month - 1), as the ledger counts months."""
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    """The first day of a month index."""
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class IncentiveGrant:
    """A discount or credit lowering `customer_id`'s MRR by `mrr` (in `currency`) every month
    from `start_month` through `end_month` inclusive (None: open-ended). Dates mean their month.
    `source` is the rule that made it ("rule-name@version") or the reward's reference."""

    incentive_id: str
    customer_id: str
    kind: Literal["offer", "reward"]
    source: str
    start_month: dt.date
    end_month: dt.date | None
    mrr: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_month", month_start(month_of(self.start_month)))
        if self.end_month is not None:
            object.__setattr__(self, "end_month", month_start(month_of(self.end_month)))
        object.__setattr__(self, "currency", self.currency.strip().upper())
        object.__setattr__(self, "mrr", Decimal(self.mrr))
        problem = self._problem()
        if problem:
            raise LedgerError(f"incentive {self.incentive_id!r}: {problem}")

    def _problem(self) -> str | None:
        if not self.incentive_id or not self.customer_id:
            return "needs an incentive_id and a customer_id"
        if self.kind not in KINDS:
            return f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}"
        if self.end_month is not None and self.end_month < self.start_month:
            return (
                f"end_month {self.end_month:%Y-%m} is before start_month {self.start_month:%Y-%m}"
            )
        if not self.mrr.is_finite() or self.mrr <= 0:
            return f"mrr must be a positive amount, not {self.mrr}"
        places = minor_units(self.currency)
        if self.mrr != self.mrr.quantize(Decimal(1).scaleb(-places)):
            return f"mrr {self.mrr} is finer than the {places} decimals of {self.currency}"
        return None

    @property
    def mrr_minor(self) -> int:
        """The MRR as an integer in the currency's minor units (cents for USD, yen for JPY)."""
        return int(self.mrr.scaleb(minor_units(self.currency)))

    def row(self) -> dict[str, Any]:
        """The grant as a row of the ledger's `incentives` table."""
        return {
            "incentive_id": self.incentive_id,
            "customer_id": self.customer_id,
            "kind": self.kind,
            "source": self.source,
            "start_month_index": month_of(self.start_month),
            "end_month_index": None if self.end_month is None else month_of(self.end_month),
            "mrr_minor": self.mrr_minor,
            "currency": self.currency,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> IncentiveGrant:
        """A grant from a row of the `incentives` table."""
        end = row["end_month_index"]
        currency = str(row["currency"])
        return cls(
            incentive_id=row["incentive_id"],
            customer_id=row["customer_id"],
            kind=row["kind"],
            source=row["source"],
            start_month=month_start(int(row["start_month_index"])),
            end_month=None if end is None else month_start(int(end)),
            mrr=Decimal(int(row["mrr_minor"])).scaleb(-minor_units(currency)),
            currency=currency,
        )
