"""The OpenAPI document as the API behaves.

FastAPI documents each operation's success; this adds the rest. Every problem response an
operation can give is listed with its ``application/problem+json`` schema (and
``Retry-After`` where the client should wait), every response with its ``X-Request-ID``,
and who may call is stated as security schemes: a staff or admin key (``StaffKey``, a
Bearer credential) or a guest's manage token (``ManageToken``, the ``X-Manage-Token``
header); public operations need neither.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

PROBLEM_JSON = "application/problem+json"
MANAGE_TOKEN = "ManageToken"  # the scheme names are the dependencies' (``api.deps``)

DESCRIPTIONS = {
    400: "the body could not be read at all",
    401: "no key where one is needed, or an unknown or revoked key",
    403: "the key does not allow this",
    404: "unknown, or not the caller's to see",
    409: (
        "the state of things does not allow it now (no table, a status, a key in use, "
        "a hold extended as often as it may be)"
    ),
    410: "the hold expired or was released",
    422: "the request is not valid; `errors` names the fields",
    429: "too many public requests (or refused keys) from this client; see Retry-After",
    503: "the venue is busy or the database away; see Retry-After",
}
# What every operation that identifies its caller can answer, whatever it does.
ANY_CALL = (401, 422, 429, 503)


class ProblemField(BaseModel):
    field: str | None
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem: ``type`` is one of the stable codes of the API; ``request_id``
    is the request's ``X-Request-ID``, the one to quote when reporting it."""

    type: str
    title: str
    status: int
    detail: str
    request_id: str
    errors: list[ProblemField] | None = None


# On every response: the request's id, the client's own when it sent a sane one.
REQUEST_ID = {
    "X-Request-ID": {
        "description": "the request's id: the client's own X-Request-ID when it sent one of "
        "1 to 128 letters, digits and ._:-, else a new one; in the server's log lines too",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
    }
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an operation that may also answer these problems."""
    return {
        status: {"description": DESCRIPTIONS[status]}
        | ({"headers": RETRY_AFTER} if status in (429, 503) else {})
        for status in sorted(statuses)
    }


def document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document, made once."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        _add_problem_schema(schema)
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                _problems_as_problem_json(operation)
                _security(operation)
                for response in operation.get("responses", {}).values():
                    response["headers"] = {**REQUEST_ID, **response.get("headers", {})}
        app.openapi_schema = schema
    return app.openapi_schema


def _add_problem_schema(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    # FastAPI's own shape of a validation error, which this API never sends.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)


def _problems_as_problem_json(operation: dict[str, Any]) -> None:
    if "requestBody" in operation:  # any operation with a body may get one it cannot parse
        operation["responses"].setdefault("400", {"description": DESCRIPTIONS[400]})
    for status, response in operation.get("responses", {}).items():
        if int(status) >= 400:
            response["content"] = {
                PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
            }


def _security(operation: dict[str, Any]) -> None:
    """The schemes an operation takes are those its caller dependency declares. A staff
    operation needs its key, and a booking's own one its token or a staff key; the others
    take a key (which lifts the rate limit) but need none, which OpenAPI says with an empty
    requirement."""
    security = operation.get("security")
    if security is None or "staff" in operation.get("tags", ()):
        return
    if {MANAGE_TOKEN: []} not in security:
        operation["security"] = [{}, *security]
