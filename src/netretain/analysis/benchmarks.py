"""Place a company's NDR and GDR, overall and per segment, against published survey benchmarks.

The figures live in `benchmarks.toml` (data, each with its source and year): published survey
values, not live data. Placement against a figure:

    top quartile   value >= the published top-quartile figure
    above median   value >= the published median
    below median   value <  the published median
    within / below / above range   against a published target range (e.g. Bessemer's)
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from netretain.analysis.attributes import parse_by
from netretain.analysis.segments import segments
from netretain.core import ledger
from netretain.core.arith import month_label
from netretain.core.errors import LedgerError
from netretain.core.ledger import Sources
from netretain.core.results import money
from netretain.definitions.model import Definition
from netretain.engines.base import Store

METRICS = ("ndr", "gdr")


@dataclass(frozen=True)
class Benchmark:
    """One published figure: what it measures, for which group, its values and its source."""

    metric: str
    dimension: str
    group: str
    source: str
    year: int
    match: tuple[str, ...] = ()
    median: float | None = None
    top_quartile: float | None = None
    range_low: float | None = None
    range_high: float | None = None
    arr_min: int | None = None
    data_year: int | None = None
    note: str = ""

    def matches(self, value: Any) -> bool:
        """Whether an attribute value belongs to this figure's group."""
        return str(value).strip().lower() in {m.lower() for m in self.match}

    def place(self, value: float | None) -> str:
        """Where a ratio stands against this figure."""
        if value is None:
            return "no data"
        if self.top_quartile is not None and value >= self.top_quartile:
            return "top quartile"
        if self.median is not None:
            return "above median" if value >= self.median else "below median"
        if self.range_low is not None and value < self.range_low:
            return "below range"
        if self.range_high is not None and value > self.range_high:
            return "above range"
        return "within range"


def load(path: str | Path | None = None) -> tuple[Benchmark, ...]:
    """The shipped benchmark figures, or those of a TOML file of the same shape."""
    try:
        if path is None:
            text = resources.files("netretain.analysis").joinpath("benchmarks.toml").read_text()
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LedgerError(f"cannot read benchmarks {path or 'benchmarks.toml'}: {exc}") from None
    known = {f.name for f in fields(Benchmark)}
    out = []
    for i, item in enumerate(data.get("benchmark", []), start=1):
        unknown = sorted(set(item) - known)
        if unknown or item.get("metric") not in METRICS:
            raise LedgerError(
                f"benchmark {i} in {path or 'benchmarks.toml'}: metric must be ndr or gdr"
                + (f"; unknown key(s) {', '.join(unknown)}" if unknown else "")
            )
        out.append(Benchmark(**{**item, "match": tuple(item.get("match", ()))}))
    return tuple(out)


@dataclass(frozen=True)
class Placement:
    """A company's NDR and GDR, overall and per segment, each against the figures that apply."""

    as_of: str
    definition: dict[str, Any]
    currency: str
    company_arr: Decimal
    rows: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "definition": dict(self.definition),
            "currency": self.currency,
            "company_arr": self.company_arr,
            "warnings": list(self.warnings),
            "placements": self.rows,
        }


def _rows(
    scope: str, segment: Any, figures: dict[str, Any], found: Sequence[Benchmark], arr: Decimal
) -> list[dict[str, Any]]:
    """One flat row per metric and matching figure (or one saying none was published)."""
    base = {
        "scope": scope,
        "segment": segment,
        "customers_start": figures["customers_start"],
        "small": figures.get("small", False),
    }
    out = []
    for metric in METRICS:
        value = figures[metric]
        matching = [b for b in found if b.metric == metric]
        for b in matching or [None]:
            out.append(
                {
                    **base,
                    "metric": metric,
                    "value": value,
                    "benchmark": b.group if b else None,
                    "median": b.median if b else None,
                    "top_quartile": b.top_quartile if b else None,
                    "range_low": b.range_low if b else None,
                    "range_high": b.range_high if b else None,
                    "placement": b.place(value) if b else "no published benchmark",
                    "comparable": b is None or b.arr_min is None or arr >= b.arr_min,
                    "source": f"{b.source} ({b.year})" if b else None,
                    "note": b.note if b else "",
                }
            )
    return out


def benchmark(
    store: Store,
    sources: Sources,
    definition: Definition,
    *,
    as_of: int,
    by: str | Sequence[str] = (),
    path: str | Path | None = None,
) -> Placement:
    """The company's NDR/GDR against every figure that applies; `by` attributes one at a time."""
    figures = load(path)
    mrr = ledger.monthly_mrr(sources, definition)
    total = store.to_arrow(
        mrr.filter(mrr.month_index == as_of).aggregate(total=mrr.mrr_cents.sum())
    ).to_pylist()[0]["total"]
    arr = money(12 * int(total or 0))
    overall = segments(store, sources, definition, by=(), as_of=as_of).rows
    rows = []
    if overall:
        found = [b for b in figures if b.dimension == "overall"]
        rows += _rows("overall", None, overall[0], found, arr)
    for name in parse_by(by):
        dimension = [b for b in figures if b.dimension == name]
        for seg in segments(store, sources, definition, by=(name,), as_of=as_of).rows:
            found = [b for b in dimension if b.matches(seg[name])]
            rows += _rows(name, seg[name], seg, found, arr)
    warnings = []
    if definition.window_months != 12:
        warnings.append(
            f"{definition.ref} has a {definition.window_months}-month window; the published "
            "figures are annual (12-month) retention"
        )
    if sources.currency != "USD":
        warnings.append(
            f"size bands are in {sources.currency}; the published contract-size bands are in USD"
        )
    return Placement(month_label(as_of), definition.stamp(), sources.currency, arr, rows, warnings)
