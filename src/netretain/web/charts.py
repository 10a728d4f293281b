"""Plotly figure specs (traces and layout) from the API's records: arrangement, no arithmetic.

Each point that stands for customers carries the URL of those customers in `customdata`, and the
page script follows it on click (drill-down).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from netretain.web.data import MOVEMENTS

COLOURS = {
    "new": "#2e7d32",
    "expansion": "#66bb6a",
    "reactivation": "#26a69a",
    "contraction": "#ef6c00",
    "churn": "#c62828",
}
SHOWN_NEGATIVE = {"contraction", "churn"}
BRIDGE_CHANGE = {"expansion": "expansion", "contraction": "contraction", "churn": "churn"}


def link(path: str, **query: Any) -> str:
    """A site URL with the query parameters that are set."""
    kept = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept, doseq=True)}" if kept else path


def layout(title: str, **extra: Any) -> dict[str, Any]:
    """The shared look: a title, tight margins, legend on top."""
    return {
        "title": {"text": title, "font": {"size": 15}},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
        "legend": {"orientation": "h", "y": -0.15},
        "height": 340,
        **extra,
    }


def trend(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """NDR, GDR and logo retention per as-of month, as lines."""
    months = [r["as_of"] for r in rows]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name.upper(),
            "x": months,
            "y": [r[key] for r in rows],
        }
        for key, name in (("ndr", "ndr"), ("gdr", "gdr"), ("logo_retention", "logo"))
    ]
    return {"traces": traces, "layout": layout("Retention trend", yaxis={"tickformat": ".0%"})}


def movements(rows: list[dict[str, Any]], net_new: list[dict[str, Any]], ref: str | None) -> dict:
    """Monthly movements as stacked bars (losses below zero) with net new MRR as a line."""
    months = [r["month"] for r in rows]
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": name,
            "x": months,
            "y": [r[name] for r in rows],
            "negate": name in SHOWN_NEGATIVE,
            "marker": {"color": COLOURS[name]},
            "customdata": [
                link("/customers", movement=name, month=m, sort="amount", definition=ref)
                for m in months
            ],
        }
        for name in MOVEMENTS
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "lines",
            "name": "net new MRR",
            "x": [m["month"] for m in net_new],
            "y": [m["net_new_mrr"] for m in net_new],
            "line": {"color": "#263238"},
            "hoverinfo": "skip",  # clicks on the bars beneath it must reach the bars
        }
    )
    return {
        "traces": traces,
        "layout": layout("Monthly MRR movements", barmode="relative", hovermode="closest"),
    }


def bridge(b: dict[str, Any], ref: str | None) -> dict[str, Any]:
    """The NDR bridge as a waterfall; a change step links to the customers behind it."""
    steps = b["steps"]
    totals = {"starting MRR", "ending MRR"}
    urls = [
        link("/behind", change=BRIDGE_CHANGE.get(s["step"]), as_of=b["as_of"], definition=ref)
        if s["step"] in BRIDGE_CHANGE
        else ""
        for s in steps
    ]
    trace = {
        "type": "waterfall",
        "x": [s["step"] for s in steps],
        "y": [s["amount"] for s in steps],
        "measure": ["absolute" if s["step"] in totals else "relative" for s in steps],
        "customdata": urls,
        "connector": {"line": {"color": "#90a4ae"}},
    }
    return {"traces": [trace], "layout": layout(f"NDR bridge as of {b['as_of']}")}


def cohort_heatmap(cells: list[dict[str, Any]], metric: str) -> dict[str, Any]:
    """Cohort x age as a heatmap of one ratio (ndr, gdr or logo_retention)."""
    cohorts = list(dict.fromkeys(c["cohort"] for c in cells))
    ages = sorted({c["age"] for c in cells})
    value = {(c["cohort"], c["age"]): c[metric] for c in cells}
    z = [[value.get((cohort, age)) for age in ages] for cohort in cohorts]
    trace = {
        "type": "heatmap",
        "x": ages,
        "y": cohorts,
        "z": z,
        "colorscale": "RdYlGn",
        "hovertemplate": "cohort %{y}, age %{x}: %{z:.1%}<extra></extra>",
    }
    return {
        "traces": [trace],
        "layout": layout(
            f"{metric} by cohort",
            height=560,
            yaxis={"autorange": "reversed"},
            xaxis={"title": {"text": "age"}},
        ),
    }


def segment_bars(rows: list[dict[str, Any]], by: list[str], as_of: str | None, ref: str | None):
    """NDR and GDR per segment; a bar links to that segment's cohort customers."""
    labels = [" / ".join(str(r[a]) for a in by) for r in rows]
    urls = [
        link("/behind", as_of=as_of, definition=ref, where=[f"{a}={r[a]}" for a in by])
        for r in rows
    ]
    traces = [
        {
            "type": "bar",
            "name": key.upper(),
            "x": labels,
            "y": [r[key] for r in rows],
            "customdata": urls,
        }
        for key in ("ndr", "gdr")
    ]
    return {
        "traces": traces,
        "layout": layout("NDR and GDR by segment", yaxis={"tickformat": ".0%"}, barmode="group"),
    }


def history(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One customer's MRR per month."""
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": "MRR",
        "x": [r["month"] for r in rows],
        "y": [r["mrr"] for r in rows],
    }
    return {"traces": [trace], "layout": layout("MRR history", xaxis={"type": "category"})}


def fan(history: list[dict[str, Any]], months: list[dict[str, Any]], figure: str) -> dict:
    """A fan chart: the figure's history, then the forecast's median with its 80% and 95%
    intervals as shaded bands."""
    ahead = [m["month"] for m in months]
    bounds = [m["intervals"][figure] for m in months]
    key = "as_of" if figure != "mrr" else "month"
    past = [r for r in history if r.get(figure) is not None]

    def band(low: str, high: str, name: str, shade: str) -> list[dict[str, Any]]:
        return [
            {"type": "scatter", "mode": "lines", "x": ahead, "y": [b[high] for b in bounds],
             "line": {"width": 0}, "showlegend": False, "hoverinfo": "skip", "name": name},
            {"type": "scatter", "mode": "lines", "x": ahead, "y": [b[low] for b in bounds],
             "fill": "tonexty", "fillcolor": shade, "line": {"width": 0}, "name": name},
        ]  # fmt: skip

    traces = [
        *band("lower_95", "upper_95", "95% interval", "rgba(21,101,192,0.15)"),
        *band("lower_80", "upper_80", "80% interval", "rgba(21,101,192,0.30)"),
        {"type": "scatter", "mode": "lines+markers", "name": "forecast", "x": ahead,
         "y": [m[figure] for m in months], "line": {"dash": "dot", "color": "#1565c0"}},
        {"type": "scatter", "mode": "lines", "name": "actual", "x": [r[key] for r in past],
         "y": [r[figure] for r in past], "line": {"color": "#263238"}},
    ]  # fmt: skip
    axis = {"tickformat": ".0%"} if figure != "mrr" else {}
    return {"traces": traces, "layout": layout(f"{figure.upper()} forecast", yaxis=axis)}
