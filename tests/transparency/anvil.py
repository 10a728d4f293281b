"""A real local EVM node for the contract tests: Anvil from the pinned npm package, on 127.0.0.1.

A missing node or `npm ci` is a test failure, never a skip: a machine without them cannot pass.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from eth_account import Account
from web3 import Web3

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
READY_TRIES = 200  # polls of 0.1 s: Anvil answers in well under a second


class AnvilMissing(RuntimeError):
    """node or the npm packages are not installed."""


def anvil_command(port: int) -> list[str]:
    if shutil.which("node") is None:
        raise AnvilMissing("node is not installed: apt-get install nodejs npm, then npm ci")
    if not ANVIL.exists():
        raise AnvilMissing(f"{ANVIL.relative_to(ROOT)} is missing: run `npm ci` in {ROOT}")
    return [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--quiet", "--accounts", "1"]


@contextmanager
def anvil() -> Iterator[str]:
    """Start Anvil on a free port; yield its RPC URL; stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        anvil_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[bytes], url: str) -> None:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 2}))
    for _ in range(READY_TRIES):
        if process.poll() is not None:
            raise AnvilMissing(f"anvil exited: {process.stderr.read().decode()[-2000:]}")
        if w3.is_connected():
            return
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.1)  # a pause that also notices an early exit
    raise AnvilMissing(f"anvil did not answer at {url}")


def funded_key_file(url: str, path: Path) -> tuple[Path, str]:
    """A fresh account with 100 ETH on the node, its hex key written to `path` (mode 0600)."""
    account = Account.create()
    w3 = Web3(Web3.HTTPProvider(url))
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**20)])
    path.write_text("0x" + account.key.hex().removeprefix("0x"), encoding="utf-8")
    path.chmod(0o600)
    return path, account.address
