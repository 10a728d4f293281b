"""The ledger's incentive grants (issue 17): offers and rewards that lower a customer's MRR,
kept in the `incentives` table so reports can show figures with them added back.

Recording is idempotent on `incentive_id`: the same grant recorded twice is stored once; a
different grant under an id already stored is refused rather than silently replacing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import ibis

from netretain.core.tables import literal_table
from netretain.errors import LedgerError
from netretain.incentives.grants import IncentiveGrant
from netretain.store.catalogue import INCENTIVES

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger

TABLE = "incentives"

__all__ = ["TABLE", "IncentiveGrant", "incentives", "record_incentives"]


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
    store = ledger.store
    columns = {name: [g.row()[name] for g in unique] for name in INCENTIVES}
    new = literal_table(columns, INCENTIVES)
    with store.transaction():
        if store.has(TABLE):
            stored = store.table(TABLE)
            _refuse_conflicts(ledger, new, stored)
            new = new.anti_join(stored, new.incentive_id == stored.incentive_id)
        count = int(store.to_arrow(new.count().name("n").as_table()).to_pylist()[0]["n"])
        store.append(TABLE, new)
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
