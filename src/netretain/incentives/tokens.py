"""Loyalty rewards on an EVM chain as ERC-1155 tokens (contracts/NetretainRewards.sol, optional):
the issuer mints a reward to a customer's wallet, the customer holds or transfers it, and
redeeming burns it; `redemptions` reads the Redeemed events back, each once by (transaction hash,
log index). Needs the `transparency` extra (web3)."""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

from netretain.errors import NetretainError

RECEIPT_TIMEOUT = 120  # seconds to wait for a transaction to be mined


class TokenError(NetretainError):
    """The chain refused or could not be reached, or a key file is unusable."""


@dataclass(frozen=True)
class Burn:
    """One redemption read from the chain: who burned how many of which reward, and where."""

    tx_hash: str  # 0x-prefixed hex
    log_index: int
    holder: str  # checksummed wallet address
    token_id: int
    amount: int
    block: int

    @property
    def incentive_id(self) -> str:
        """The ledger's key for this burn: it is read into the ledger once."""
        return f"token:{self.tx_hash}:{self.log_index}"


@cache
def artifact() -> dict[str, Any]:
    """The committed ABI and bytecode (`node contracts/compile.js NetretainRewards` writes them)."""
    files = resources.files("netretain.incentives") / "contract" / "NetretainRewards.json"
    return json.loads(files.read_text(encoding="utf-8"))


def load_account(key_file: Path) -> LocalAccount:
    """The EVM account whose hex private key is in `key_file` (mode 0600)."""
    try:
        text = key_file.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise TokenError(f"cannot read key file {key_file}: {e.strerror}") from e
    if stat.S_IMODE(key_file.stat().st_mode) & 0o077:
        raise TokenError(f"{key_file} is readable by others: run `chmod 600 {key_file}`")
    try:
        return Account.from_key(text)
    except (ValueError, TypeError) as e:
        raise TokenError(f"{key_file} does not hold a hex EVM private key") from e


def connect(rpc_url: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    if not w3.is_connected():
        raise TokenError(f"no EVM node answers at {rpc_url}")
    return w3


def contract_at(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=checksum(address), abi=artifact()["abi"])


def checksum(address: str) -> ChecksumAddress:
    """The checksummed form of a 0x address; TokenError if it is not one."""
    try:
        return Web3.to_checksum_address(address.strip())
    except (ValueError, TypeError, AttributeError) as e:
        raise TokenError(f"{address!r} is not an EVM address") from e


def deploy(rpc_url: str, key_file: Path, uri: str = "") -> str:
    """Deploy NetretainRewards with the key file's account as its issuer; the contract address."""
    w3, account = connect(rpc_url), load_account(key_file)
    factory = w3.eth.contract(abi=artifact()["abi"], bytecode=artifact()["bytecode"])
    receipt = _send(w3, account, factory.constructor(account.address, uri))
    return str(receipt["contractAddress"])


def mint(rpc_url: str, key_file: Path, address: str, wallet: str, token_id: int, amount: int = 1
         ) -> str:  # fmt: skip
    """Mint `amount` of reward `token_id` to `wallet` (the key must be the issuer's); tx hash."""
    w3, account = connect(rpc_url), load_account(key_file)
    call = contract_at(w3, address).functions.mint(checksum(wallet), token_id, amount)
    return _tx_hash(_send(w3, account, call))


def transfer(rpc_url: str, key_file: Path, address: str, to: str, token_id: int, amount: int = 1
             ) -> str:  # fmt: skip
    """A holder sends `amount` of reward `token_id` to another wallet; tx hash."""
    w3, account = connect(rpc_url), load_account(key_file)
    call = contract_at(w3, address).functions.safeTransferFrom(
        account.address, checksum(to), token_id, amount, b""
    )
    return _tx_hash(_send(w3, account, call))


def redeem(rpc_url: str, key_file: Path, address: str, token_id: int, amount: int = 1) -> str:
    """A holder burns `amount` of their own reward `token_id` to redeem it; tx hash."""
    w3, account = connect(rpc_url), load_account(key_file)
    call = contract_at(w3, address).functions.redeem(token_id, amount)
    return _tx_hash(_send(w3, account, call))


def balance(rpc_url: str, address: str, wallet: str, token_id: int) -> int:
    """How many of reward `token_id` `wallet` holds."""
    contract = contract_at(connect(rpc_url), address)
    return int(contract.functions.balanceOf(checksum(wallet), token_id).call())


def redemptions(rpc_url: str, address: str, from_block: int = 0) -> list[Burn]:
    """Every Redeemed event of the contract from `from_block` on, in chain order."""
    contract = contract_at(connect(rpc_url), address)
    logs = contract.events.Redeemed().get_logs(from_block=from_block)
    return [
        Burn(
            tx_hash="0x" + bytes(log["transactionHash"]).hex(),
            log_index=int(log["logIndex"]),
            holder=str(log["args"]["holder"]),
            token_id=int(log["args"]["id"]),
            amount=int(log["args"]["amount"]),
            block=int(log["blockNumber"]),
        )
        for log in logs
    ]


def _tx_hash(receipt: Any) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


def _send(w3: Web3, account: LocalAccount, call: Any) -> Any:
    """Sign and send a contract call or deployment; the receipt, or the contract's error named."""
    try:
        tx = call.build_transaction(
            {
                "from": account.address,
                "nonce": w3.eth.get_transaction_count(account.address),
                "chainId": w3.eth.chain_id,
            }
        )
    except (ContractCustomError, ContractLogicError) as e:
        raise TokenError(f"the contract refused: {_reason(e)}") from e
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT)
    if receipt["status"] != 1:
        raise TokenError(f"transaction {tx_hash.hex()} reverted")
    return receipt


def _reason(error: ContractCustomError | ContractLogicError) -> str:
    """The custom error's name, from the 4-byte selector in its data."""
    from eth_utils import keccak

    data = error.data if isinstance(error.data, str) else str(error.message)
    for entry in artifact()["abi"]:
        if entry["type"] != "error":
            continue
        signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
        if data.removeprefix("0x").startswith(keccak(text=signature)[:4].hex()):
            return entry["name"]
    return data
