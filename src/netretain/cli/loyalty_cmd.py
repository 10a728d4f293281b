"""Loyalty commands (issue 17, docs/incentives.md): `netretain loyalty` (tiers and points per
account) and `netretain rewards list | redeem | deploy | issue | sync` (off chain by default;
issue and sync use the ERC-1155 rewards contract)."""

from pathlib import Path
from typing import Any

import typer

from netretain.cli import options as opt
from netretain.cli.render import Format, console, emit, table
from netretain.incentives.loyalty import resolve
from netretain.incentives.loyalty_points import COLUMNS
from netretain.ledger import Ledger
from netretain.ledger import loyalty as service

RULES = typer.Option(None, "--rules", help="Loyalty rules NAME@VERSION or a TOML file (loyalty@1).")
RPC = typer.Option(None, "--rpc", help="The EVM node's JSON-RPC URL.", envvar="NETRETAIN_RPC")
CONTRACT = typer.Option(
    None, "--contract", help="The NetretainRewards contract's address.",
    envvar="NETRETAIN_REWARDS_CONTRACT",
)  # fmt: skip
KEY_FILE = typer.Option(
    None, "--key-file", help="The issuer's hex EVM private key (mode 0600).", exists=True
)
REDEMPTION = ("redemption_id", "customer_id", "reward", "kind", "points", "month", "channel")

rewards_app = typer.Typer(help="The loyalty rewards catalogue, redeeming and on-chain tokens.",
                          no_args_is_help=True)  # fmt: skip


def loyalty(
    as_of: str = opt.AS_OF,
    customer: list[str] = typer.Option([], "--customer", help="Only this account (repeatable)."),
    top: int | None = typer.Option(None, "--top", help="Only the N accounts with the most points."),
    rules: str | None = RULES,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Each account's loyalty tier and points (from tenure, usage and expansion), best first, and
    how many accounts each tier holds.

    Example: netretain loyalty --db acme.duckdb --top 20 --format csv
    """
    result = service.loyalty(
        ledger, as_of, rules=resolve(rules), customers=tuple(customer), top=top
    )

    def rows() -> list[dict[str, Any]]:
        return list(result.accounts)

    def show() -> None:
        title = f"loyalty at {result.as_of} ({result.definition['name']}@"
        title += f"{result.definition['version']})"
        console.print(table(rows(), title=title, columns=COLUMNS))
        console.print(table(list(result.tiers), title="accounts per tier"))

    emit(result.to_dict(), fmt, rows=rows, columns=COLUMNS, show=show)


@rewards_app.command("list")
@opt.handle_errors
def list_rewards(rules: str = RULES, fmt: Format = opt.FORMAT) -> None:
    """The rewards catalogue: what each reward costs in points and what it gives.

    Example: netretain rewards list
    """
    found = resolve(rules)
    rows = [
        {**vars(r), "mrr": r.mrr if r.kind == "discount" else None, "access": r.access or None}
        for r in found.rewards
    ]
    emit({"rules": found.stamp(), "rewards": rows}, fmt, rows=lambda: rows)


def redeem_reward(
    customer_id: str = typer.Argument(..., help="The customer spending points."),
    reward: str = typer.Argument(..., help="The reward's id (see `netretain rewards list`)."),
    rules: str | None = RULES,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Spend a customer's points on a reward, off chain; a discount is recorded in the ledger as
    an incentive from the next month.

    Example: netretain rewards redeem --db acme.duckdb C0000001 discount-50
    """
    done = service.redeem(ledger, customer_id, reward, rules=resolve(rules))
    emit(done.to_dict(), fmt, rows=lambda: [{k: done.to_dict()[k] for k in REDEMPTION}])


@rewards_app.command("deploy")
@opt.handle_errors
def deploy(
    rpc: str | None = RPC,
    key_file: Path = typer.Option(..., "--key-file", help="The issuer's key.", exists=True),
    fmt: Format = opt.FORMAT,
) -> None:
    """Deploy the ERC-1155 rewards contract with the key file's account as its only issuer.

    Example: netretain rewards deploy --rpc http://127.0.0.1:8545 --key-file issuer.key
    """
    from netretain.incentives import tokens

    if not rpc:
        raise typer.BadParameter("name the EVM node with --rpc URL")
    emit({"contract": tokens.deploy(rpc, key_file)}, fmt)


def _chain(rpc: str | None, contract: str | None, key_file: Path | None = None) -> Any:
    from netretain.ledger.rewards import Chain

    if not rpc or not contract:
        raise typer.BadParameter("name the node and contract with --rpc URL --contract ADDRESS")
    return Chain(rpc, contract, key_file)


def issue_reward(
    customer_id: str = typer.Argument(..., help="The customer spending points."),
    reward: str = typer.Argument(..., help="The reward's id (see `netretain rewards list`)."),
    rpc: str | None = RPC,
    contract: str | None = CONTRACT,
    key_file: Path | None = KEY_FILE,
    rules: str | None = RULES,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Spend a customer's points and mint the reward's token to their `wallet` address; the
    customer may hold it, transfer it, or burn it to redeem.

    Example: netretain rewards issue --db acme.duckdb C0000001 discount-50 --rpc URL
    --contract 0x... --key-file issuer.key
    """
    from netretain.ledger import rewards

    done = rewards.issue(ledger, customer_id, reward, _chain(rpc, contract, key_file),
                         resolve(rules))  # fmt: skip
    emit(done.to_dict(), fmt, rows=lambda: [{k: done.to_dict()[k] for k in REDEMPTION}])


def sync_rewards(
    rpc: str | None = RPC,
    contract: str | None = CONTRACT,
    from_block: int = typer.Option(0, "--from-block", help="Read burns from this block on."),
    rules: str | None = RULES,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
) -> None:
    """Read the contract's burns (redeemed tokens) into the ledger, each once: a discount becomes
    an incentive of the customer whose wallet burned it.

    Example: netretain rewards sync --db acme.duckdb --rpc URL --contract 0x...
    """
    from netretain.ledger import rewards

    done = rewards.sync(ledger, _chain(rpc, contract), from_block, resolve(rules))
    emit(done.to_dict(), fmt, rows=lambda: done.recorded)


def register(app: typer.Typer) -> None:
    """Add `loyalty` and the `rewards` group to the app."""
    app.command("loyalty")(opt.with_ledger(loyalty))
    rewards_app.command("redeem")(opt.with_ledger(redeem_reward))
    rewards_app.command("issue")(opt.with_ledger(issue_reward))
    rewards_app.command("sync")(opt.with_ledger(sync_rewards))
    app.add_typer(rewards_app, name="rewards")
