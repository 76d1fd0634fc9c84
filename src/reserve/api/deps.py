"""Dependencies routes declare as ``Annotated`` aliases: the database, the settings, the
booking service, and who is calling (a staff key, a guest's manage token, or nobody)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from reserve import metrics
from reserve.api.ratelimit import RateLimiter
from reserve.config import Settings
from reserve.db.database import Database
from reserve.domain.errors import RateLimited, Unauthorized
from reserve.services.bookings import BookingService, Caller
from reserve.services.keys import Principal, Principals, authenticate


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _bookings(request: Request) -> BookingService:
    service: BookingService = request.app.state.bookings
    return service


DatabaseDep = Annotated[Database, Depends(_database)]
SettingsDep = Annotated[Settings, Depends(_settings)]
BookingsDep = Annotated[BookingService, Depends(_bookings)]


def _caller(
    request: Request,
    database: DatabaseDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
    x_manage_token: Annotated[str | None, Header()] = None,
) -> Caller:
    """The caller; a public one (no key) is rate-limited per client address."""
    if authorization is not None:
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthorized("use Authorization: Bearer <key>")
        principals: Principals = request.app.state.principals

        def lookup() -> Principal | None:
            with database.transaction() as conn:
                return authenticate(conn, settings.secret_key.get_secret_value(), key.strip())

        principal = principals.get(key.strip(), lookup)
        if principal is None:
            raise Unauthorized("unknown or revoked key")
        return Caller(principal=principal, manage_token=x_manage_token)
    limiter: RateLimiter = request.app.state.rate_limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.check(client)
    if wait is not None:
        metrics.RATE_LIMITED.inc()
        raise RateLimited(
            f"more than {settings.public_rate_limit} requests a minute; retry in {wait} s", wait
        )
    return Caller(manage_token=x_manage_token)


CallerDep = Annotated[Caller, Depends(_caller)]
