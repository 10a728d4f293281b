"""Speed of a customer statement with its proofs, and of a signed report, on a benchmark ledger.

    python -m benchmarks.proofs --size 1M      # writes the "Statements" section of results.md

Target (issue 13): a statement with its inclusion proofs comes back in under 200 ms at 1M
customers. Customers spread over the whole id range are asked once each, in process, on a ledger
opened read-only (as `netretain statement` opens it); the parts (the customer's log entries, their
proofs, their MRR history) are timed apart, and the customer's own verification beside them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.data import ingested, parse_size
from benchmarks.report import replace_section
from benchmarks.web import p95
from netretain import Ledger
from netretain.ledger import proofs
from netretain.transparency.statement import verify_statement

HEADING = "## Statements and signed reports"
ASKED = 20


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def run(size: str, months: int) -> dict[str, list[float]]:
    """Seconds per statement (and its parts), per verification and per signed report."""
    db = ingested(size, months)
    customers = parse_size(size)
    ids = [f"C{n:07d}" for n in range(1, customers + 1, max(1, customers // ASKED))][:ASKED]
    out: dict[str, list[float]] = {k: [] for k in PARTS}
    with Ledger(db, read_only=True) as ledger:
        key, public = ledger.signing_key(), ledger.public_key()
        head = ledger.log_head()
        assert head is not None, "the benchmark ledger has no log"
        for customer in ids:
            seconds, statement = timed(lambda c=customer: proofs.statement(ledger, c, key))
            out["statement with proofs"].append(seconds)
            seconds, entries = timed(lambda c=customer: ledger.log_entries(c))
            out["  log entries"].append(seconds)
            indexes = [e.index for e in entries]
            out["  inclusion proofs"].append(
                timed(lambda i=indexes: ledger.inclusion_proofs(i, head.head.size))[0]
            )
            out["  MRR history"].append(
                timed(lambda c=customer: ledger.customer_rows(customer_id=c))[0]
            )
            out["verify (the customer's side)"].append(
                timed(lambda s=statement: verify_statement(s, public))[0]
            )
        for as_of in [m.month for m in ledger.movements()][-3:]:
            report = ledger.report(as_of)
            out["report --sign (signing only)"].append(
                timed(lambda r=report: proofs.signed_report(ledger, r, key))[0]
            )
    out["load"] = [os.getloadavg()[0]]
    out["leaves per statement"] = [float(len(statement["leaves"]))]
    out["log size"] = [float(head.head.size)]
    return out


PARTS = (
    "statement with proofs",
    "  log entries",
    "  inclusion proofs",
    "  MRR history",
    "verify (the customer's side)",
    "report --sign (signing only)",
)


def section(size: str, results: dict[str, list[float]]) -> str:
    """The results.md section: p95 and median per step, in milliseconds."""
    lines = [
        HEADING,
        "",
        f"`python -m benchmarks.proofs --size {size}`: {ASKED} customers spread over the id range, "
        f"each asked once on a read-only ledger; log of {results['log size'][0]:,.0f} leaves, "
        f"{results['leaves per statement'][0]:.0f} leaves in the last statement. "
        f"Target: a statement with its proofs under 200 ms. Load average {results['load'][0]:.1f}"
        " on this machine's cores while measured.",
        "",
        "| step | p95 | median |",
        "|---|---:|---:|",
    ]
    for name in PARTS:
        seconds = results[name]
        median = statistics.median(seconds)
        lines.append(f"| {name} | {p95(seconds) * 1000:.1f} ms | {median * 1000:.1f} ms |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.proofs", description=__doc__)
    parser.add_argument("--size", default="1M", help="customers: 10k, 100k or 1M")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    text = section(args.size, run(args.size, args.months))
    print(text)
    if not args.no_write:
        replace_section(HEADING, text)


if __name__ == "__main__":
    main()
