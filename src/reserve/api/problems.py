"""RFC 9457 problem responses: every error the API returns is ``application/problem+json``.

One table maps each error class to its problem type and status (the classes carry them,
see ``reserve.domain.errors``); validation errors also list the fields.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import psycopg
import psycopg_pool
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reserve.domain.errors import Busy, RateLimited, ReserveError, VenueDocumentError

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5

log = logging.getLogger("reserve.api")

# Problem types of errors that Starlette itself raises (unknown route, wrong method, a body
# that is not JSON at all...).
_HTTP_TYPES = {
    400: "validation-error",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    429: "rate-limited",
}


def problem(
    status: int,
    problem_type: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": problem_type,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _reserve_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ReserveError)
    extra: dict[str, Any] = {}
    headers = None
    if isinstance(error, VenueDocumentError):
        extra["errors"] = [{"field": None, "message": line} for line in error.problems]
    if isinstance(error, RateLimited):
        headers = {"Retry-After": str(error.retry_after)}
    elif isinstance(error, Busy):
        headers = {"Retry-After": "1"}
    return problem(error.status, error.problem_type, error.detail, headers=headers, **extra)


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    fields = [
        {
            "field": ".".join(str(part) for part in item.get("loc", ())),
            "message": item.get("msg", "invalid"),
        }
        for item in error.errors()
    ]
    detail = "; ".join(f"{item['field']}: {item['message']}" for item in fields)
    return problem(422, "validation-error", detail or "the request is not valid", errors=fields)


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    problem_type = _HTTP_TYPES.get(error.status_code, "about:blank")
    return problem(
        error.status_code, problem_type, str(error.detail), headers=getattr(error, "headers", None)
    )


async def _unstorable(_: Request, error: Exception) -> JSONResponse:
    # Input PostgreSQL cannot store (a NUL character in text, say) is the client's mistake.
    return problem(422, "validation-error", "the request holds a value that cannot be stored")


async def _database_unavailable(request: Request, error: Exception) -> JSONResponse:
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
    return problem(
        503,
        "service-unavailable",
        "the database is not answering; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "internal-error", "something went wrong on our side; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ReserveError, _reserve_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(psycopg.DataError, _unstorable)
    app.add_exception_handler(psycopg.OperationalError, _database_unavailable)
    app.add_exception_handler(psycopg_pool.PoolTimeout, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
