"""REST API under /api/v1: the CLI's `--format json` shapes, one route per command."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from netretain.predict.results import crm_rows
from netretain.web import data, uploads
from netretain.web.errors import BadParameter, NotFound, TooLarge
from netretain.web.respond import respond
from netretain.web.security import check_key, request_key
from netretain.web.state import LedgerState

router = APIRouter(prefix="/api/v1", tags=["api"])
Fmt = Literal["json", "csv"]
AS_OF = Query(None, description="YYYY-MM; default: the latest month with data.")
DEFINITION = Query(None, description="NAME or NAME@VERSION (default ndr@1).")
START = Query(None, alias="from", description="First month (YYYY-MM).")
END = Query(None, alias="to", description="Last month (YYYY-MM).")
BY = Query(None, description="Attribute(s), comma-separated, e.g. segment,region.")
FORMAT = Query("json", alias="format", description="json (the CLI's shape) or csv.")


def state(request: Request) -> LedgerState:
    """The ledger this server owns."""
    return request.app.state.ledger


def read(request: Request, view: Callable[..., Any], *args: Hashable, **filters: Hashable) -> Any:
    """`view(ledger, *args, **filters)` on a consistent snapshot, cached per ledger version."""
    key = (view.__name__, args, tuple(sorted(filters.items())))
    return state(request).read(key, lambda ledger: view(ledger, *args, **filters))


@router.get("/report")
def report(request: Request, as_of: str | None = AS_OF, definition: str | None = DEFINITION):
    """NDR, GDR, logo retention and the window's movements (`netretain report`)."""
    return read(request, data.report, as_of, definition)


@router.get("/movements")
def movements(
    request: Request,
    start: str | None = START,
    end: str | None = END,
    definition: str | None = DEFINITION,
    fmt: Fmt = FORMAT,
) -> Response:
    """MRR, customers and each movement per month (`netretain movements`)."""
    rows = read(request, data.movements, start, end, definition)
    return respond(rows, fmt, name="movements")


@router.get("/trend")
def trend(
    request: Request,
    by: str | None = BY,
    start: str | None = START,
    end: str | None = END,
    definition: str | None = DEFINITION,
    fmt: Fmt = FORMAT,
) -> Response:
    """NDR, GDR and logo retention for every as-of month (`netretain trend`)."""
    rows = read(request, data.trend, by, start, end, definition)
    return respond(rows, fmt, name="trend")


@router.get("/cohorts")
def cohorts(
    request: Request,
    period: Literal["month", "quarter", "year"] = "month",
    definition: str | None = DEFINITION,
    fmt: Fmt = FORMAT,
) -> Response:
    """Every signup cohort x age cell (`netretain cohorts`)."""
    return respond(read(request, data.cohorts, period, definition), fmt)


@router.get("/segments")
def segments(
    request: Request,
    by: str = Query(..., description="Attribute(s), comma-separated."),
    as_of: str | None = AS_OF,
    definition: str | None = DEFINITION,
    fmt: Fmt = FORMAT,
) -> Response:
    """NDR, GDR and logo retention per segment (`netretain segments`)."""
    rows = read(request, data.segments, by, as_of, definition)
    return respond(rows, fmt, name="segments")


@router.get("/bridge")
def bridge(
    request: Request,
    as_of: str | None = AS_OF,
    by: str | None = BY,
    definition: str | None = DEFINITION,
    fmt: Fmt = FORMAT,
) -> Response:
    """Starting MRR, expansion, contraction, churn, ending MRR (`netretain bridge`)."""
    bridges = read(request, data.bridge, as_of, by, definition)
    steps = [
        {**{k: v for k, v in b.items() if k != "steps"}, **s} for b in bridges for s in b["steps"]
    ]
    return respond(bridges, fmt, rows=steps, name="bridge")


@router.get("/explain")
def explain(
    request: Request,
    start: str = Query(..., alias="from", description="Earlier as-of month."),
    end: str = Query(..., alias="to", description="Later as-of month."),
    by: str = "segment",
    top: int = Query(10, ge=1, le=1000),
    definition: str | None = DEFINITION,
):
    """What moved NDR between two as-of months: mix vs rate (`netretain explain`)."""
    return read(request, data.explain, start, end, by, top, definition)


@router.get("/behind")
def behind(
    request: Request,
    as_of: str | None = AS_OF,
    change: Literal["churn", "contraction", "expansion", "retained"] | None = None,
    where: list[str] = Query([], description="ATTR=VALUE; repeat to narrow further."),
    limit: int | None = Query(None, ge=1),
    definition: str | None = DEFINITION,
    fmt: Fmt = FORMAT,
) -> Response:
    """The cohort customers behind a report figure, and their total (`netretain behind`)."""
    pairs = dict(w.split("=", 1) for w in where if "=" in w)
    if len(pairs) != len(where):
        raise BadParameter("where takes ATTR=VALUE, e.g. where=segment=SMB")
    result = read(request, data.behind, as_of, change, tuple(pairs.items()), limit, definition)
    return respond(result, fmt, rows=result["customers"], name="behind")


@router.get("/benchmark")
def benchmark(
    request: Request,
    as_of: str | None = AS_OF,
    by: str | None = BY,
    definition: str | None = DEFINITION,
):
    """NDR and GDR against published survey benchmarks (`netretain benchmark`)."""
    return read(request, data.benchmark, as_of, by, definition)


@router.get("/metrics")
def metrics(
    request: Request,
    start: str | None = START,
    end: str | None = END,
    definition: str | None = DEFINITION,
    fmt: Fmt = FORMAT,
) -> Response:
    """MRR, ARR, ARPA, churn rates, quick ratio per month (`netretain metrics`)."""
    return respond(read(request, data.metrics, start, end, definition), fmt)


@router.get("/customers")
def customers(
    request: Request,
    customer: str | None = None,
    movement: Literal["new", "expansion", "contraction", "churn", "reactivation"] | None = None,
    month: str | None = None,
    start: str | None = START,
    end: str | None = END,
    sort: Literal["customer", "amount"] = "customer",
    limit: int = Query(1000, ge=0, description="At most this many rows (0: all)."),
    fmt: Fmt = FORMAT,
) -> Response:
    """Customer-months with MRR and movements: the customers behind a figure."""
    filters = dict(
        customer_id=customer,
        movement=movement,
        month=month,
        start=start,
        end=end,
        by_amount=sort == "amount",
    )
    rows = read(request, data.customers, limit or None, **filters)
    return respond(rows, fmt, name="customers")


@router.get("/customers/{customer_id}")
def customer(request: Request, customer_id: str, fmt: Fmt = FORMAT) -> Response:
    """One customer's monthly MRR and movements (`netretain customers --customer ID`)."""
    rows = read(request, data.customers, None, customer_id=customer_id)
    if not rows:
        raise NotFound(f"no customer {customer_id!r} in this ledger")
    return respond(rows, fmt, name="customer")


@router.get("/definitions")
def definitions():
    """Every shipped definition with its version and hash (`netretain definitions list`)."""
    return data.definitions_list()


@router.get("/definitions/diff")
def definitions_diff(a: str, b: str):
    """The knobs where two definitions differ (`netretain definitions diff A B`)."""
    return data.definitions_diff(a, b)


@router.get("/definitions/{ref}")
def definition(ref: str):
    """One definition: every knob and its hash (`netretain definitions show REF`)."""
    return data.definition_show(ref)


@router.get("/compare")
def compare(
    request: Request,
    definition: list[str] = Query([], description="Repeat for each (default: every preset)."),
    as_of: str | None = AS_OF,
):
    """The same month under several definitions, side by side (`netretain compare`)."""
    return read(request, data.compare, tuple(definition), as_of)


@router.get("/risk")
def risk(
    request: Request,
    as_of: str | None = AS_OF,
    top: int = Query(20, ge=0, description="How many accounts; 0 lists every paying account."),
    fmt: Fmt = FORMAT,
) -> Response:
    """Accounts ranked by expected MRR at risk, with drivers (`netretain risk`); CSV: shaped
    for a CRM import, like `netretain risk --csv`."""
    result = read(request, data.risk, as_of, top or None)
    return respond(result, fmt, rows=crm_rows(result, "risk"), name="risk")


@router.get("/expansion")
def expansion(
    request: Request,
    as_of: str | None = AS_OF,
    top: int = Query(20, ge=0, description="How many accounts; 0 lists every paying account."),
    fmt: Fmt = FORMAT,
) -> Response:
    """Expansion candidates ranked by expected uplift (`netretain expansion`)."""
    result = read(request, data.expansion, as_of, top or None)
    return respond(result, fmt, rows=crm_rows(result, "expansion"), name="expansion")


@router.get("/rejects")
def rejects(request: Request, ingest: int | None = None, fmt: Fmt = FORMAT) -> Response:
    """Every row an ingest refused, with its reason (`netretain rejects`)."""
    return respond(read(request, data.rejects, ingest), fmt)


@router.get("/refused/{kind}")
def refused(request: Request, kind: str, ingest: int | None = None) -> Response:
    """A kind's refused rows as they came, as CSV: fix them and upload the file again."""
    if kind not in data.INGEST_KINDS:
        raise NotFound(f"no input kind {kind!r}; use one of {', '.join(data.INGEST_KINDS)}")
    rows = read(request, data.refused_rows, kind, ingest)
    return respond(rows, "csv", name=f"refused-{kind}")


@router.get("/ingests")
def ingests(request: Request, fmt: Fmt = FORMAT) -> Response:
    """The ingest log: one row per file per ingest."""
    return respond(read(request, data.ingests), fmt, name="ingests")


@router.get("/forecast")
def forecast(request: Request, as_of: str | None = AS_OF):
    """NDR, GDR and MRR for the next 12 months with intervals and the backtest
    (`netretain forecast`)."""
    return read(request, data.forecast, as_of)


@router.get("/alerts")
def alerts(
    request: Request,
    since: str | None = Query(None, description="First month to report (YYYY-MM)."),
    by: str | None = Query(None, description="Attribute for segment alerts (default segment)."),
):
    """Months where a figure left its expected range, with its drivers (`netretain alerts`)."""
    return read(request, data.alerts, since, by)


@router.post("/ingest")
async def ingest(
    request: Request,
    customers: UploadFile | None = File(None),
    subscriptions: UploadFile | None = File(None),
    invoice_lines: UploadFile | None = File(None),
    mrr: UploadFile | None = File(None),
    fx_rates: UploadFile | None = File(None),
    plans: UploadFile | None = File(None),
    usage_events: UploadFile | None = File(None),
    strict: bool = Form(False),
    replace: bool = Form(False),
):
    """Ingest uploaded files atomically (needs the API key); bad rows come back as rejects."""
    settings = state(request).settings
    check_key(settings.api_key, request_key(request))
    given = dict(
        customers=customers,
        subscriptions=subscriptions,
        invoice_lines=invoice_lines,
        mrr=mrr,
        fx_rates=fx_rates,
        plans=plans,
        usage_events=usage_events,
    )
    chosen = {k: f for k, f in given.items() if f is not None and f.filename}
    if not chosen:
        raise BadParameter("send at least one file, e.g. invoice_lines=@lines.csv")
    return await run_in_threadpool(ingest_now, state(request), chosen, strict, replace)


def ingest_now(ledger: LedgerState, files: dict[str, UploadFile], strict: bool, replace: bool):
    """Hold the write lock (409 if taken), save the uploads and ingest them."""
    import anyio.from_thread

    with ledger.writing() as writer:
        folder = uploads.new_folder(ledger.settings.data_dir)
        budget = ledger.settings.max_upload_bytes
        saved = {}
        for kind, upload in files.items():
            path, size = anyio.from_thread.run(uploads.save, upload, folder, kind, budget)
            budget -= size
            saved[kind] = path
        return data.ingest(writer, saved, strict, replace)


__all__ = ["TooLarge", "router"]
