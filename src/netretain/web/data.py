"""Every call the web face makes to the library, in one place: thin functions over `Ledger`.

Each returns what the CLI prints with `--format json` for the same command (its `to_dict()` made
JSON-ready), so the API and the CLI cannot drift apart. Renames in the library land here only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from netretain import Ledger
from netretain.core.results import plain
from netretain.definitions import Definition, default, presets, resolve
from netretain.definitions import diff as diff_definitions

# every input kind `netretain ingest` takes, in its order (usage and plans: issue 12)
INGEST_KINDS = (
    "customers",
    "subscriptions",
    "invoice_lines",
    "mrr",
    "fx_rates",
    "plans",
    "usage_events",
)
MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")
CHANGES = ("churn", "contraction", "expansion", "retained")


@contextmanager
def snapshot(writer: Ledger) -> Iterator[Ledger]:
    """A reader on its own connection to the server's ledger, inside one transaction: one complete
    state throughout, whatever an upload is doing meanwhile."""
    ledger = writer.reader()
    try:
        with ledger.snapshot():
            yield ledger
    finally:
        ledger.close()  # one connection per request: close it, not at GC time


def definition(ref: str | None) -> Definition:
    """The definition a request names (NAME or NAME@VERSION); none means the default."""
    return resolve(ref) if ref else default()


def months(ledger: Ledger) -> list[str]:
    """Every month of the ledger, oldest first, for the as-of pickers."""
    return [m["month"] for m in movements(ledger)]


def report(ledger: Ledger, as_of: str | None, ref: str | None) -> dict[str, Any]:
    """`netretain report --format json`."""
    return plain(ledger.report(as_of, definition(ref)).to_dict())


def movements(
    ledger: Ledger, start: str | None = None, end: str | None = None, ref: str | None = None
) -> list[dict[str, Any]]:
    """`netretain movements --format json`."""
    chosen = definition(ref) if ref else None
    return plain([m.to_dict() for m in ledger.movements(start, end, chosen)])


def trend(
    ledger: Ledger, by: str | None, start: str | None, end: str | None, ref: str | None
) -> list[dict[str, Any]]:
    """`netretain trend --format json`."""
    return plain(ledger.trend(by or (), start, end, definition(ref)))


def cohorts(ledger: Ledger, period: str, ref: str | None) -> list[dict[str, Any]]:
    """`netretain cohorts --format json`: every cohort x age cell."""
    return plain(ledger.cohorts(period, definition(ref)).cells)


def segments(ledger: Ledger, by: str, as_of: str | None, ref: str | None) -> list[dict[str, Any]]:
    """`netretain segments --format json`: one row per segment, small ones flagged."""
    return plain(ledger.segments(by, as_of, definition(ref)).rows)


def bridge(ledger: Ledger, as_of: str | None, by: str | None, ref: str | None) -> list[Any]:
    """`netretain bridge --format json`."""
    return plain([b.to_dict() for b in ledger.bridge(as_of, by or (), definition(ref))])


def explain(
    ledger: Ledger, start: str, end: str, by: str, top: int, ref: str | None
) -> dict[str, Any]:
    """`netretain explain --format json`: mix vs rate effects and the customers that moved."""
    return plain(ledger.explain(start, end, by, top, definition(ref)).to_dict())


def behind(
    ledger: Ledger,
    as_of: str | None,
    change: str | None,
    where: Sequence[tuple[str, str]],
    limit: int | None,
    ref: str | None,
) -> dict[str, Any]:
    """`netretain behind --format json`: the customers behind a report figure, and their total."""
    return plain(ledger.behind(as_of, change, dict(where), limit, definition(ref)).to_dict())


def benchmark(ledger: Ledger, as_of: str | None, by: str | None, ref: str | None) -> Any:
    """`netretain benchmark --format json`."""
    return plain(ledger.benchmark(as_of, by or (), definition(ref)).to_dict())


def metrics(
    ledger: Ledger, start: str | None, end: str | None, ref: str | None
) -> list[dict[str, Any]]:
    """`netretain metrics --format json`."""
    chosen = definition(ref) if ref else None
    return plain([m.to_dict() for m in ledger.metrics(start, end, chosen)])


def customers(ledger: Ledger, limit: int | None, **filters: Any) -> list[dict[str, Any]]:
    """`netretain customers --format json` (filters: customer_id, movement, month, ...)."""
    return plain(ledger.customer_rows(limit=limit, **filters))


def customer_page(ledger: Ledger, **options: Any) -> dict[str, Any]:
    """One page of customer-months, searched and sorted in the engine, with the total."""
    return plain(ledger.customer_page(**options))


def attributes(ledger: Ledger) -> list[str]:
    """The customer attributes segments can be cut by (columns beyond the required ones)."""
    known = {"name", "signup_date", "parent_id"}
    return [c for c in ledger.attributes() if c not in known]


def customer_profile(ledger: Ledger, customer_id: str) -> dict[str, Any]:
    """A customer's attributes and revenue lines (empty when unknown)."""
    return plain(ledger.customer(customer_id))


def compare(ledger: Ledger, refs: Sequence[str], as_of: str | None) -> list[dict[str, Any]]:
    """`netretain compare --format json` (no refs: every preset)."""
    chosen = [resolve(r) for r in refs] if refs else list(presets())
    return plain([r.to_dict() for r in ledger.compare(chosen, as_of)])


def rejects(ledger: Ledger, ingest_id: int | None) -> list[dict[str, Any]]:
    """`netretain rejects --format json`."""
    return plain(ledger.rejects(ingest_id).to_pylist())


def refused_rows(ledger: Ledger, kind: str, ingest_id: int | None) -> list[dict[str, Any]]:
    """A kind's refused rows as they came, without the bookkeeping columns, to fix and re-send."""
    rows = ledger.refused_rows(kind, ingest_id).to_pylist()
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]


def ingests(ledger: Ledger) -> list[dict[str, Any]]:
    """The ingest log: one row per file per ingest."""
    return plain(ledger.ingests().to_pylist())


def ingest(ledger: Ledger, files: Mapping[str, Path], strict: bool, replace: bool) -> Any:
    """`netretain ingest --format json` of files already saved in the server's data folder."""
    result = ledger.ingest(strict=strict, replace=replace, **files)  # type: ignore[arg-type]
    return plain(result.to_dict())


def definitions_list() -> list[dict[str, Any]]:
    """`netretain definitions list --format json`."""
    return [d.summary() for d in presets()]


def definition_show(ref: str) -> dict[str, Any]:
    """`netretain definitions show REF --format json`."""
    d = resolve(ref)
    return plain({**d.to_dict(), "sha256": d.sha256})


def definitions_diff(a: str, b: str) -> list[dict[str, Any]]:
    """`netretain definitions diff A B --format json`."""
    return plain(diff_definitions(resolve(a), resolve(b)))


def risk(ledger: Ledger, as_of: str | None, top: int | None) -> dict[str, Any]:
    """`netretain risk --format json` (top accounts, or every one when top is None)."""
    return plain(ledger.risk(as_of, top=top).to_dict())


def expansion(ledger: Ledger, as_of: str | None, top: int | None) -> dict[str, Any]:
    """`netretain expansion --format json`."""
    return plain(ledger.expansion(as_of, top=top).to_dict())


def forecast(ledger: Ledger, as_of: str | None) -> dict[str, Any]:
    """`netretain forecast --format json`."""
    return plain(ledger.forecast(as_of))


def alerts(ledger: Ledger, since: str | None, by: str | None = None) -> dict[str, Any]:
    """`netretain alerts --format json`."""
    return plain(ledger.alerts(since, by))
