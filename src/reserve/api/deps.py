"""Dependencies routes declare as ``Annotated`` aliases: what the services need, and who is
calling (a staff key, a guest's manage token, or nobody).

They are coroutines: FastAPI runs a plain-function dependency in a worker thread, and a
request would then queue for a thread (behind requests holding connections) only to read
an attribute. The one that may wait on the database hands just that wait to a thread.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
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


async def _caller(
    request: Request,
    ctx: ContextDep,
    authorization: Annotated[str | None, Header()] = None,
    x_manage_token: Annotated[str | None, Header()] = None,
) -> Caller:
    """The caller; a public one (no key) is rate-limited per client address."""
    if authorization is not None:
        scheme, _, given = authorization.partition(" ")
        key = given.strip()
        if scheme.lower() != "bearer" or not key:
            raise Unauthorized("use Authorization: Bearer <key>")
        principals: Principals = request.app.state.principals

        def lookup() -> Principal | None:
            return authenticate(ctx.database, ctx.secret, key)

        known, principal = principals.recall(key)
        if not known:  # only a key not seen lately waits for a thread and the database
            principal = await run_in_threadpool(principals.get, key, lookup)
        if principal is None:
            raise Unauthorized("unknown or revoked key")
        return Caller(principal=principal, manage_token=x_manage_token)
    limiter: RateLimiter = request.app.state.rate_limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.check(client)
    if wait is not None:
        metrics.RATE_LIMITED.inc()
        limit = request.app.state.settings.public_rate_limit
        raise RateLimited(f"more than {limit} requests a minute; retry in {wait} s", wait)
    return Caller(manage_token=x_manage_token)


CallerDep = Annotated[Caller, Depends(_caller)]
