"""A statement's HTML checks itself in Chromium (WebCrypto SHA-256 and Ed25519, no network): a true
statement shows verified; a changed amount, a changed history or another key shows failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netretain.transparency.keys import init_keys, load_private_key
from netretain.web.statement_html import write_statement
from tests.transparency.test_statement import statement_for
from tests.web.conftest import Watched, shot


def opened(tab: Watched, path: Path) -> tuple[str, str]:
    """Open the file and wait for the verdict: (state, banner text)."""
    tab.page.goto(path.as_uri())
    banner = tab.page.locator("#verification")
    tab.page.wait_for_function(
        "document.getElementById('verification').dataset.state !== 'checking'", timeout=20_000
    )
    return str(banner.get_attribute("data-state")), banner.inner_text()


@pytest.fixture
def signer(tmp_path: Path):
    return load_private_key(init_keys(tmp_path / "keys").private)


def test_a_true_statement_shows_verified(tab: Watched, tmp_path: Path, signer) -> None:
    path = write_statement(statement_for("c2", signer), signer.public_key(), tmp_path / "s.html")
    state, text = opened(tab, path)
    assert state == "verified", text
    assert "Verified in your browser: all 3 facts are in netretain's signed log of 21" in text
    assert tab.page.locator("#facts-mrr tbody tr").count() == 3
    assert tab.page.locator("#history-table td[data-col='mrr']").all_inner_texts() == [
        "121.50",
        "122.50",
    ]
    shot(tab.page, "statement-verified")
    tab.clean()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda s: s["leaves"][1].update(
                data=s["leaves"][1]["data"].replace("122.50", "123.50")
            ),
            "fact 9 is not in the signed log of 21 entries",
        ),
        (lambda s: s["history"][0].update(mrr="99.00"), "bad signature: the statement's"),
        (lambda s: s["head"]["head"].update(size=22), "bad signature on the head of size 22"),
    ],
)
def test_a_changed_statement_shows_failed(tab: Watched, tmp_path, signer, change, reason) -> None:
    statement = json.loads(json.dumps(statement_for("c2", signer)))
    change(statement)
    path = write_statement(statement, signer.public_key(), tmp_path / "s.html")
    state, text = opened(tab, path)
    assert state == "failed" and reason in text and "Do not rely" in text, text
    tab.clean()


def test_a_statement_signed_by_another_key_fails(tab: Watched, tmp_path: Path, signer) -> None:
    other = load_private_key(init_keys(tmp_path / "other").private)
    path = write_statement(statement_for("c2", signer), other.public_key(), tmp_path / "s.html")
    state, text = opened(tab, path)
    assert state == "failed" and "not key" in text, text
    tab.clean()


def test_an_edited_html_file_fails(tab: Watched, tmp_path: Path, signer) -> None:
    path = write_statement(statement_for("c2", signer), signer.public_key(), tmp_path / "s.html")
    html = path.read_text(encoding="utf-8")
    assert html.count("121.50") >= 2  # the fact and the history
    path.write_text(html.replace("121.50", "121.05"), encoding="utf-8")
    state, text = opened(tab, path)
    assert state == "failed" and "fact 2 is not in the signed log" in text, text
    tab.clean()


TRICKY = [
    {"b": 1, "a": [None, True, False, -7, "x"]},
    {
        "name": "Zoë \u00e9\u4e2d\u6587 \U0001f600",
        "ctl": "tab\there\nnl\u0001\u001f\u007f",
        "q": '"\\/',
    },
    {"\uff61": 1, "\U0001f600": 2, "a": {"z": "", "y": []}},  # UTF-16 order, not code points
]


@pytest.mark.parametrize("value", TRICKY)
def test_the_pages_canonical_json_is_netretains(tab: Watched, tmp_path, signer, value) -> None:
    from netretain.canonical import canonical_json

    path = write_statement(statement_for("c2", signer), signer.public_key(), tmp_path / "s.html")
    opened(tab, path)
    in_page = tab.page.evaluate("(v) => NetretainStatement.canonical(v)", value)
    assert in_page == canonical_json(value)
