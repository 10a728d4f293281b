"""Small ledgers written as CSV and ingested in two parts or at once, and what to compare (issue 16
item 4): every derived table's rows and the ledger's meta must be the same either way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from netretain import Ledger
from netretain.ledger.hooks import Ingested
from netretain.store.catalogue import REBUILT

HEADERS = {
    "customers": "customer_id,name",
    "subscriptions": "subscription_id,customer_id,start_date,end_date,amount,interval_months,"
    "currency",
    "invoice_lines": "line_id,customer_id,invoice_date,type,service_start,service_end,amount,"
    "currency,subscription_id",
    "mrr": "customer_id,month,mrr,currency",
    "fx_rates": "month,currency,rate",
    "usage_events": "customer_id,date,metric,quantity",
}
Files = Mapping[str, Sequence[str]]  # kind -> CSV rows (no header)


def month(m: int) -> str:
    """Month index `m` from 2024-01 as YYYY-MM."""
    return f"{2024 + m // 12}-{m % 12 + 1:02d}"


def day(m: int, d: int = 1) -> str:
    """Day `d` of month index `m`, YYYY-MM-DD."""
    return f"{month(m)}-{d:02d}"


def line(i: int, customer: str, start: int, months: int, amount: int, *more: str) -> str:
    """Invoice line L{i}: service from month `start` (an index from 2024-01) for `months`;
    `more` is the currency, the subscription billed and the type."""
    cur, sub, kind = _more(more)
    period = f"{day(start)},{day(start + months)}"
    return f"L{i},{customer},{day(start)},{kind},{period},{amount},{cur},{sub}"


def _more(more: tuple[str, ...]) -> tuple[str, str, str]:
    defaults = ("USD", "", "subscription")
    cur, sub, kind = (*more, *defaults[len(more) :])
    return cur, sub, kind


FX = ["2024-01,EUR,1.10", "2024-01,GBP,1.25"]


# C1 pays in January and February 2024, then again in June (the second part): March is its churn
# month, April and May zero months the second ingest must fill in before June.
GAP_RETURN = (
    {"invoice_lines": [line(1, "C1", 0, 2, 100), line(2, "C2", 0, 6, 600)], "fx_rates": FX},
    {"invoice_lines": [line(3, "C1", 5, 1, 80), line(4, "C2", 6, 1, 100)]},
)
# An open subscription runs to the horizon, which April's line moves.
OPEN_HORIZON = (
    {
        "subscriptions": ["S1,C1,2024-01-15,,120,12,EUR"],
        "invoice_lines": [line(1, "C2", 2, 1, 50)],
        "fx_rates": FX,
    },
    {"invoice_lines": [line(2, "C3", 3, 1, 70, "GBP")]},
)


def write(directory: Path, files: Files) -> dict[str, Path]:
    """Each kind's rows as a CSV file with its header; kinds without rows are left out."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, rows in files.items():
        if rows:
            path = directory / f"{kind}.csv"
            path.write_text("\n".join([HEADERS[kind], *rows]) + "\n")
            paths[kind] = path
    return paths


class Watch:
    """An ingest hook that keeps whether each ingest's rebuild was incremental."""

    def __init__(self) -> None:
        self.incremental: list[bool] = []

    def __call__(self, ingested: Ingested) -> None:
        self.incremental.append(ingested.deltas is not None)


def contents(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every rebuilt table's rows, sorted (row order is not part of a table)."""
    out = {}
    for name in REBUILT:
        rows = ledger.execute(ledger.table(name)).to_pylist()
        out[name] = sorted((tuple(r.items()) for r in rows), key=repr)
    return out


def recorded(ledger: Ledger) -> dict[str, tuple[int, int]]:
    """The checksums kept for the rebuilt tables."""
    rows = ledger.execute(ledger.table("checksums")).to_pylist()
    return {r["table_name"]: (r["rows"], r["checksum"]) for r in rows if r["table_name"] in REBUILT}


def in_parts(make: Any, tmp: Path, parts: Sequence[Files]) -> tuple[Ledger, Watch]:
    """A ledger (from `make(watch)`) that ingested `parts` one after the other."""
    watch = Watch()
    ledger = make(watch)
    for i, files in enumerate(parts):
        result = ledger.ingest(**write(tmp / f"part{i}", files))
        assert result.rejected == 0, [str(r) for r in result.rejects]
    return ledger, watch


def merged(parts: Sequence[Files]) -> dict[str, list[str]]:
    """All parts' rows, kind by kind."""
    out: dict[str, list[str]] = {}
    for files in parts:
        for kind, rows in files.items():
            out.setdefault(kind, []).extend(rows)
    return out


def assert_same(make: Any, tmp: Path, parts: Sequence[Files]) -> list[bool]:
    """Ingesting `parts` one by one leaves the same tables, figures and checksums as at once;
    returns which ingests were incremental."""
    stepped, watch = in_parts(make, tmp / "stepped", parts)
    whole, _ = in_parts(make, tmp / "whole", [merged(parts)])
    assert contents(stepped) == contents(whole)
    assert stepped.movements() == whole.movements()
    assert stepped.trend() == whole.trend()
    assert stepped.check().ok
    if stepped.store.name == "duckdb":  # hashes differ between engines, not between ledgers
        assert recorded(stepped) == recorded(whole)
    return watch.incremental
