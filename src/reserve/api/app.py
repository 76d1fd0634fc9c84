"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import reserve
from reserve.api import problems
from reserve.api.routes import operations, public
from reserve.config import Settings, load_settings
from reserve.db.database import Database


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """The app; without arguments it reads the environment (``uvicorn --factory``)."""
    settings = settings or load_settings()
    database = database or Database.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Not waiting lets the app start while the database is away; /readyz says so.
        database.open(wait=False)
        try:
            yield
        finally:
            database.close()

    app = FastAPI(
        title="reserve",
        version=reserve.__version__,
        summary="Restaurant reservations: availability, holds, bookings and the floor.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    problems.install(app)
    app.include_router(operations)
    app.include_router(public)
    return app
