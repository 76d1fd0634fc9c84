"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import reserve
from reserve import metrics, web
from reserve.api import background, bookings, openapi, problems, reports, staff
from reserve.api.ratelimit import RateLimiter
from reserve.api.routes import operations, public
from reserve.config import Settings, load_settings
from reserve.db.database import Database
from reserve.logs import REQUEST_ID, REQUEST_ID_HEADER, log_request, request_id_of
from reserve.services.context import Context
from reserve.services.keys import Principals
from reserve.services.live import FloorFeed
from reserve.services.observation import DatabaseFigures
from reserve.services.venue_state import VenueStates
from reserve.web.pages import STATIC

log = logging.getLogger("reserve.api")
# Label values must stay few: anything else a client sends counts as OTHER.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    context: Context | None = None,
    *,
    background: bool = True,
) -> FastAPI:
    """The app; without arguments it reads the environment (``uvicorn --factory``).
    ``context`` is what the use cases are given (by default over ``database``).

    ``background`` runs the allocator that keeps retrying pending bookings, the pruner that
    removes old confirmation results, expired holds and old demand records, and the scheduled
    integrity pass (``reserve.api.background``). The listener behind the host stand's live
    updates, and the pool's figures for the metrics, run either way.
    """
    settings = settings or load_settings()
    database = database or Database.from_settings(settings)
    context = context or Context(database, VenueStates(), settings.secret_key.get_secret_value())
    database.on_commit(context.limits.changed)  # a committed change asks for new limits

    # Swagger UI and ReDoc from the package's own copies: /docs works with no internet.
    app = FastAPIOffline(
        title="reserve",
        version=reserve.__version__,
        summary="Restaurant reservations: availability, holds, bookings and the floor.",
        lifespan=_lifespan,
        static_url="/docs/static",
    )
    app.openapi = partial(openapi.document, app)  # type: ignore[method-assign]
    app.state.settings = settings
    app.state.database = database
    app.state.context = context
    app.state.rate_limiter = RateLimiter(settings.public_rate_limit)
    app.state.refusals = RateLimiter(settings.public_rate_limit)  # refused keys, per client
    app.state.principals = Principals()
    app.state.background = background
    app.state.floor_feed = FloorFeed(database.conninfo)
    problems.install(app)
    app.add_middleware(RequestRecorder)
    app.include_router(operations)
    app.include_router(public)
    app.include_router(bookings.router)
    app.include_router(staff.router)
    app.include_router(reports.router)
    app.include_router(web.router)
    app.mount("/static", Assets(directory=STATIC), name="static")

    figures = DatabaseFigures(database.conninfo)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        # In a thread of the event loop's own, not one of the requests': scrapes never
        # queue behind them, and the database's figures are read on a connection apart.
        exposition = await asyncio.to_thread(metrics.exposition, figures)
        return Response(exposition, media_type=CONTENT_TYPE_LATEST)

    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Opens the pool, starts listening for floor changes and the background work, and
    undoes them when the app stops."""
    database: Database = app.state.database
    feed: FloorFeed = app.state.floor_feed
    context: Context = app.state.context
    settings: Settings = app.state.settings
    # Not waiting lets the app start while the database is away; /readyz says so.
    database.open(wait=False)
    # Endpoints are plain functions run in threads. A thread beyond the pool's
    # connections would only wait for one while contending for the GIL with the
    # threads that hold them; requests queue in the event loop instead.
    to_thread.current_default_thread_limiter().total_tokens = database.max_size
    metrics.UP.set(1)
    metrics.WORKERS.set(1)
    feed.start()
    pool_figures = asyncio.create_task(background.sample_pool(database))
    loops = None
    if app.state.background:
        loops = background.Background(
            context,
            database,
            pending_seconds=settings.pending_retry_seconds,
            prune_seconds=settings.prune_seconds,
            integrity_seconds=settings.integrity_seconds,
            demand_retention=timedelta(days=settings.demand_retention_days),
        )
        loops.start()
    try:
        yield
    finally:
        await feed.stop()
        if loops is not None:
            await loops.stop()
        pool_figures.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pool_figures
        metrics.UP.set(0)
        metrics.WORKERS.set(0)
        database.close()


class Assets(StaticFiles):
    """The pages' own CSS and script. Their URLs name their content (``?v=``), so browsers
    may keep them for a year."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class RequestRecorder:
    """Every request's id, latency and log line, in one place on its path (plain ASGI:
    Starlette's ``BaseHTTPMiddleware`` would cost more than some requests take).

    The id is the client's ``X-Request-ID`` when it is sane, else a new one; it is on every
    line logged during the request (``reserve.logs``), in the ``X-Request-ID`` header of the
    response and in any problem the request is answered with. The latency is observed in
    ``reserve_request_seconds`` by route template; the line goes to ``reserve.access`` once
    the request is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        root_path = scope.get("root_path", "")
        request_id = request_id_of(scope["headers"])
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))
        token = REQUEST_ID.set(request_id)
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - began
            route = self.template(scope, root_path)
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            metrics.REQUEST_SECONDS.labels(route, method, f"{status // 100}xx").observe(seconds)
            log_request(method, route, status, seconds, scope.get("path_params"))
        # Only once answered: an error no handler took goes on to Starlette's outermost
        # middleware, which answers it (``problems``) after this one, and then to uvicorn,
        # which logs it; both need the id still. The request's task ends with it.
        REQUEST_ID.reset(token)

    @staticmethod
    def template(scope: Scope, root_path: str) -> str:
        """The template of the route that took the request; a mount's (the static files) is
        its prefix, which it adds to the root path, and ``/{path}``."""
        route = scope.get("route")
        if route is not None:
            return str(route.path)
        mounted = scope.get("root_path", "")
        if mounted != root_path and mounted.startswith(root_path):
            return f"{mounted[len(root_path) :]}/{{path}}"
        return "unmatched"
