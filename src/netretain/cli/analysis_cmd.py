"""The analysis commands: cohorts, segments, trend, bridge, explain, behind, benchmark, metrics.

Each parses options, calls one `Ledger` view and prints it (docs/analysis.md shows every output).
"""

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from netretain.analysis.attributes import parse_by
from netretain.cli import options as opt
from netretain.cli.render import (
    Format,
    cell,
    console,
    emit,
    err_console,
    notes,
    table,
    write_csv,
)
from netretain.definitions import Definition
from netretain.ledger import Ledger

BY = typer.Option(None, "--by", help="Attribute(s), comma-separated, e.g. segment,region.")
START = typer.Option(None, "--from", help="First month (YYYY-MM).")
END = typer.Option(None, "--to", help="Last month (YYYY-MM).")
RETENTION = ("customers_start", "ndr", "gdr", "logo_retention", "starting_mrr", "ending_mrr")
STEP_STYLES = {"expansion": "green", "contraction": "red", "churn": "red"}
BAR_WIDTH = 40
BAR_COLUMNS = (("step", "left"), ("amount", "right"), ("running", "right"), ("", "left"))
POINTS = {"change", "mix_effect", "rate_effect", "total", "contribution"}
BENCH = ("scope", "segment", "metric", "value", "benchmark", "published", "placement", "ref")
METRICS: tuple[str, ...] = ("month", "mrr", "arr", "customers", "arpa", "customer_churn_rate")
METRICS += ("quick_ratio", "gross_revenue_churn_rate", "net_revenue_churn_rate")
METRICS += ("expansion_rate", "net_new_mrr")


def _title(data: dict[str, Any], what: str) -> str:
    d = data["definition"]
    return f"{what} — {d['name']}@{d['version']} ({data['currency']})"


def _pct(value: Any, points: bool = False) -> Any:
    """Percent text for a ratio (points for a change in one); labels and None as they are."""
    if not isinstance(value, float):
        return value
    return f"{value * 100:+.2f} pts" if points else f"{value * 100:.1f}%"


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _pct(v, k in POINTS) for k, v in row.items()}


def _print(rows: list[dict[str, Any]], title: str, columns: Sequence[str] | None = None) -> None:
    console.print(table(rows, title=title, columns=columns))


def cohorts(
    period: str = typer.Option("month", "--period", help="month, quarter or year."),
    metric: str = typer.Option("ndr", "--metric", help="ndr, gdr or logo (table and csv)."),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """Signup cohorts x periods since start: revenue (ndr), gross (gdr) and logo retention.

    Example: netretain cohorts --db acme.duckdb --period quarter --metric gdr
    """
    result = ledger.cohorts(period, definition)
    wide = result.matrix(metric)
    shown = [{k: _pct(v) for k, v in r.items()} for r in wide]
    title = _title(result.to_dict(), f"{metric} by {period} cohort")
    emit(result.cells, fmt, rows=lambda: wide, show=lambda: _print(shown, title))


def segments(
    by: str = typer.Option(..., "--by", help="Attribute(s), comma-separated, e.g. segment,region."),
    as_of: str = opt.AS_OF,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """NDR, GDR and logo retention per segment; segments under 30 customers are flagged small.

    Example: netretain segments --db acme.duckdb --by segment,region --as-of 2025-12
    """
    result = ledger.segments(by, as_of, definition)
    notes(result.warnings)
    title = _title(result.to_dict(), f"as of {result.as_of}")
    columns = [*result.by, *RETENTION, "small"]
    shown = [{**r, "small": "small" if r["small"] else ""} for r in result.rows]
    emit(result.rows, fmt, show=lambda: _print(shown, title, columns))


def trend(
    by: str = BY,
    start: str = START,
    end: str = END,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """NDR, GDR and logo retention for every as-of month, overall or per segment.

    Example: netretain trend --db acme.duckdb --by segment --from 2024-06 --format csv
    """
    rows = ledger.trend(by or (), start, end, definition)
    if rows:
        notes(ledger.warnings(ledger.month(rows[-1]["as_of"])))
    flat = [{**r, "definition": "{name}@{version}".format(**r["definition"])} for r in rows]
    columns = ["as_of", *parse_by(by), *RETENTION]
    emit(rows, fmt, rows=lambda: flat, show=lambda: _print(rows, "trend", columns))


def _bar(low: Decimal, high: Decimal, top: Decimal, style: str) -> Text:
    """A horizontal bar from low to high on a 0..top scale (at least one block wide)."""
    start = round(float(low / top) * BAR_WIDTH)
    stop = max(round(float(high / top) * BAR_WIDTH), start + 1)
    return Text(" " * start) + Text("█" * (stop - start), style=style)


def show_bridge(bridges: list[dict[str, Any]], attrs: list[str]) -> None:
    """Each bridge as a waterfall: amount, running total and a bar per step."""
    for b in bridges:
        top = max([s["running"] for s in b["steps"]] + [Decimal(1)])
        out = Table(title=_title(b, f"NDR bridge as of {b['as_of']}"), header_style="bold")
        for name, justify in BAR_COLUMNS:
            out.add_column(name, justify=justify)  # type: ignore[arg-type]
        before = Decimal(0)
        for s in b["steps"]:
            moving = s["step"] in STEP_STYLES
            low, high = sorted((before, s["running"])) if moving else (Decimal(0), s["running"])
            bar = _bar(low, high, top, STEP_STYLES.get(s["step"], "blue"))
            out.add_row(s["step"], cell("amount", s["amount"]), cell("mrr", s["running"]), bar)
            before = s["running"]
        console.print(out)
        label = "".join(f"{a}={b[a]}: " for a in attrs)
        console.print(f"{label}NDR {_pct(b['ndr'])}, GDR {_pct(b['gdr'])}")


def bridge(
    as_of: str = opt.AS_OF,
    by: str = BY,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """Starting MRR -> expansion -> contraction -> churn -> ending MRR: the board-deck waterfall.

    Example: netretain bridge --db acme.duckdb --as-of 2025-12 --by segment
    """
    bridges = ledger.bridge(as_of, by or (), definition)
    notes(bridges[0].warnings if bridges else ())
    data = [b.to_dict() for b in bridges]
    steps = [row for b in bridges for row in b.step_rows()]
    emit(data, fmt, rows=lambda: steps, show=lambda: show_bridge(data, list(parse_by(by))))


def explain(
    start: str = typer.Option(..., "--from", help="Earlier as-of month (YYYY-MM)."),
    end: str = typer.Option(..., "--to", help="Later as-of month (YYYY-MM)."),
    by: str = typer.Option("segment", "--by", help="Attribute(s) that define the segments."),
    top: int = typer.Option(10, "--top", help="How many customers to list."),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """What moved NDR between two as-of months: segment mix vs within-segment rates, and who.

    Example: netretain explain --db acme.duckdb --from 2025-06 --to 2025-12 --by segment --top 5
    """
    result = ledger.explain(start, end, by, top, definition)
    notes(result.warnings)
    data = result.to_dict()

    def show() -> None:
        title = _title(data, f"NDR {result.start} -> {result.end}")
        _print([_shown(result.totals())], title)
        _print([_shown(r) for r in result.segment_rows()], "by segment")
        _print([_shown(c) for c in data["customers"]], "customers that moved NDR most")

    emit(data, fmt, rows=result.segment_rows, show=show)


def behind(
    as_of: str = opt.AS_OF,
    change: str = typer.Option(None, "--change", help="churn, contraction, expansion, retained."),
    where: list[str] = typer.Option(None, "--where", help="ATTR=VALUE; repeat to narrow further."),
    limit: int = typer.Option(1000, "--limit", help="At most this many rows shown (0: all)."),
    export: Path = typer.Option(None, "--export", help="Write every matching row to this CSV."),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """The cohort customers behind a report's churn_mrr, contraction_mrr or expansion_mrr.

    Example: netretain behind --db acme.duckdb --as-of 2025-12 --change churn --where segment=SMB
    """
    pairs = [w.split("=", 1) for w in where or []]
    if any(len(p) != 2 for p in pairs):
        raise typer.BadParameter("--where takes ATTR=VALUE, e.g. --where segment=SMB")
    result = ledger.behind(
        as_of,
        change,
        dict(pairs),
        None if export or not limit else limit,
        definition,
    )
    notes(result.warnings)
    if export:
        with export.open("w", newline="", encoding="utf-8") as out:
            write_csv(result.rows, out)
        err_console.print(f"wrote {result.count:,} row(s) to {export}")
        result = replace(result, rows=result.rows[: limit or None])
    data = result.to_dict()

    def show() -> None:
        _print(result.rows, _title(data, f"{change or 'cohort'} as of {result.as_of}"))
        console.print(f"total {cell('amount', result.total)} across {result.count:,} customer(s)")

    emit(data, fmt, rows=lambda: result.rows, show=show)


def benchmark(
    as_of: str = opt.AS_OF,
    by: str = BY,
    benchmarks: Path = typer.Option(None, "--benchmarks", help="Your own benchmarks TOML file."),
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """NDR and GDR against published survey benchmarks (not live data), overall and per segment.

    Example: netretain benchmark --db acme.duckdb --by size_band,segment
    """
    chosen = definition
    result = ledger.benchmark(as_of, by or (), chosen, benchmarks)
    data = result.to_dict()

    def show() -> None:
        sources = list(dict.fromkeys(r["source"] for r in result.rows if r["source"]))
        refs = {source: f"[{i}]" for i, source in enumerate(sources, start=1)}
        rows = [
            {
                **r,
                "value": _pct(r["value"]),
                "published": _published(r),
                "ref": refs.get(r["source"]),
            }
            for r in result.rows
        ]
        _print(rows, _title(data, f"benchmarks as of {result.as_of}"), BENCH)
        for source, ref in refs.items():
            console.print(f"{ref} {source}", highlight=False, markup=False)
        for warning in result.warnings:
            err_console.print(f"[yellow]note:[/] {warning}")
        console.print("Published survey values, not live data: see docs/analysis.md.")

    emit(data, fmt, rows=lambda: result.rows, show=show)


def _published(r: dict[str, Any]) -> str:
    """A benchmark's published values in words: median, top quartile or target range."""
    if r["median"] is not None:
        top = f", top quartile {_pct(r['top_quartile'])}" if r["top_quartile"] else ""
        return f"median {_pct(r['median'])}{top}"
    low, high = r["range_low"], r["range_high"]
    if high is None:
        return f"target {_pct(low)} or more" if low is not None else "—"
    return f"target {_pct(low) if low is not None else '0%'} to {_pct(high)}"


def metrics(
    start: str = START,
    end: str = END,
    fmt: Format = opt.FORMAT,
    *,
    ledger: Ledger,
    definition: Definition | None,
) -> None:
    """Per month: MRR, ARR, ARPA, churn rates, expansion rate, quick ratio and net new MRR.

    Example: netretain metrics --db acme.duckdb --from 2025-01 --to 2025-12
    """
    chosen = definition
    months = ledger.metrics(start, end, chosen)
    notes(months[-1].warnings if months else ())
    rows = [m.to_dict() for m in months]
    emit(rows, fmt, show=lambda: _print(rows, "SaaS metrics", METRICS))


def register(app: typer.Typer) -> None:
    """Add the analysis commands to the app."""
    for command in (cohorts, segments, trend, bridge, explain, behind, benchmark, metrics):
        app.command(command.__name__)(opt.with_ledger(command))
