"""`netretain report --html FILE`: one self-contained HTML file (inline JS, CSS and data).

It opens with no network, to attach to an email; the figures are the ones `report --format json`
prints, from the same library calls as the dashboard's overview.
"""

from __future__ import annotations

from pathlib import Path

from netretain import Ledger
from netretain.web import charts, data
from netretain.web.app import STATIC, plotly_js
from netretain.web.templating import templates


def render_report(ledger: Ledger, as_of: str | None = None, ref: str | None = None) -> str:
    """The overview's headline, charts and tables as one HTML document."""
    report = data.report(ledger, as_of, ref)
    moves = data.movements(ledger, None, report["as_of"], ref)
    metrics = data.metrics(ledger, None, report["as_of"], ref)
    trend = data.trend(ledger, None, None, report["as_of"], ref)
    bridge = data.bridge(ledger, report["as_of"], None, ref)[0]
    context = {
        "report": report,
        "latest": metrics[-1],
        "moves": moves,
        "trend": trend,
        "bridge": bridge,
        "charts": {
            "trend": charts.trend(trend),
            "movements": charts.movements(moves, metrics, ref),
            "bridge": charts.bridge(bridge, ref),
        },
        # </script> inside the bundle would end the inline script early; Plotly's has none.
        "plotly": plotly_js().read_text(encoding="utf-8"),
        "app_js": (STATIC / "app.js").read_text(encoding="utf-8"),
        "css": (STATIC / "style.css").read_text(encoding="utf-8"),
    }
    return templates.env.get_template("report.html").render(context)


def write_report(ledger: Ledger, path: str | Path, **options: str | None) -> Path:
    """Write the report to `path` and return it."""
    target = Path(path)
    target.write_text(render_report(ledger, **options), encoding="utf-8")
    return target
