"""One JSON shape for every error: {"ok": false, "error", "errors", "status"}."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from netretain import DefinitionError, IngestError, LedgerError, NetretainError, NotFoundError
from netretain.engines import damage, short_of_memory
from netretain.web.security import AuthError
from netretain.web.state import IngestBusy
from netretain.web.templating import templates


class BadParameter(NetretainError):
    """A query parameter the library cannot take as it is."""


class NotFound(NetretainError):
    """An unknown customer, month or page."""


class TooLarge(NetretainError):
    """An upload over the server's size limit."""


def status_of(exc: Exception) -> int:
    """The HTTP status a library error means."""
    if isinstance(exc, AuthError):
        return exc.status
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, TooLarge):
        return 413
    if isinstance(exc, IngestBusy):
        return 409
    if isinstance(exc, IngestError):
        return 422
    if isinstance(exc, NotFoundError):
        return 404  # a month or customer the ledger does not have
    if isinstance(exc, DefinitionError | LedgerError | NetretainError):
        return 400
    return 500


def body(message: str, status: int, errors: list[Any] | None = None) -> dict[str, Any]:
    """The error record every failing request returns."""
    return {"ok": False, "error": message, "errors": errors or [], "status": status}


def rejects_of(exc: Exception) -> list[dict[str, Any]]:
    """An ingest error's rejected rows as records (file, row, column, reason, value)."""
    return [
        {"file": r.file, "row": r.row, "column": r.column, "reason": r.reason, "value": r.value}
        for r in getattr(exc, "rejects", ())
    ]


def reply(request: Request, record: dict[str, Any]) -> Response:
    """JSON for the API; an HTML page (escaped, same message) for the dashboard."""
    if request.url.path.startswith(("/api/", "/openapi", "/docs", "/vendor", "/static")):
        return JSONResponse(record, status_code=record["status"])
    context = {"message": record["error"], "months": [], "definitions": [], **record}
    return templates.TemplateResponse(request, "error.html", context, status_code=record["status"])


def install(app: FastAPI) -> None:
    """Register the handlers: library errors, engine errors, HTTP errors and bad parameters."""

    @app.exception_handler(NetretainError)
    async def library_error(request: Request, exc: NetretainError) -> Response:
        return reply(request, body(str(exc), status_of(exc), rejects_of(exc)))

    @app.exception_handler(IngestBusy)
    async def busy(request: Request, exc: IngestBusy) -> Response:
        return reply(request, body(str(exc), 409))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return reply(request, body(str(exc.detail), exc.status_code))

    @app.middleware("http")
    async def engine_error(request: Request, call_next: Any) -> Response:
        """What the engine refused (its memory, a damaged file) in one sentence, and the
        connection kept (an exception out of the app would close it)."""
        try:
            return await call_next(request)
        except Exception as exc:
            memory = short_of_memory(exc)
            message = memory or damage(exc)
            if message is None:
                raise
            return reply(request, body(message, 503 if memory else 500))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"where": ".".join(map(str, e["loc"])), "reason": e["msg"]} for e in exc.errors()]
        message = "; ".join(f"{e['where']}: {e['reason']}" for e in errors)
        return reply(request, body(message, 400, errors))
