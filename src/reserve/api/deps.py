"""Dependencies routes declare as ``Annotated`` aliases: what the services need, and who is
calling (a staff key, a guest's manage token, or nobody).

They are coroutines: FastAPI runs a plain-function dependency in a worker thread, and a
request would then queue for a thread (behind requests holding connections) only to read
an attribute. The one that may wait on the database hands just that wait to a thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from reserve import metrics
from reserve.api.ratelimit import RateLimiter
from reserve.db.database import Database
from reserve.domain.access import Principal
from reserve.domain.errors import RateLimited, Unauthorized
from reserve.services.authorisation import Caller
from reserve.services.context import Context
from reserve.services.keys import Principals, authenticate


async def _context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


async def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


ContextDep = Annotated[Context, Depends(_context)]
DatabaseDep = Annotated[Database, Depends(_database)]


# Credentials are security schemes of the OpenAPI document. Neither refuses a request by
# itself: another scheme than Bearer (a proxy's Basic) is no key of ours, and is ignored.
_staff_key = HTTPBearer(
    auto_error=False,
    scheme_name="StaffKey",
    description="A staff key of the restaurant, or an admin key: `Authorization: Bearer rsv_...`",
)
_manage_token = APIKeyHeader(
    name="X-Manage-Token",
    auto_error=False,
    scheme_name="ManageToken",
    description="The token returned with a booking, which lets its guest read and change it.",
)
StaffKey = Annotated[HTTPAuthorizationCredentials | None, Depends(_staff_key)]
ManageToken = Annotated[str | None, Depends(_manage_token)]


async def _identify(
    request: Request,
    ctx: Context,
    credentials: HTTPAuthorizationCredentials | None,
    manage_token: str | None,
    *,
    refused_as_guest: bool,
) -> Caller:
    """Who is calling. A public caller, and one whose key is refused, is rate-limited per
    client address; a client whose keys were refused as often as the limit allows has no
    key looked up until its allowance for refusals refills. With
    ``refused_as_guest`` a refused key leaves a guest (who may still hold a manage
    token), else it is ``Unauthorized``."""
    limiter: RateLimiter = request.app.state.rate_limiter
    refusals: RateLimiter = request.app.state.refusals
    client = request.client.host if request.client else "unknown"
    key = None if credentials is None else credentials.credentials
    if key is None:
        _limit(request, limiter.check(client))
        return Caller(manage_token=manage_token)
    principals: Principals = request.app.state.principals
    known, principal = principals.recall(key)
    if principal is None:  # a client that keeps sending wrong keys has none looked up
        _limit(request, refusals.waiting(client))
    if not known:  # only a key not seen lately waits for a thread and the database

        def lookup() -> Principal | None:
            return authenticate(ctx.database, ctx.secret, key)

        principal = await run_in_threadpool(principals.get, key, lookup)
    if principal is not None:
        return Caller(principal=principal, manage_token=manage_token)
    refusals.check(client)
    _limit(request, limiter.check(client))
    if refused_as_guest:
        return Caller(manage_token=manage_token)
    raise Unauthorized("unknown or revoked key")


def _limit(request: Request, wait: int | None) -> None:
    if wait is not None:
        metrics.RATE_LIMITED.inc()
        limit = request.app.state.settings.public_rate_limit
        raise RateLimited(f"more than {limit} requests a minute; retry in {wait} s", wait)


async def _caller(request: Request, ctx: ContextDep, key: StaffKey) -> Caller:
    return await _identify(request, ctx, key, None, refused_as_guest=False)


async def _booking_caller(
    request: Request, ctx: ContextDep, key: StaffKey, token: ManageToken
) -> Caller:
    """For a booking's own routes, where anything but its manage token or a staff key of its
    restaurant answers as if the booking did not exist: a refused key included."""
    return await _identify(request, ctx, key, token, refused_as_guest=True)


CallerDep = Annotated[Caller, Depends(_caller)]
BookingCallerDep = Annotated[Caller, Depends(_booking_caller)]


# --- resolved without the dependency tree (``reserve.api.direct``) ------------------------


async def _direct_caller(request: Request) -> Caller:
    return await _caller(request, await _context(request), await _staff_key(request))


async def _direct_booking_caller(request: Request) -> Caller:
    ctx, key = await _context(request), await _staff_key(request)
    return await _booking_caller(request, ctx, key, await _manage_token(request))


# Each dependency above as a function of the request alone: the same functions, those with
# dependencies of their own given what those (the context, the security schemes) resolve to.
DIRECT: dict[Callable[..., Any], Callable[[Request], Awaitable[Any]]] = {
    _context: _context,
    _database: _database,
    _caller: _direct_caller,
    _booking_caller: _direct_booking_caller,
}
