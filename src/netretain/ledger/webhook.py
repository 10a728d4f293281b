"""Posting alerts to a webhook (Slack-compatible): JSON with a `text` line per alert, retried with
backoff, and never holding the command up for more than `budget` seconds in all."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

BUDGET = 5.0  # seconds for every attempt together
FIRST_WAIT = 0.25  # doubled after each failed attempt


def text(result: dict[str, Any]) -> str:
    """One line per alert, for a chat message."""
    alerts = result["alerts"]
    if not alerts:
        return "netretain: no alerts"
    lines = [f"netretain: {len(alerts)} alert(s)"]
    for a in alerts:
        where = f" ({a['segment']})" if a.get("segment") else ""
        lines.append(
            f"{a['month']} {a['figure']}{where}: {a['value']:.4f}, expected {a['expected']:.4f} "
            f"({a['direction']} {a['lower']:.4f}..{a['upper']:.4f})"
        )
    return "\n".join(lines)


def post(url: str, result: dict[str, Any], *, budget: float = BUDGET) -> dict[str, Any]:
    """POST the alerts; returns {"delivered", "attempts", "status" or "error"}; never raises."""
    payload = {k: v for k, v in result.items() if k != "webhook"}
    body = json.dumps({"text": text(result), **payload}, default=str).encode()
    deadline = time.monotonic() + budget
    wait, attempts, error = FIRST_WAIT, 0, ""
    while True:
        attempts += 1
        left = deadline - time.monotonic()
        try:
            request = urllib.request.Request(
                url, data=body, headers={"Content-Type": "application/json"}, method="POST"
            )
            with urllib.request.urlopen(request, timeout=max(left, 0.1)) as response:
                return {
                    "delivered": True,
                    "attempts": attempts,
                    "status": response.status,
                    "error": None,
                }
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = str(getattr(exc, "reason", exc))
        if time.monotonic() + wait >= deadline:
            return {"delivered": False, "attempts": attempts, "status": None, "error": error}
        time.sleep(wait)
        wait *= 2
