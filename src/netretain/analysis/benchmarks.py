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
from netretain.analysis.segments import SegmentTable, segments
from netretain.core import monthly
from netretain.core.arith import month_label
from netretain.core.monthly import Sources
from netretain.core.query import Query, gather
from netretain.core.results import Stamped, arr
from netretain.definitions.model import Definition
from netretain.errors import LedgerError

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
class Placement(Stamped):
    """A company's NDR and GDR, overall and per segment, each against the figures that apply."""

    as_of: str
    company_arr: Decimal
    rows: list[dict[str, Any]] = field(metadata={"key": "placements"}, default_factory=list)


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
        options: list[Benchmark | None] = [*matching] or [None]
        for b in options:
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
    sources: Sources,
    definition: Definition,
    *,
    as_of: int,
    by: str | Sequence[str] = (),
    path: str | Path | None = None,
) -> Query[Placement]:
    """The company's NDR/GDR against every figure that applies; `by` attributes one at a time."""
    figures = load(path)
    attrs = parse_by(by)
    mrr = monthly.monthly_mrr(sources, definition)
    total = mrr.filter(mrr.month_index == as_of).aggregate(total=mrr.mrr_cents.sum())
    parts: dict[str, Query[Any]] = {
        "total": Query.one(total, lambda rows: rows[0]["total"]),
        "overall": segments(sources, definition, by=(), as_of=as_of),
        **{f"by {name}": segments(sources, definition, by=(name,), as_of=as_of) for name in attrs},
    }

    def finish(found: dict[str, Any]) -> Placement:
        company_arr = arr(found["total"])
        rows = []
        overall: SegmentTable = found["overall"]
        if overall.rows:
            matching = [b for b in figures if b.dimension == "overall"]
            rows += _rows("overall", None, overall.rows[0], matching, company_arr)
        for name in attrs:
            dimension = [b for b in figures if b.dimension == name]
            for seg in found[f"by {name}"].rows:
                matching = [b for b in dimension if b.matches(seg[name])]
                rows += _rows(name, seg[name], seg, matching, company_arr)
        return Placement(
            as_of=month_label(as_of),
            definition=definition.stamp(),
            currency=sources.currency,
            company_arr=company_arr,
            rows=rows,
            warnings=tuple(warnings(sources, definition)),
        )

    return gather(parts).then(finish)


def warnings(sources: Sources, definition: Definition) -> list[str]:
    """Why the company's figures may not compare with the published ones."""
    out = []
    if definition.window_months != 12:
        out.append(
            f"{definition.ref} has a {definition.window_months}-month window; the published "
            "figures are annual (12-month) retention"
        )
    if sources.currency != "USD":
        out.append(
            f"size bands are in {sources.currency}; the published contract-size bands are in USD"
        )
    return out
