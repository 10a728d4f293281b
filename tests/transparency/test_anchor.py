"""NdrAnchor on a real EVM node (Anvil): ownership, immutability, events and the NDR it computes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from netretain.transparency import anchor as chain
from netretain.transparency import merkle
from netretain.transparency.anchor import AnchorFigures, basis_points, figures_from_report
from netretain.transparency.errors import KeyFileError, TransparencyError, VerificationError
from netretain.transparency.heads import next_head, sign_head
from netretain.transparency.signed_report import sign_report

from .anvil import ROOT, AnvilMissing, anvil, funded_key_file
from .conftest import mrr_leaves, small_report

ARTIFACT = ROOT / "src" / "netretain" / "transparency" / "contract" / "NdrAnchor.json"
LEAVES = mrr_leaves(4)
ROOT_HASH = merkle.root(LEAVES)


@pytest.fixture(scope="module")
def rpc() -> Iterator[str]:
    try:
        with anvil() as url:
            yield url
    except AnvilMissing as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def owner(rpc: str, tmp_path_factory) -> Path:
    return funded_key_file(rpc, tmp_path_factory.mktemp("owner") / "owner.key")[0]


@pytest.fixture(scope="module")
def contract(rpc: str, owner: Path) -> str:
    return chain.deploy(rpc, owner)


def figures(**changes) -> AnchorFigures:
    base = AnchorFigures(ROOT_HASH, len(LEAVES), "ab" * 32, "2024-03", 52000, 46000, 41000)
    return replace(base, **changes)


def test_the_committed_bytecode_is_what_solc_js_compiles() -> None:
    fresh = subprocess.run(
        ["node", str(ROOT / "contracts" / "compile.js"), "--stdout"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads(fresh.stdout) == json.loads(ARTIFACT.read_text(encoding="utf-8"))
    assert json.loads(fresh.stdout)["compiler"]["solc"].startswith("0.8.37+")


def test_the_owner_anchors_and_the_record_reads_back(rpc, owner, contract) -> None:
    expected = figures()
    record = chain.anchor(rpc, owner, contract, expected)
    assert record.figures == expected
    assert (record.ndr_bp, record.gdr_bp) == (8846, 7884)  # floor of 8846.15 and 7884.61
    assert record.anchored_at > 0
    chain.verify_anchored(record, expected)
    with pytest.raises(VerificationError, match="differ"):
        chain.verify_anchored(record, replace(expected, ending_cents=46001))


def test_only_the_owner_can_anchor(rpc, contract, tmp_path) -> None:
    stranger, _ = funded_key_file(rpc, tmp_path / "stranger.key")
    with pytest.raises(TransparencyError, match="OwnableUnauthorizedAccount"):
        chain.anchor(rpc, stranger, contract, figures(as_of="2024-04"))
    with pytest.raises(TransparencyError, match="NotAnchored"):
        chain.read_record(rpc, contract, ROOT_HASH, "ab" * 32, "2024-04")


def test_a_record_cannot_be_overwritten(rpc, owner, contract) -> None:
    first = chain.anchor(rpc, owner, contract, figures(as_of="2024-05"))
    with pytest.raises(TransparencyError, match="AlreadyAnchored"):
        chain.anchor(rpc, owner, contract, figures(as_of="2024-05", ending_cents=99999))
    again = chain.read_record(rpc, contract, ROOT_HASH, "ab" * 32, "2024-05")
    assert again == first


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"starting_cents": 0, "retained_cents": 0}, "EmptyCohort"),
        ({"retained_cents": 52001}, "RetainedExceedsStartOrEnd"),
        ({"retained_cents": 46001, "ending_cents": 46000}, "RetainedExceedsStartOrEnd"),
        ({"as_of": "2024-13"}, "InvalidMonth"),
    ],
)
def test_impossible_figures_are_refused(rpc, owner, contract, changes, error) -> None:
    with pytest.raises(TransparencyError, match=error):
        chain.anchor(rpc, owner, contract, figures(**{"as_of": "2024-06", **changes}))


def test_the_event_carries_the_fields(rpc, owner, contract) -> None:
    sent = figures(as_of="2024-07", size=9, root=merkle.root(LEAVES[:9]))
    record = chain.anchor(rpc, owner, contract, sent)
    w3 = Web3(Web3.HTTPProvider(rpc))
    events = chain.contract_at(w3, contract).events.Anchored().get_logs(from_block=0)
    (event,) = [e for e in events if e.args["id"] == record.id]
    assert dict(event.args) == {
        "id": record.id,
        "root": sent.root,
        "definitionHash": bytes.fromhex(sent.definition_sha256),
        "size": 9,
        "asOfMonth": 202407,
        "startingCents": 52000,
        "endingCents": 46000,
        "retainedCents": 41000,
        "ndrBasisPoints": 8846,
        "gdrBasisPoints": 7884,
    }


def test_the_contract_ndr_equals_netretains_report(rpc, owner, contract, tmp_path) -> None:
    report = small_report(tmp_path)
    sent = figures_from_report(report, ROOT_HASH, len(LEAVES))
    record = chain.anchor(rpc, owner, contract, sent)
    assert (sent.starting_cents, sent.ending_cents, sent.retained_cents) == (52000, 46000, 41000)
    # The report's ratios are floats; the contract's basis points are their exact floor.
    assert record.ndr_bp == int(report["ndr"] * 10_000) == sent.ndr_bp
    assert record.gdr_bp == int(report["gdr"] * 10_000) == sent.gdr_bp
    chain.verify_anchored(record, sent)

    changed = {**report, "ending_mrr": report["ending_mrr"] + 0.01}
    with pytest.raises(VerificationError, match="differ"):
        chain.verify_anchored(record, figures_from_report(changed, ROOT_HASH, len(LEAVES)))


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 2**128 - 1), st.integers(0, 2**128 - 1))
def test_basis_points_round_down_in_solidity_and_python(rpc, contract, start, end) -> None:
    w3 = Web3(Web3.HTTPProvider(rpc))
    on_chain = chain.contract_at(w3, contract).functions.basisPoints(end, start).call()
    assert on_chain == basis_points(end, start)


def test_rounding_is_floor_not_half_up(rpc, contract) -> None:
    w3 = Web3(Web3.HTTPProvider(rpc))
    assert chain.contract_at(w3, contract).functions.basisPoints(2, 3).call() == 6666
    assert basis_points(2, 3) == 6666


def test_a_signed_report_checks_against_the_chain(
    rpc, owner, contract, private_key, public_key, tmp_path
) -> None:
    report = small_report(tmp_path)
    leaves = mrr_leaves(5)
    head = sign_head(next_head(None, len(leaves), merkle.root(leaves)), private_key)
    signed = sign_report(report, report["definition"]["sha256"], head, private_key)
    chain.anchor(rpc, owner, contract, figures_from_report(report, head.head.root, head.head.size))
    record = chain.verify_anchored_report(signed, public_key, rpc, contract)
    assert record.ndr_bp == 8846

    # The operator restates the figures and signs again: the signature holds, the chain does not.
    restated = {**report, "ending_mrr": 470.0}
    resigned = sign_report(restated, report["definition"]["sha256"], head, private_key)
    with pytest.raises(VerificationError, match="anchored figures differ"):
        chain.verify_anchored_report(resigned, public_key, rpc, contract)


def test_an_evm_key_file_others_can_read_is_refused(tmp_path) -> None:
    key = tmp_path / "evm.key"
    key.write_text("0x" + "11" * 32, encoding="utf-8")
    key.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        chain.load_account(key)
    key.chmod(0o600)
    assert chain.load_account(key).address.startswith("0x")
