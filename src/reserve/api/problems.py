"""RFC 9457 problem responses: every error the API returns is ``application/problem+json``.

``PROBLEMS`` is the one table from a domain error to its problem type and status; a class
not in it takes its nearest ancestor's row. Validation errors also list the fields. Every
problem names the request it answers (``request_id``, as in its ``X-Request-ID`` header), so
that a client who reports one points at its lines in the server's log.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from reserve.domain import errors as e
from reserve.logs import REQUEST_ID

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5

log = logging.getLogger("reserve.api")

PROBLEMS: dict[type[e.ReserveError], tuple[str, int]] = {
    e.ReserveError: ("about:blank", 500),
    e.InvalidRequest: ("validation-error", 422),
    e.OutsideServiceHours: ("outside-service-hours", 422),
    e.TooLate: ("too-late", 422),
    e.TooFarAhead: ("too-far-ahead", 422),
    e.PartyTooLarge: ("party-too-large", 422),
    e.NotFound: ("not-found", 404),
    e.Unauthorized: ("unauthorized", 401),
    e.Forbidden: ("forbidden", 403),
    e.Conflict: ("about:blank", 409),
    e.VenueInUse: ("validation-error", 409),
    e.NoAvailability: ("no-availability", 409),
    e.InvalidTransition: ("invalid-transition", 409),
    e.TooEarly: ("too-early", 409),
    e.IdempotencyKeyInUse: ("idempotency-key-in-use", 409),
    e.HoldExtensionLimit: ("hold-extension-limit", 409),
    e.IdempotencyKeyReused: ("idempotency-key-reused", 422),
    e.HoldExpired: ("hold-expired", 410),
    e.RateLimited: ("rate-limited", 429),
    e.Busy: ("service-unavailable", 503),
    e.SelectorTimeout: ("selector-timeout", 503),
    e.DatabaseUnavailable: ("service-unavailable", 503),
}

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


def problem_of(error: e.ReserveError) -> tuple[str, int]:
    """The problem type and status of ``error``: its class's row, or its nearest ancestor's."""
    for kind in type(error).__mro__:
        if kind in PROBLEMS:
            return PROBLEMS[kind]
    raise AssertionError("ReserveError is in the table")


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
    request_id = REQUEST_ID.get()
    if request_id is not None:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _reserve_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, e.ReserveError)
    problem_type, status = problem_of(error)
    extra: dict[str, Any] = {}
    headers = None
    detail = error.detail
    if isinstance(error, e.VenueDocumentError):
        extra["errors"] = [{"field": None, "message": line} for line in error.problems]
    elif isinstance(error, e.InvalidRequest) and error.fields:
        extra["errors"] = [{"field": name, "message": error.detail} for name in error.fields]
    if isinstance(error, e.RateLimited):
        headers = {"Retry-After": str(error.retry_after)}
    elif isinstance(error, e.Busy | e.SelectorTimeout):
        headers = {"Retry-After": "1"}
    elif isinstance(error, e.DatabaseUnavailable):
        log.warning("database unavailable on %s %s: %s", request.method, _route(request), error)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        detail = "the database is not answering; try again shortly"
    elif status >= 500 and not isinstance(error, e.Busy | e.SelectorTimeout):
        log.error("%s on %s %s: %s", type(error).__name__, request.method, _route(request), error)
    return problem(status, problem_type, detail, headers=headers, **extra)


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


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, _route(request), exc_info=error)
    # Starlette sends this answer from outside every middleware, the request's own too,
    # so it gets its X-Request-ID here.
    request_id = REQUEST_ID.get()
    headers = {"X-Request-ID": request_id} if request_id is not None else None
    detail = "something went wrong on our side; it has been logged"
    return problem(500, "internal-error", detail, headers=headers)


def _route(request: Request) -> str:
    """The route's template: a path may hold a secret (a manage link's token)."""
    return getattr(request.scope.get("route"), "path", "unmatched")


def install(app: FastAPI) -> None:
    app.add_exception_handler(e.ReserveError, _reserve_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
