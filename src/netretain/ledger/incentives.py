"""The ledger's incentive grants (issue 17): offers and rewards that lower a customer's MRR,
kept in the `incentives` table so reports can show figures with them added back.

Recording is idempotent on `incentive_id`: the same grant recorded twice is stored once; a
different grant under an id already stored is refused rather than silently replacing it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import ibis

from netretain.analysis.attributes import By
from netretain.analysis.bridge import Bridge
from netretain.core.monthly import Sources
from netretain.core.tables import literal_table
from netretain.definitions import Definition
from netretain.errors import LedgerError
from netretain.incentives.adjust import added_back
from netretain.incentives.grants import IncentiveGrant
from netretain.ledger import check as checking
from netretain.ledger.ledger import Ledger
from netretain.store.catalogue import INCENTIVES

TABLE = "incentives"

__all__ = [
    "TABLE",
    "ExcludingIncentives",
    "IncentiveGrant",
    "incentives",
    "record_incentives",
]


def record_incentives(ledger: Ledger, grants: Iterable[IncentiveGrant]) -> int:
    """Store grants not stored yet (by incentive_id); returns how many rows were newly stored.
    Grants must be in the ledger's reporting currency (the currency its MRR is in)."""
    unique = _unique(grants)
    if not unique:
        return 0
    for grant in unique:
        if grant.currency != ledger.currency:
            raise LedgerError(
                f"incentive {grant.incentive_id!r} is in {grant.currency}; this ledger reports "
                f"in {ledger.currency}: give the grant's MRR in {ledger.currency}"
            )
    with ledger.store.transaction():
        return append(ledger, unique)


def append(ledger: Ledger, grants: list[IncentiveGrant]) -> int:
    """Store the grants not stored yet, inside the caller's transaction; rows newly stored."""
    store = ledger.store
    columns = {name: [g.row()[name] for g in grants] for name in INCENTIVES}
    new = literal_table(columns, INCENTIVES)
    if store.has(TABLE):
        stored = store.table(TABLE)
        _refuse_conflicts(ledger, new, stored)
        new = new.anti_join(stored, new.incentive_id == stored.incentive_id)
    count = int(store.to_arrow(new.count().name("n").as_table()).to_pylist()[0]["n"])
    store.append(TABLE, new)
    checking.refresh(store, TABLE)
    return count


def _unique(grants: Iterable[IncentiveGrant]) -> list[IncentiveGrant]:
    """Grants once each; one id given for two different grants is an error."""
    seen: dict[str, IncentiveGrant] = {}
    for grant in grants:
        before = seen.setdefault(grant.incentive_id, grant)
        if before != grant:
            raise LedgerError(f"incentive {grant.incentive_id!r} is given twice, differently")
    return list(seen.values())


def _refuse_conflicts(ledger: Ledger, new: ibis.Table, stored: ibis.Table) -> None:
    """A stored id whose grant differs from the one given now is refused, not overwritten."""
    s = stored.select(**{f"s_{n}": stored[n] for n in INCENTIVES})
    joined = new.join(s, new.incentive_id == s.s_incentive_id)
    differs = ibis.literal(False)
    for name in INCENTIVES:
        differs |= ~joined[name].identical_to(joined[f"s_{name}"])
    clash = ledger.store.to_arrow(joined.filter(differs).select("incentive_id").limit(1))
    if clash.num_rows:
        ident = clash.to_pylist()[0]["incentive_id"]
        raise LedgerError(
            f"incentive {ident!r} is already recorded with other terms; give the new grant "
            "a new incentive_id"
        )


def incentives(ledger: Ledger) -> list[IncentiveGrant]:
    """Every recorded grant, by incentive_id (empty when none was recorded)."""
    store = ledger.store
    if not store.has(TABLE):
        return []
    t = store.table(TABLE)
    return [
        IncentiveGrant.from_row(r) for r in store.to_arrow(t.order_by("incentive_id")).to_pylist()
    ]


def grants_table(ledger: Ledger) -> ibis.Table:
    """The stored grants as an Ibis table (no rows when none were recorded)."""
    store = ledger.store
    if store.has(TABLE):
        return store.table(TABLE)
    return literal_table({}, INCENTIVES)


class ExcludingIncentives(Ledger):
    """The same ledger with every incentive grant's MRR added back: each report it gives is the
    figure without incentives (`--exclude-incentives`). It reads; it shares the store."""

    def __init__(self, base: Ledger) -> None:
        super().__init__(store=base.store, currency=base.currency)
        self.path, self.signer = base.path, base.signer
        self._adjusted: Sources | None = None

    @property
    def sources(self) -> Sources:
        if self._adjusted is None:
            self._adjusted = added_back(Ledger.sources.fget(self), grants_table(self))  # type: ignore[attr-defined]
        return self._adjusted

    def sources_through(self, last: int) -> Sources:
        found = super().sources_through(last)
        return found if found is self.sources else added_back(found, grants_table(self))

    def warnings(self, last: int) -> tuple[str, ...]:
        return (*super().warnings(last), EXCLUDED)

    def _incentive_line(self, bridges: list[Bridge], *args: Any) -> list[Bridge]:
        return bridges  # added back: no incentive is left inside the movements


EXCLUDED = "incentives excluded: every recorded grant's MRR is added back (docs/incentives.md)"


def incentive_line(
    ledger: Ledger, bridges: list[Bridge], as_of: str | None, by: By, definition: Definition | None
) -> list[Bridge]:
    """The bridges with their incentive line: the MRR incentives took off the cohort over the
    window (its ending minus its starting incentive MRR, negative), already inside the movements.
    Unchanged when the ledger has no grants."""
    if not _recorded(ledger):
        return bridges
    without = {_key(b): b for b in ExcludingIncentives(ledger).bridge(as_of, by, definition)}
    out = []
    for b in bridges:
        other = without.get(_key(b))
        if other is None:
            out.append(b)
            continue
        r, x = b.retention, other.retention
        line = (r.ending_mrr - x.ending_mrr) - (r.starting_mrr - x.starting_mrr)
        out.append(dataclasses.replace(b, incentive_mrr=line))
    return out


def _recorded(ledger: Ledger) -> bool:
    """Whether the ledger has any grant."""
    store = ledger.store
    if not store.has(TABLE):
        return False
    found = store.to_arrow(store.table(TABLE).count().name("n").as_table())
    return bool(found.to_pylist()[0]["n"])


def _key(bridge: Bridge) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(bridge.segment.items()))
