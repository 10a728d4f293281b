"""Anchoring on an EVM chain: the NdrAnchor contract records a head and a cohort's MRR for ever.

The contract computes NDR and GDR in basis points itself, rounding down:
NDR bp = floor(ending_cents * 10000 / starting_cents), GDR bp = floor(retained_cents * 10000 /
starting_cents), where retained is the cohort's MRR kept (sum over customers of min(end, start)).
`basis_points` is the same computation in Python. Needs the `transparency` extra (web3).
"""

from __future__ import annotations

import json
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError

from netretain.transparency.errors import KeyFileError, TransparencyError, VerificationError
from netretain.transparency.signed_report import verify_report

BASIS_POINTS = 10_000
RECEIPT_TIMEOUT = 120  # seconds to wait for a transaction to be mined


@dataclass(frozen=True)
class AnchorFigures:
    """What is anchored: a tree head, the definition's sha256 and one cohort's MRR in cents."""

    root: bytes
    size: int
    definition_sha256: str
    as_of: str  # YYYY-MM
    starting_cents: int
    ending_cents: int
    retained_cents: int

    @property
    def ndr_bp(self) -> int:
        return basis_points(self.ending_cents, self.starting_cents)

    @property
    def gdr_bp(self) -> int:
        return basis_points(self.retained_cents, self.starting_cents)


@dataclass(frozen=True)
class AnchorRecord:
    """A record read back from the chain, with the ratios the contract computed."""

    id: bytes
    figures: AnchorFigures
    ndr_bp: int
    gdr_bp: int
    anchored_at: int  # block timestamp


def basis_points(numerator_cents: int, denominator_cents: int) -> int:
    """floor(numerator * 10000 / denominator), exactly as the contract computes it."""
    return numerator_cents * BASIS_POINTS // denominator_cents


def cents(amount: Any) -> int:
    """Exact integer cents of an amount: a Decimal, an int, a decimal string, or a JSON float
    read by its shortest decimal form (520.1 -> 52010); anything finer than a cent is refused."""
    text = repr(amount) if isinstance(amount, float) else str(amount)
    value = Decimal(text) * 100
    if value != value.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(value)


def figures_from_report(report: dict[str, Any], root: bytes, size: int) -> AnchorFigures:
    """Anchor figures of a report's to_dict(), bound to the head (root, size) it was computed on.

    Retained MRR is starting - contraction - churn, the per-customer min(end, start) of GDR.
    """
    starting = cents(report["starting_mrr"])
    return AnchorFigures(
        root=root,
        size=size,
        definition_sha256=report["definition"]["sha256"],
        as_of=report["as_of"],
        starting_cents=starting,
        ending_cents=cents(report["ending_mrr"]),
        retained_cents=starting - cents(report["contraction_mrr"]) - cents(report["churn_mrr"]),
    )


@cache
def artifact() -> dict[str, Any]:
    """The committed ABI and bytecode (contracts/compile.js writes them)."""
    files = resources.files("netretain.transparency") / "contract" / "NdrAnchor.json"
    return json.loads(files.read_text(encoding="utf-8"))


def load_account(key_file: Path) -> LocalAccount:
    """The EVM account whose hex private key is in `key_file` (mode 0600, as for head keys)."""
    try:
        text = key_file.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise KeyFileError(f"cannot read key file {key_file}: {e.strerror}") from e
    if stat.S_IMODE(key_file.stat().st_mode) & 0o077:
        raise KeyFileError(f"{key_file} is readable by others: run `chmod 600 {key_file}`")
    try:
        return Account.from_key(text)
    except (ValueError, TypeError) as e:
        raise KeyFileError(f"{key_file} does not hold a hex EVM private key") from e


def connect(rpc_url: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 30}))
    if not w3.is_connected():
        raise TransparencyError(f"no EVM node answers at {rpc_url}")
    return w3


def contract_at(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=artifact()["abi"])


def deploy(rpc_url: str, key_file: Path) -> str:
    """Deploy NdrAnchor owned by the key file's account; returns the contract address."""
    w3, account = connect(rpc_url), load_account(key_file)
    factory = w3.eth.contract(abi=artifact()["abi"], bytecode=artifact()["bytecode"])
    receipt = _send(w3, account, factory.constructor(account.address))
    return str(receipt["contractAddress"])


def anchor(rpc_url: str, key_file: Path, address: str, figures: AnchorFigures) -> AnchorRecord:
    """Record `figures` on the contract at `address`, then read the record back."""
    w3, account = connect(rpc_url), load_account(key_file)
    contract = contract_at(w3, address)
    call = contract.functions.anchor(*_arguments(figures))
    _send(w3, account, call)
    return read_record(rpc_url, address, figures.root, figures.definition_sha256, figures.as_of)


def read_record(
    rpc_url: str, address: str, root: bytes, definition_sha256: str, as_of: str
) -> AnchorRecord:
    """The record anchored for (root, definition, month); TransparencyError if there is none."""
    contract = contract_at(connect(rpc_url), address)
    key = record_id(root, definition_sha256, as_of)
    try:
        r = contract.functions.getRecord(key).call()
    except ContractCustomError as e:
        raise TransparencyError(f"nothing anchored: {_reason(e)}") from e
    figures = AnchorFigures(r[0], r[1], r[2].hex(), _month_label(r[3]), r[4], r[5], r[6])
    return AnchorRecord(key, figures, ndr_bp=r[7], gdr_bp=r[8], anchored_at=r[9])


def verify_anchored(record: AnchorRecord, expected: AnchorFigures) -> None:
    """The chain holds exactly `expected`, and its ratios are the ones netretain computes."""
    if record.figures != expected:
        raise VerificationError(f"the anchored figures differ: chain {record.figures}")
    if (record.ndr_bp, record.gdr_bp) != (expected.ndr_bp, expected.gdr_bp):
        raise VerificationError("the contract's NDR/GDR differ from netretain's")


def record_id(root: bytes, definition_sha256: str, as_of: str) -> bytes:
    """keccak256(abi.encode(root, definitionHash, asOfMonth)), as the contract keys records."""
    month = _month_number(as_of)
    words = root + bytes.fromhex(definition_sha256) + month.to_bytes(32, "big")
    return keccak(words)


def _arguments(f: AnchorFigures) -> tuple[Any, ...]:
    definition = bytes.fromhex(f.definition_sha256)
    month = _month_number(f.as_of)
    return (f.root, f.size, definition, month, f.starting_cents, f.ending_cents, f.retained_cents)


def _month_number(as_of: str) -> int:
    """'2024-03' -> 202403, the contract's as-of month."""
    year, month = as_of.split("-")
    return int(year) * 100 + int(month)


def _month_label(number: int) -> str:
    return f"{number // 100:04d}-{number % 100:02d}"


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
    except ContractCustomError as e:
        raise TransparencyError(f"the contract refused: {_reason(e)}") from e
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT)
    if receipt["status"] != 1:
        raise TransparencyError(f"transaction {tx_hash.hex()} reverted")
    return receipt


def _reason(error: ContractCustomError) -> str:
    """The custom error's name, from the 4-byte selector in its data."""
    data = error.data if isinstance(error.data, str) else str(error.message)
    for entry in artifact()["abi"]:
        if entry["type"] != "error":
            continue
        signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
        if data.removeprefix("0x").startswith(keccak(text=signature)[:4].hex()):
            return entry["name"]
    return data


def verify_anchored_report(
    signed_report: Mapping[str, Any] | str | bytes,
    public_key: Ed25519PublicKey,
    rpc_url: str,
    address: str,
) -> AnchorRecord:
    """A signed report checked against the chain: signature, head, and the anchored figures."""
    verified = verify_report(signed_report, public_key)
    expected = figures_from_report(verified.figures, verified.head.root, verified.head.size)
    if expected.definition_sha256 != verified.definition_sha256:
        raise VerificationError("the report's definition is not the one signed")
    record = read_record(
        rpc_url, address, expected.root, expected.definition_sha256, expected.as_of
    )
    verify_anchored(record, expected)
    return record
