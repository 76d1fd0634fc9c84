"""The host stand's live updates: an event stream (Server-Sent Events) of a venue's floor
changes, which the pages' script (``static/host.js``) answers by fetching the page again.

``GET /host/r/{slug}/events?date=YYYY-MM-DD`` sends ``event: floor`` with ``data:`` the
day changed (``*``: any day) for every change of that venue on that day (without
``date``, on any day), a comment every 15 seconds that keeps proxies from closing the
connection, and ends when the host's session expires or the key is revoked (checked at
each comment). ``age``, the milliseconds since the page was fetched, lets the stream tell
at once of a change made while the page was on its way.

A request without a current session is refused (401) with no stream and no redirect: the
browser then stops, and the page's script fetches the page, which sends the host to sign
in. A host of another venue is answered as if the venue did not exist (404).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from reserve.domain.errors import DatabaseUnavailable
from reserve.services.live import FloorFeed, Subscription, watched_venue
from reserve.web.pages import context_of, secure_page
from reserve.web.session import HostRoute, current_host, signed_in

router = APIRouter(route_class=HostRoute, include_in_schema=False)

HEARTBEAT_SECONDS = 15.0
RETRY_MS = 3000  # how long a browser waits before it reconnects a dropped stream
LONGEST_AGE_MS = 600_000


@router.get("/host/r/{slug}/events")
async def floor_events(request: Request, slug: str) -> Response:
    host = await signed_in(request)
    if host is None:
        refused = Response("Sign in to the host stand.\n", status_code=401, media_type="text/plain")
        secure_page(refused, private=True)
        return refused
    ctx = context_of(request)
    restaurant_id = await run_in_threadpool(watched_venue, ctx, slug, host.caller)
    feed: FloorFeed = request.app.state.floor_feed
    response = StreamingResponse(
        _stream(request, feed, restaurant_id, _day(request), _age(request)),
        media_type="text/event-stream",
    )
    secure_page(response, private=True)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on as it comes
    return response


def _day(request: Request) -> date | None:
    try:
        return date.fromisoformat(request.query_params.get("date", ""))
    except ValueError:
        return None  # no day, or not one: every day's changes


def _age(request: Request) -> float | None:
    text = request.query_params.get("age", "")
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        return None
    return min(int(text), LONGEST_AGE_MS) / 1000


async def _stream(
    request: Request, feed: FloorFeed, restaurant_id: UUID, day: date | None, age: float | None
) -> AsyncIterator[str]:
    with feed.subscribe(restaurant_id, day, age=age) as subscription:
        yield f"retry: {RETRY_MS}\n\n"
        checked = time.monotonic()
        while not subscription.ended:
            wait = checked + HEARTBEAT_SECONDS - time.monotonic()
            days = await subscription.changes(max(wait, 0))
            if days:
                yield _events(days)
            elif not subscription.ended and time.monotonic() >= checked + HEARTBEAT_SECONDS:
                if not await _still_signed_in(request, subscription):
                    return
                checked = time.monotonic()
                yield ": still here\n\n"


def _events(days: frozenset[date | None]) -> str:
    if None in days:
        return "event: floor\ndata: *\n\n"
    changed = sorted(day for day in days if day is not None)
    return "".join(f"event: floor\ndata: {day.isoformat()}\n\n" for day in changed)


async def _still_signed_in(request: Request, subscription: Subscription) -> bool:
    try:
        host = await run_in_threadpool(current_host, request)
    except DatabaseUnavailable:
        return not subscription.ended  # ask again at the next comment; the page keeps going
    return host is not None and not subscription.ended
