"""The FastAPI app: the API, the pages, the static files, one error handler and the headers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

import netretain
from netretain.web import api, errors, pages, portal, portal_rewards
from netretain.web.security import HEADERS
from netretain.web.state import LedgerState, Settings

STATIC = Path(__file__).parent / "static"
UPLOAD_PATHS = ("/api/v1/ingest", "/data/upload")


def plotly_js() -> Path:
    """Plotly's own bundle from the installed package: the pages need no network."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(settings: Settings) -> FastAPI:
    """The web face over the ledger at `settings.db`, which this process then holds."""
    app = FastAPI(
        title="netretain",
        version=netretain.__version__,
        description="NDR, GDR, logo retention and MRR movements over HTTP; same JSON as the CLI.",
    )
    ledger = LedgerState(settings)
    ledger.open()
    app.state.ledger = ledger
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(portal.router)
    app.include_router(portal.api_router)
    app.include_router(portal_rewards.router)
    app.include_router(portal_rewards.api_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_bundle() -> FileResponse:
        return FileResponse(plotly_js(), media_type="text/javascript")

    @app.middleware("http")
    async def guard(request: Request, call_next) -> Response:
        if request.url.path in UPLOAD_PATHS and _too_large(request, settings.max_upload_bytes):
            status = 413
            message = "the upload is over the server's size limit (--max-upload-mb)"
            response: Response = JSONResponse(errors.body(message, status), status_code=status)
        else:
            response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _too_large(request: Request, limit: int) -> bool:
    """Refuse before reading a body whose declared length is over the limit."""
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit + 64 * 1024  # room for form framing
