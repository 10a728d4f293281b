"""Rewards as ERC-1155 tokens on a real EVM node (Anvil): the committed bytecode is what solc-js
compiles; minted to a customer's wallet, transferred, redeemed by burning and read back into
the ledger as a discount exactly once; only the issuer mints; a burned token cannot be redeemed
again."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from netretain import Ledger
from netretain.incentives import tokens
from netretain.incentives.loyalty import LoyaltyError
from netretain.incentives.tokens import TokenError
from netretain.ledger import loyalty, rewards
from netretain.ledger.incentives import incentives
from netretain.ledger.rewards import Chain
from tests.conftest import Inputs, mrr_rows
from tests.transparency.anvil import ROOT, AnvilMissing, anvil, funded_key_file

ARTIFACT = ROOT / "src" / "netretain" / "incentives" / "contract" / "NetretainRewards.json"
CUSTOMERS = ("customer_id", "name", "signup_date", "parent_id", "wallet")


@pytest.fixture(scope="module")
def rpc() -> Iterator[str]:
    try:
        with anvil() as url:
            yield url
    except AnvilMissing as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def keys(rpc: str, tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """The issuer's key and two customers' wallets (key file, address), funded with test ETH."""
    folder = tmp_path_factory.mktemp("keys")
    return {who: funded_key_file(rpc, folder / f"{who}.key") for who in ("issuer", "a", "b")}


@pytest.fixture
def chain(rpc: str, keys) -> Chain:
    """A fresh contract per test, issued by the issuer's key."""
    return Chain(rpc, tokens.deploy(rpc, keys["issuer"][0]), keys["issuer"][0])


@pytest.fixture
def ledger(tmp_path: Path, keys) -> Ledger:
    """a and b paid 100.00 for 24 months (240 points each); their wallets are attributes;
    c has no wallet."""
    inputs = Inputs(tmp_path)
    ledger = Ledger()
    rows = [
        ("a", "A", "2023-01-01", None, keys["a"][1].lower()),
        ("b", "B", "2023-01-01", None, keys["b"][1]),
        ("c", "C", "2023-01-01", None, None),
    ]
    mrr = [row for c in "abc" for row in mrr_rows(c, "2023-01", "2024-12", "100.00")]
    result = ledger.ingest(
        customers=inputs.csv("customers.csv", CUSTOMERS, rows), mrr=inputs.mrr(mrr)
    )
    assert result.rejects == []
    return ledger


def test_the_committed_bytecode_is_what_solc_js_compiles() -> None:
    fresh = subprocess.run(
        ["node", str(ROOT / "contracts" / "compile.js"), "NetretainRewards", "--stdout"],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout) == json.loads(ARTIFACT.read_text(encoding="utf-8"))
    assert json.loads(fresh.stdout)["compiler"]["solc"].startswith("0.8.37+")


def test_mint_transfer_burn_reads_back_one_discount(ledger, chain, keys) -> None:
    (a_key, a_wallet), (b_key, b_wallet) = keys["a"], keys["b"]
    issued = rewards.issue(ledger, "a", "discount-50", chain)
    assert (issued.points, issued.channel, issued.grant) == (200, "token", None)  # no discount yet
    assert loyalty.account(ledger, "a")["points"] == 40
    assert tokens.balance(chain.rpc_url, chain.address, a_wallet, 1) == 1
    tokens.transfer(chain.rpc_url, a_key, chain.address, b_wallet, 1)
    assert tokens.balance(chain.rpc_url, chain.address, a_wallet, 1) == 0
    assert tokens.balance(chain.rpc_url, chain.address, b_wallet, 1) == 1
    burn_tx = tokens.redeem(chain.rpc_url, b_key, chain.address, 1)
    assert tokens.balance(chain.rpc_url, chain.address, b_wallet, 1) == 0

    first = rewards.sync(ledger, chain)
    assert (first.burns, len(first.recorded), first.already, first.unmatched) == (1, 1, 0, [])
    kept = first.recorded[0]
    assert kept["customer_id"] == "b" and kept["reward"] == "discount-50"  # the burner's discount
    assert kept["redemption_id"].startswith(f"token:{burn_tx}:")
    grants = [g for g in incentives(ledger) if g.incentive_id == kept["redemption_id"]]
    assert len(grants) == 1
    assert (grants[0].customer_id, grants[0].kind, grants[0].mrr) == (
        "b",
        "reward",
        Decimal("50.00"),
    )
    assert (grants[0].start_month, grants[0].end_month) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 3, 1),
    )

    again = rewards.sync(ledger, chain)
    assert (again.burns, again.recorded, again.already) == (1, [], 1)
    assert len([g for g in incentives(ledger) if g.kind == "reward"]) == 1  # read back once
    assert loyalty.account(ledger, "b")["points"] == 240  # a burn spends no points


def test_only_the_issuer_mints(chain, keys) -> None:
    a_key, a_wallet = keys["a"]
    with pytest.raises(TokenError, match="AccessControlUnauthorizedAccount"):
        tokens.mint(chain.rpc_url, a_key, chain.address, a_wallet, 1)
    assert tokens.balance(chain.rpc_url, chain.address, a_wallet, 1) == 0
    tokens.mint(chain.rpc_url, chain.key_file, chain.address, a_wallet, 1)
    assert tokens.balance(chain.rpc_url, chain.address, a_wallet, 1) == 1


def test_a_redeemed_token_cannot_be_redeemed_again(ledger, chain, keys) -> None:
    a_key = keys["a"][0]
    rewards.issue(ledger, "a", "early-access", chain)
    tokens.redeem(chain.rpc_url, a_key, chain.address, 3)
    with pytest.raises(TokenError, match="ERC1155InsufficientBalance"):
        tokens.redeem(chain.rpc_url, a_key, chain.address, 3)
    synced = rewards.sync(ledger, chain)
    assert [r["reward"] for r in synced.recorded] == ["early-access"]
    assert synced.recorded[0]["grant"] is None  # access, not money
    channels = sorted(r["channel"] for r in loyalty.redemptions(ledger, "a"))
    assert channels == ["burn", "token"]  # the mint spent the points, the burn used the reward


def test_minting_needs_points_and_a_wallet(ledger, chain) -> None:
    with pytest.raises(LoyaltyError, match="c has no wallet"):
        rewards.issue(ledger, "c", "early-access", chain)
    with pytest.raises(LoyaltyError, match="a has 240 points; discount-150 needs 500"):
        rewards.issue(ledger, "a", "discount-150", chain)


def test_a_burn_from_an_unknown_wallet_is_reported_not_recorded(
    ledger, chain, rpc, tmp_path
) -> None:
    stranger_key, stranger = funded_key_file(rpc, tmp_path / "stranger.key")
    tokens.mint(chain.rpc_url, chain.key_file, chain.address, stranger, 1)
    tokens.redeem(chain.rpc_url, stranger_key, chain.address, 1)
    synced = rewards.sync(ledger, chain)
    assert synced.recorded == [] and len(synced.unmatched) == 1
    assert synced.unmatched[0]["reason"] == "no customer has this wallet"
    assert incentives(ledger) == []


def test_the_cli_deploys_issues_and_syncs(rpc, keys, tmp_path) -> None:
    from tests.cli.conftest import invoke_json

    db = tmp_path / "ledger.duckdb"
    rows = [("a", "A", "2023-01-01", None, keys["a"][1])]
    inputs = Inputs(tmp_path)
    on_file = Ledger(db)
    mrr = inputs.mrr(mrr_rows("a", "2023-01", "2024-12", "100.00"))
    assert (
        on_file.ingest(customers=inputs.csv("customers.csv", CUSTOMERS, rows), mrr=mrr).rejects
        == []
    )
    on_file.close()
    issuer = keys["issuer"][0]
    address = invoke_json("rewards", "deploy", "--rpc", rpc, "--key-file", issuer,
                          schema="rewards-deploy")["contract"]  # fmt: skip
    node = ("--rpc", rpc, "--contract", address)
    issued = invoke_json("rewards", "issue", "--db", db, "a", "discount-50", *node,
                         "--key-file", issuer, schema="rewards-redeem")  # fmt: skip
    assert (issued["channel"], issued["points"], issued["grant"]) == ("token", 200, None)
    tokens.redeem(rpc, keys["a"][0], address, 1)
    synced = invoke_json("rewards", "sync", "--db", db, *node, schema="rewards-sync")
    assert [(r["customer_id"], r["grant"]["mrr"]) for r in synced["recorded"]] == [("a", 50.0)]
    again = invoke_json("rewards", "sync", "--db", db, *node, schema="rewards-sync")
    assert (again["recorded"], again["already"]) == ([], 1)
