"""The host stand: signing in with a staff key (or an admin key, which then chooses a
venue), signing out, and the day's bookings at a glance.

A host who is not signed in, whose session expired or whose key was revoked is sent to
sign in, and back to the page they asked for afterwards.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.access import Role
from reserve.domain.booking import Status
from reserve.services.availability import booking_window
from reserve.services.floor import floor_of_day
from reserve.services.keys import authenticate, hash_key
from reserve.services.venues import slug_of, venue_directory
from reserve.web import session
from reserve.web.forms import Form
from reserve.web.pages import checked_form, context_of, limit, render, see_other
from reserve.web.session import HostRoute, reloading, signed_in, to_sign_in
from reserve.web.stand import (
    ACTIONS,
    CANCELLABLE,
    STATUS_WORDS,
    a_day,
    done_notice,
    host_page,
    open_venue,
)
from reserve.web.timeline import grid

router = APIRouter(route_class=HostRoute, include_in_schema=False)


def _safe_next(text: str | None) -> str | None:
    """Only a path of the host stand: never another site."""
    if text and text.startswith("/host/") and not text.startswith("//"):
        return text
    return None


@router.get("/host")
async def host_home(request: Request) -> Response:
    host = await signed_in(request)
    if host is None:
        return see_other("/host/sign-in", private=True)
    if host.venue is None:
        return see_other("/host/venues", private=True)
    return see_other(f"/host/r/{quote(host.venue)}", private=True)


@router.get("/host/sign-in")
async def sign_in_page(request: Request) -> Response:
    limit(request)
    notice = None
    if request.query_params.get("signed_out") == "1":
        notice = "You have signed out."
    elif request.query_params.get("next"):
        notice = "Sign in to see that page: your session has ended, or you were not signed in."
    return _sign_in(request, Form({}), request.query_params.get("next"), notice=notice)


def _sign_in(
    request: Request,
    form: Form,
    next_page: str | None,
    *,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "host_sign_in.html",
        {
            "form": form,
            "notice": notice,
            "next": _safe_next(next_page) or "",
        },
        status=status,
        private=True,
    )


@router.post("/host/sign-in")
async def sign_in(request: Request) -> Response:
    limit(request)
    ctx = context_of(request)
    data = await checked_form(request)
    form = Form({})  # the key itself is never shown again
    key = data.get("key", "").strip()
    principal = None
    if key:
        principal = await run_in_threadpool(authenticate, ctx.database, ctx.secret, key)
    if principal is None:
        form.fail("key", "That key is not a current staff or admin key. Check it and try again.")
        return _sign_in(request, form, data.get("next"), status=401)
    if principal.role is Role.ADMIN or principal.restaurant_id is None:
        venue = None
        target = "/host/venues"
    else:
        venue = await run_in_threadpool(slug_of, ctx, principal.restaurant_id)
        target = _safe_next(data.get("next")) or f"/host/r/{quote(venue)}"
    response = see_other(target, private=True)
    session.start(request, response, hash_key(ctx.secret, key), venue)
    return response


@router.get("/host/venues")
async def choose_venue_page(request: Request) -> Response:
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    if host.principal.role is not Role.ADMIN:
        return see_other("/host", private=True)
    listed = await run_in_threadpool(venue_directory, context_of(request).database)
    return render(request, "host_venues.html", {"venues": listed, "host": host}, private=True)


@router.post("/host/venues")
async def choose_venue(request: Request) -> Response:
    host = await signed_in(request)
    data = await checked_form(request)
    if host is None:
        return to_sign_in(request)
    if host.principal.role is not Role.ADMIN:
        return see_other("/host", private=True)
    window = await run_in_threadpool(booking_window, context_of(request), data.get("venue", ""))
    venue = window.venue.slug
    response = see_other(f"/host/r/{quote(venue)}", private=True)
    session.start(request, response, host.key_hash, venue)
    return response


@router.post("/host/sign-out")
async def sign_out(request: Request) -> Response:
    limit(request)
    await checked_form(request)
    response = see_other("/host/sign-in?signed_out=1", private=True)
    session.end(response)
    return response


@router.get("/host/r/{slug}")
async def day_page(request: Request, slug: str) -> Response:
    return await show_day(request, slug)


async def show_day(
    request: Request,
    slug: str,
    *,
    on: date | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> Response:
    """The day at a glance: the bookings still to place, the timeline of every table, then
    the bookings, pending ones first, by start. ``refusal`` says why an action was not
    done."""
    ctx = context_of(request)
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    venue = window.venue.slug
    form = Form.of(request.query_params)
    today = window.first_day
    day = on or today
    if on is None and form.text("date"):
        day = a_day(form, "date") or today
    floor = await run_in_threadpool(floor_of_day, ctx, venue, day, host.caller)
    bookings = sorted(
        floor.bookings, key=lambda b: (b.status is not Status.PENDING, b.start_at, b.reference)
    )
    live = [b for b in bookings if b.status not in (Status.CANCELLED, Status.NO_SHOW)]
    # Above the timeline: what still needs a place (a pending party, or one without tables).
    unplaced = [b for b in live if b.status is Status.PENDING or not b.tables]
    now = ctx.clock().astimezone(ZoneInfo(window.venue.timezone))
    values = {
        "day": day,
        "today": today,
        "previous": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "bookings": bookings,
        "covers": sum(b.party_size for b in live),
        "live": len(live),
        "words": STATUS_WORDS,
        "grid": grid(window.venue, day, floor.tables, floor.bookings, now),
        "unplaced": unplaced,
        "reloading": reloading(
            request, f"/host/r/{quote(venue)}", default=True, keep={"date": day.isoformat()}
        ),
        "now": now,
        "actions": ACTIONS,
        "cancellable": CANCELLABLE,
        "notice": done_notice(request, bookings),
        "refusal": refusal,
        "form": form,
    }
    return host_page(request, "host_day.html", host, window, "Day", values, status)
