"""Routes that resolve their endpoint's arguments without FastAPI's general machinery.

For every request FastAPI solves an endpoint's arguments through its dependency tree (with
its caches, scopes, overrides and exit stacks), reads the body's content type with the
email package, and validates a returned model in a second hand-off to a thread. On the
routes every booking passes through (availability, holds, bookings), that is a good part
of the request's CPU. A ``DirectRoute`` handles the request itself:

- each dependency is one that ``reserve.api.deps`` knows how to resolve at once
  (``deps.DIRECT``: the context, the database, the caller from the same security schemes);
- path, query and header parameters and the JSON body are validated by FastAPI's own field
  functions, so a bad request gets the same ``RequestValidationError`` (and problem) and
  the OpenAPI document is FastAPI's, from the same signature;
- a plain endpoint runs in a worker thread as FastAPI runs it, and a model it returns is
  validated and serialised in that same thread.

A route whose endpoint asks for anything else (a request object, a cookie, a form, a
dependency not in ``DIRECT``), and any request while the app has dependency overrides, is
handled by FastAPI as usual.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import params
from fastapi._compat import Undefined
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import HTTPException, RequestValidationError, ResponseValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reserve.api.deps import DIRECT

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class DirectRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        general = super().get_route_handler()
        direct = _direct(self, general)
        return general if direct is None else direct


def _direct(route: APIRoute, general: Handler) -> Handler | None:
    """The route's handler without the dependency tree; None where it needs the tree."""
    dependant = route.dependant
    call = dependant.call
    special = (
        dependant.request_param_name,
        dependant.websocket_param_name,
        dependant.http_connection_param_name,
        dependant.response_param_name,
        dependant.background_tasks_param_name,
        dependant.security_scopes_param_name,
    )
    if call is None or any(special) or dependant.cookie_params:
        return None
    if inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call):
        return None
    if route.body_field is not None and isinstance(route.body_field.field_info, params.Form):
        return None
    if route.response_class is not JSONResponse and not _is_default(route.response_class):
        return None
    shaped = (
        route.response_model_include,
        route.response_model_exclude,
        route.response_model_exclude_unset,
        route.response_model_exclude_defaults,
        route.response_model_exclude_none,
    )
    if any(shaped):
        return None
    resolvers: list[tuple[str, Callable[[Request], Awaitable[Any]]]] = []
    for sub in dependant.dependencies:
        resolve = DIRECT.get(sub.call) if sub.call is not None else None
        if resolve is None or sub.name is None:
            return None
        resolvers.append((sub.name, resolve))
    is_coroutine = inspect.iscoroutinefunction(call)
    body_params = dependant.body_params
    embed = route._embed_body_fields
    field = route.response_field
    status_code = route.status_code

    def answer(raw: Any) -> Response:
        """What the endpoint returned, as the response: a response as it is, else the
        value validated against the route's response model and serialised."""
        if isinstance(raw, Response):
            return raw
        if field is None:  # no model: encoded as FastAPI encodes it
            return JSONResponse(jsonable_encoder(raw), status_code=status_code or 200)
        value, errors = field.validate(raw, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors=errors, body=raw)
        return Response(
            field.serialize_json(value, by_alias=route.response_model_by_alias),
            status_code=status_code or 200,
            media_type="application/json",
        )

    async def handle(request: Request) -> Response:
        if request.app.dependency_overrides:
            return await general(request)
        values: dict[str, Any] = {}
        for name, resolve in resolvers:  # first, as FastAPI does: who is calling
            values[name] = await resolve(request)
        errors: list[Any] = []
        for fields, received in (
            (dependant.path_params, request.path_params),
            (dependant.query_params, request.query_params),
            (dependant.header_params, request.headers),
        ):
            found, wrong = request_params_to_args(fields, received)
            values.update(found)
            errors += wrong
        body: Any = Undefined
        if body_params:
            body = await _json_body(request)
            found, wrong = await request_body_to_args(body_params, body, embed)
            values.update(found)
            errors += wrong
        if errors:
            raise RequestValidationError(errors, body=body)
        if is_coroutine:
            return answer(await call(**values))
        return await run_in_threadpool(lambda: answer(call(**values)))

    return handle


def _is_default(response_class: Any) -> bool:
    value = getattr(response_class, "value", None)  # FastAPI's DefaultPlaceholder
    return value is JSONResponse


async def _json_body(request: Request) -> Any:
    """The body as FastAPI reads it for a JSON model: parsed when its content type says
    JSON, else the bytes (which the model then refuses); undefined when empty. JSON that
    does not parse is a validation error, bytes that are not text a 400, as there."""
    raw = await request.body()
    if not raw:
        return Undefined
    media = (request.headers.get("content-type") or "").partition(";")[0].strip().lower()
    main, _, sub = media.partition("/")
    if main != "application" or not (sub == "json" or sub.endswith("+json")):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", error.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": error.msg},
                }
            ],
            body=error.doc,
        ) from error
    except ValueError as error:  # not text at all
        raise HTTPException(400, "There was an error parsing the body") from error
