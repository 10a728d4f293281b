"""`netretain anchor` and `verify-report --anchored` on Anvil against a real ledger: the contract's
NDR equals `netretain report`'s to the basis point; the true signed report passes, a restated or
edited one fails; a record is never overwritten."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from netretain import Ledger
from netretain.transparency.keys import init_keys
from tests.cli.conftest import assert_clean_error, invoke, invoke_json, validate
from tests.conftest import Inputs, mrr_rows

from .anvil import AnvilMissing, anvil, funded_key_file


@pytest.fixture(scope="module")
def rpc() -> Iterator[str]:
    try:
        with anvil() as url:
            yield url
    except AnvilMissing as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cohort of conftest.small_report: 520.00 -> 460.00 with 410.00 kept, in a ledger file."""
    folder = tmp_path_factory.mktemp("anchored")
    rows = [
        *mrr_rows("a", "2023-01", "2024-03", "100.00"),
        *mrr_rows("b", "2023-01", "2024-02", "250.00"),
        *mrr_rows("b", "2024-03", "2024-03", "300.00"),
        *mrr_rows("c", "2023-01", "2023-10", "80.00"),
        *mrr_rows("e", "2023-01", "2023-12", "90.00"),
        *mrr_rows("e", "2024-01", "2024-03", "60.00"),
        *mrr_rows("d", "2024-01", "2024-03", "40.00"),
    ]
    with Ledger(folder / "ledger.duckdb") as ledger:
        ledger.ingest(mrr=Inputs(folder).mrr(rows))
    return folder / "ledger.duckdb"


@pytest.fixture(scope="module")
def owner(rpc: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return funded_key_file(rpc, tmp_path_factory.mktemp("owner") / "owner.key")[0]


@pytest.fixture(scope="module")
def anchored(rpc: str, owner: Path, db: Path) -> dict:
    args = ("anchor", "--db", db, "--rpc", rpc, "--key-file", owner, "--deploy")
    return invoke_json(*args, "--as-of", "2024-03", schema="anchor")


def test_the_contracts_ndr_is_the_reports(anchored: dict, db: Path) -> None:
    report = json.loads(invoke("report", "--db", db, "--as-of", "2024-03", "-f", "json").stdout)
    assert (anchored["starting_cents"], anchored["ending_cents"]) == (52000, 46000)
    assert anchored["retained_cents"] == 41000
    assert anchored["ndr_bp"] == math.floor(report["ndr"] * 10_000) == 8846
    assert anchored["gdr_bp"] == math.floor(report["gdr"] * 10_000) == 7884
    head = json.loads(invoke("log", "--db", db, "--format", "json").stdout)
    assert anchored["size"] > 0 and anchored["root"] in json.dumps(head)


def signed(db: Path, tmp_path: Path, name: str = "r.json") -> Path:
    path = tmp_path / name
    path.write_text(invoke("report", "--db", db, "--as-of", "2024-03", "--sign").stdout)
    validate("signed-report", json.loads(path.read_text()))
    return path


def test_verify_report_anchored_passes_for_the_true_report(rpc, anchored, db, tmp_path) -> None:
    path = signed(db, tmp_path)
    args = ("--public-key", f"{db}.pub", "--anchored", "--rpc", rpc)
    done = invoke_json(
        "verify-report", path, *args, "--contract", anchored["contract"], schema="verify-report"
    )
    assert done["anchored"]["ndr_bp"] == 8846
    assert done["anchored"]["record_id"] == anchored["record_id"]


def test_a_restated_report_fails_against_the_chain(rpc, anchored, db, tmp_path) -> None:
    from netretain.transparency.heads import SignedHead
    from netretain.transparency.keys import load_private_key
    from netretain.transparency.signed_report import sign_report

    true = json.loads(signed(db, tmp_path).read_text())
    restated = {**true["report"], "ending_mrr": "470.00"}  # the operator signs a better figure
    key = load_private_key(Path(f"{db}.key"))
    resigned = sign_report(
        restated, true["definition_sha256"], SignedHead.from_dict(true["head"]), key
    )
    path = tmp_path / "restated.json"
    path.write_text(json.dumps(resigned))
    args = (
        "--public-key",
        f"{db}.pub",
        "--anchored",
        "--rpc",
        rpc,
        "--contract",
        anchored["contract"],
    )
    invoke("verify-report", path, "--public-key", f"{db}.pub")  # the signature alone holds
    assert_clean_error(invoke("verify-report", path, *args, code=1), "anchored figures differ")


def test_a_report_changed_by_one_digit_fails(rpc, anchored, db, tmp_path) -> None:
    path = signed(db, tmp_path)
    path.write_text(path.read_text().replace('"ending_mrr": "460.00"', '"ending_mrr": "460.01"'))
    args = (
        "--public-key",
        f"{db}.pub",
        "--anchored",
        "--rpc",
        rpc,
        "--contract",
        anchored["contract"],
    )
    assert_clean_error(invoke("verify-report", path, *args, code=1), "bad signature")


def test_an_anchor_is_never_overwritten(rpc, owner, anchored, db) -> None:
    args = ("anchor", "--db", db, "--rpc", rpc, "--key-file", owner, "--as-of", "2024-03")
    result = invoke(*args, "--contract", anchored["contract"], code=1)
    assert_clean_error(result, "AlreadyAnchored")


def test_only_the_owner_anchors_from_the_cli(rpc, anchored, db, tmp_path) -> None:
    stranger, _ = funded_key_file(rpc, tmp_path / "stranger.key")
    args = ("anchor", "--db", db, "--rpc", rpc, "--key-file", stranger, "--as-of", "2024-02")
    result = invoke(*args, "--contract", anchored["contract"], code=1)
    assert_clean_error(result, "OwnableUnauthorizedAccount")


def test_anchor_needs_a_contract_or_deploy(rpc, owner, db) -> None:
    result = invoke("anchor", "--db", db, "--rpc", rpc, "--key-file", owner, code=2)
    assert "--contract ADDRESS or --deploy" in result.output


def test_verify_report_anchored_needs_the_chain(db, tmp_path) -> None:
    path = signed(db, tmp_path)
    other = init_keys(tmp_path / "k")
    assert_clean_error(
        invoke("verify-report", path, "--public-key", other.public, code=1), "another key"
    )
    result = invoke("verify-report", path, "--public-key", f"{db}.pub", "--anchored", code=2)
    assert "--rpc and --contract" in result.output
