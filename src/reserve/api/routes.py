"""Routes: each reads its input, calls one service and shapes the answer."""

from __future__ import annotations

import psycopg
import psycopg_pool
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from reserve.api.deps import CallerDep, DatabaseDep
from reserve.api.problems import problem
from reserve.api.schemas import Health, RestaurantOut
from reserve.db import migrations
from reserve.services.venues import find_venue

operations = APIRouter(tags=["operations"])
public = APIRouter(prefix="/v1", tags=["public"])

READY_TIMEOUT_SECONDS = 2.0


@operations.get("/healthz")
async def healthz() -> Health:
    """The process is up (says nothing about the database). Answered on the event loop, so
    it stays quick while every request thread waits on the database."""
    return Health(status="ok")


@operations.get("/readyz", response_model=Health, responses={503: {"description": "not ready"}})
def readyz(database: DatabaseDep) -> Health | JSONResponse:
    """The database answers and is at the latest migration."""
    head = migrations.head_revision()
    try:
        with database.pool.connection(timeout=READY_TIMEOUT_SECONDS) as conn:
            row = conn.execute("SELECT reserve_schema_version() AS revision").fetchone()
    except psycopg.errors.UndefinedFunction:  # the first migration creates the function
        return problem(503, "not-ready", f"schema not migrated, the latest migration is {head}")
    except (psycopg.Error, psycopg_pool.PoolTimeout) as error:
        return problem(503, "not-ready", f"database unreachable: {type(error).__name__}")
    revision = None if row is None else row["revision"]
    if revision != head:
        return problem(503, "not-ready", f"schema at {revision}, the latest migration is {head}")
    return Health(status="ready", schema_revision=revision)


@public.get("/restaurants/{slug}")
def restaurant(slug: str, database: DatabaseDep, caller: CallerDep) -> RestaurantOut:
    """The venue: zones, tables and service periods."""
    del caller  # asked for its rate limit: a public endpoint like the others
    with database.transaction() as conn:
        return RestaurantOut.of(find_venue(conn, slug))
