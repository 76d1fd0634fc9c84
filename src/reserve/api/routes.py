"""Operations routes, and the venue as the public sees it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from reserve.api.deps import CallerDep, ContextDep, DatabaseDep
from reserve.api.openapi import ANY_CALL, problems
from reserve.api.problems import problem
from reserve.api.schemas import Health, RestaurantOut
from reserve.db import migrations
from reserve.domain.errors import DatabaseUnavailable
from reserve.services.venues import find_venue

operations = APIRouter(tags=["operations"])
public = APIRouter(prefix="/v1", tags=["public"])

READY_TIMEOUT_SECONDS = 2.0


@operations.get("/healthz")
async def healthz() -> Health:
    """The process is up (says nothing about the database). Answered on the event loop, so
    it stays quick while every request thread waits on the database."""
    return Health(status="ok")


@operations.get(
    "/readyz",
    response_model=Health,
    responses={503: {"description": "not ready: the database is away or not migrated"}},
)
def readyz(database: DatabaseDep) -> Health | JSONResponse:
    """The database answers and is at the latest migration."""
    head = migrations.head_revision()
    try:
        revision = database.schema_revision(READY_TIMEOUT_SECONDS)
    except DatabaseUnavailable as error:
        return problem(503, "not-ready", f"database unreachable: {error}")
    if revision is None:
        return problem(503, "not-ready", f"schema not migrated, the latest migration is {head}")
    if revision != head:
        return problem(503, "not-ready", f"schema at {revision}, the latest migration is {head}")
    return Health(status="ready", schema_revision=revision)


@public.get("/restaurants/{slug}", responses=problems(*ANY_CALL, 404))
def restaurant(slug: str, ctx: ContextDep, caller: CallerDep) -> RestaurantOut:
    """The venue: zones, tables and service periods."""
    del caller  # asked for its rate limit: a public endpoint like the others
    return RestaurantOut.of(find_venue(ctx.database, slug))
