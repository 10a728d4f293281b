"""The dashboard pages: each is a template over the same records the API returns.

Every page reads `as_of` and `definition` from the query string, so a URL is shareable.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from netretain import IngestError
from netretain.web import charts, data, uploads
from netretain.web.api import ingest_now, read
from netretain.web.errors import BadParameter, NotFound, rejects_of
from netretain.web.security import check_key
from netretain.web.templating import templates

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
METRICS = {"ndr": "ndr", "gdr": "gdr", "logo": "logo_retention"}


def render(request: Request, name: str, area: str, **context: Any) -> HTMLResponse:
    """A page with the shared context: as-of and definition pickers, navigation."""
    query = request.query_params
    base = {
        "area": area,
        "as_of": query.get("as_of") or None,
        "definition": query.get("definition") or None,
        "months": read(request, data.months),
        "definitions": data.definitions_list(),
        "busy": request.app.state.ledger.busy,
    }
    return templates.TemplateResponse(request, name, {**base, **context})


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, as_of: str | None = None, definition: str | None = None):
    """Headline figures, trend, movements, bridge and benchmarks at one as-of month."""
    report = read(request, data.report, as_of, definition)
    months = read(request, data.months)
    position = months.index(report["as_of"])
    earlier = months[position - 3] if position >= 3 else None
    before = read(request, data.report, earlier, definition) if earlier else None
    metrics = read(request, data.metrics, None, report["as_of"], definition)
    moves = read(request, data.movements, None, report["as_of"], definition)
    trend = read(request, data.trend, None, None, report["as_of"], definition)
    bridge = read(request, data.bridge, report["as_of"], None, definition)[0]
    bench = read(request, data.benchmark, report["as_of"], None, definition)
    found = read(request, data.alerts, None, None)
    return render(
        request,
        "overview.html",
        "overview",
        report=report,
        before=before,
        latest=metrics[-1],
        moves=moves,
        trend=trend,
        bridge=bridge,
        bench=bench,
        alerts=found["alerts"],
        charts={
            "trend": charts.trend(trend),
            "movements": charts.movements(moves, metrics, definition),
            "bridge": charts.bridge(bridge, definition),
        },
    )


@router.get("/cohorts", response_class=HTMLResponse)
def cohorts(
    request: Request, period: str = "month", metric: str = "ndr", definition: str | None = None
):
    """The cohort matrix as a heatmap: revenue, gross or logo retention."""
    cells = read(request, data.cohorts, period, definition)
    key = METRICS.get(metric, "ndr")
    return render(
        request,
        "cohorts.html",
        "cohorts",
        period=period,
        metric=metric,
        cells=cells,
        figure=charts.cohort_heatmap(cells, key),
    )


@router.get("/segments", response_class=HTMLResponse)
def segments(
    request: Request,
    by: list[str] = Query([]),
    as_of: str | None = None,
    definition: str | None = None,
    start: str | None = Query(None, alias="from"),
    end: str | None = Query(None, alias="to"),
):
    """NDR and GDR per attribute (one or two), and what moved NDR between two months."""
    attributes = read(request, data.attributes)
    chosen = [a for a in by if a][:2] or attributes[:1]
    joined = ",".join(chosen)
    rows = read(request, data.segments, joined, as_of, definition)
    months = read(request, data.months)
    end = end or months[-1]
    start = start or months[max(0, len(months) - 7)]
    explained = read(request, data.explain, start, end, joined, 10, definition)
    return render(
        request,
        "segments.html",
        "segments",
        attributes=attributes,
        by=chosen,
        joined=joined,
        rows=rows,
        start=start,
        end=end,
        explained=explained,
        figure=charts.segment_bars(rows, chosen, as_of, definition),
    )


@router.get("/customers", response_class=HTMLResponse)
def customers(
    request: Request,
    as_of: str | None = None,
    movement: str | None = None,
    month: str | None = None,
    q: str = "",
    sort: str = "customer_id",
    order: str = "asc",
    page: int = Query(1, ge=1),
):
    """Customer-months at one month: search, sort and pages; a movement filter drills down."""
    month = month or as_of or read(request, data.months)[-1]
    column = movement if sort == "amount" and movement else sort
    descending = order == "desc" or (sort == "amount" and movement is not None)
    found = read(
        request,
        data.customer_page,
        movement=movement,
        month=month,
        search=q,
        sort=column,
        descending=descending,
        page=page,
        size=PAGE_SIZE,
    )
    return render(
        request,
        "customers.html",
        "customers",
        **found,
        movement=movement,
        month=month,
        q=q,
        sort=sort,
        order=order,
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer(request: Request, customer_id: str):
    """One customer: MRR history, movements, revenue lines and attributes."""
    rows = read(request, data.customers, None, customer_id=customer_id)
    if not rows:
        raise NotFound(f"no customer {customer_id!r} in this ledger")
    profile = read(request, data.customer_profile, customer_id)
    return render(
        request,
        "customer.html",
        "customers",
        customer_id=customer_id,
        rows=rows,
        profile=profile,
        figure=charts.history(rows),
    )


@router.get("/behind", response_class=HTMLResponse)
def behind(
    request: Request,
    as_of: str | None = None,
    change: str | None = None,
    where: list[str] = Query([]),
    definition: str | None = None,
):
    """The cohort customers behind a report figure (bridge step or segment), with their total."""
    pairs = tuple(tuple(w.split("=", 1)) for w in where if "=" in w)
    result = read(request, data.behind, as_of, change, pairs, None, definition)
    return render(request, "behind.html", "overview", result=result, change=change, where=where)


@router.get("/risk", response_class=HTMLResponse)
def risk(request: Request, as_of: str | None = None):
    """Accounts ranked by expected MRR at risk with their drivers, and expansion candidates."""
    at_risk = read(request, data.risk, as_of, 20)
    growth = read(request, data.expansion, as_of, 20)
    return render(request, "risk.html", "risk", risk=at_risk, expansion=growth)


@router.get("/definitions", response_class=HTMLResponse)
def definitions(
    request: Request,
    show: str = "ndr@1",
    a: str = "ndr",
    b: str = "ndr-lenient",
    as_of: str | None = None,
):
    """Every definition, one shown in full, a diff of two, and all of them on the same data."""
    return render(
        request,
        "definitions.html",
        "definitions",
        shown=data.definition_show(show),
        show=show,
        a=a,
        b=b,
        diff=data.definitions_diff(a, b),
        compare=read(request, data.compare, (), as_of),
    )


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request, ingest: int | None = None):
    """The ingest history, the rejects of every ingest and the upload form."""
    return render(
        request,
        "data.html",
        "data",
        ingests=read(request, data.ingests),
        rejects=read(request, data.rejects, ingest),
        kinds=data.INGEST_KINDS,
        result=None,
    )


@router.post("/data/upload", response_class=HTMLResponse)
async def upload(
    request: Request,
    api_key: str = Form(""),
    kind: str = Form("invoice_lines"),
    file: UploadFile = File(...),
    strict: bool = Form(False),
):
    """The upload form: one file of one kind, ingested; every rejected row shown with its reason."""
    ledger = request.app.state.ledger
    check_key(ledger.settings.api_key, api_key or None)
    if kind not in data.INGEST_KINDS or not file.filename:
        raise BadParameter(f"choose a file and one of {', '.join(data.INGEST_KINDS)}")
    try:
        result = await run_in_threadpool(ingest_now, ledger, {kind: file}, strict, False)
        status, failure = 200, None
    except IngestError as exc:
        result, status, failure = (
            {"rejects": rejects_of(exc), "rejected": len(exc.rejects)},
            422,
            str(exc),
        )
    response = render(
        request,
        "data.html",
        "data",
        ingests=read(request, data.ingests),
        rejects=[],
        kinds=data.INGEST_KINDS,
        result=result,
        failure=failure,
        uploaded=uploads.safe_name(file.filename),
    )
    response.status_code = status
    return response


@router.get("/forecast", response_class=HTMLResponse)
def forecast(request: Request, as_of: str | None = None, definition: str | None = None):
    """NDR, GDR and MRR ahead as fan charts, the backtest, and the alerts."""
    result = read(request, data.forecast, as_of)
    trend = read(request, data.trend, None, None, result["as_of"], None)
    moves = read(request, data.movements, None, result["as_of"], None)
    found = read(request, data.alerts, None, None)
    return render(
        request,
        "forecast.html",
        "forecast",
        result=result,
        alerts=found["alerts"],
        charts={
            "ndr": charts.fan(trend, result["months"], "ndr"),
            "gdr": charts.fan(trend, result["months"], "gdr"),
            "mrr": charts.fan(moves, result["months"], "mrr"),
        },
    )
