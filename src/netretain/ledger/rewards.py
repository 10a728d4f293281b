"""Loyalty rewards on chain (issue 17, optional): `issue` spends a customer's points and mints the
reward's ERC-1155 token to their wallet (the `wallet` customer attribute); `sync` reads the
contract's burns back and records each once (keyed by transaction hash and log index) as a
redemption, a discount also as an incentive grant, for the customer whose wallet burned it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netretain.core.tables import literal_table
from netretain.incentives import tokens
from netretain.incentives.loyalty import LoyaltyError, Rules, resolve
from netretain.ledger import loyalty

if TYPE_CHECKING:
    from netretain.ledger.ledger import Ledger

WALLET = "wallet"  # the customer attribute holding the customer's EVM address


@dataclass(frozen=True)
class Chain:
    """Where the rewards contract lives and who issues: the RPC URL, address and issuer key."""

    rpc_url: str
    address: str
    key_file: Path | None = None


@dataclass(frozen=True)
class Synced:
    """What a sync read: burns seen, recorded now, recorded before, and those it could not use."""

    burns: int
    recorded: list[dict[str, Any]] = field(default_factory=list)
    already: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def wallets(ledger: Ledger, customer_ids: list[str] | None = None,
            addresses: list[str] | None = None) -> dict[str, str]:  # fmt: skip
    """customer_id -> checksummed wallet, for these customers or these wallet addresses."""
    c = ledger.sources.customers
    if WALLET not in c.columns:
        raise LoyaltyError(f"customers have no {WALLET} attribute: add a {WALLET} column "
                           "(the customer's 0x address) to the customers file")  # fmt: skip
    t = c.filter(c[WALLET].notnull())
    if customer_ids is not None:
        t = t.filter(t.customer_id.isin(customer_ids))
    if addresses is not None:
        t = t.filter(t[WALLET].lower().isin([a.lower() for a in addresses]))
    rows = ledger.store.to_arrow(t.select("customer_id", WALLET)).to_pylist()
    return {r["customer_id"]: tokens.checksum(r[WALLET]) for r in rows}


def issue(ledger: Ledger, customer_id: str, reward_id: str, chain: Chain,
          rules: Rules | None = None) -> loyalty.Redemption:  # fmt: skip
    """Spend the reward's points and mint its token to the customer's wallet."""
    rules = rules or resolve()
    reward = rules.reward(reward_id)
    wallet = wallets(ledger, [customer_id]).get(customer_id)
    if wallet is None:
        raise LoyaltyError(f"{customer_id} has no {WALLET} address to mint to")
    points = loyalty.account(ledger, customer_id, rules)["points"]
    if points < reward.points:
        raise LoyaltyError(f"{customer_id} has {points} points; {reward.id} needs {reward.points}")
    if chain.key_file is None:
        raise LoyaltyError("minting needs the issuer's key file")
    tx = tokens.mint(chain.rpc_url, chain.key_file, chain.address, wallet, reward.token_id)
    month = ledger.month(None)
    return loyalty.keep(ledger, customer_id, reward, rules, month, f"mint:{tx}", "token", tx,
                        points=reward.points, grants=False)  # fmt: skip


def sync(ledger: Ledger, chain: Chain, from_block: int = 0,
         rules: Rules | None = None) -> Synced:  # fmt: skip
    """Read the contract's burns into the ledger, each once."""
    rules = rules or resolve()
    burns = tokens.redemptions(chain.rpc_url, chain.address, from_block)
    if not burns:
        return Synced(burns=0)
    seen = _recorded(ledger, [b.incentive_id for b in burns])
    owners = {w.lower(): c for c, w in wallets(ledger, addresses=[b.holder for b in burns]).items()}
    by_token = {r.token_id: r for r in rules.rewards}
    month = ledger.month(None)
    recorded, unmatched = [], []
    for burn in burns:
        if burn.incentive_id in seen:
            continue
        customer, reward = owners.get(burn.holder.lower()), by_token.get(burn.token_id)
        if customer is None or reward is None:
            why = "no customer has this wallet" if customer is None else "no reward has this id"
            unmatched.append({**vars(burn), "reason": why})
            continue
        done = loyalty.keep(ledger, customer, reward, rules, month, burn.incentive_id, "burn",
                            burn.tx_hash, points=0, grants=True, amount=burn.amount)  # fmt: skip
        recorded.append(done.to_dict())
    return Synced(len(burns), recorded, len(seen), unmatched)


def _recorded(ledger: Ledger, ids: list[str]) -> set[str]:
    """Which of these redemption ids the ledger already holds."""
    if not ledger.store.has(loyalty.TABLE):
        return set()
    t = ledger.store.table(loyalty.TABLE)
    asked = literal_table({"redemption_id": ids}, {"redemption_id": "string"})
    found = t.semi_join(asked, "redemption_id").select("redemption_id")
    return {r["redemption_id"] for r in ledger.store.to_arrow(found).to_pylist()}
