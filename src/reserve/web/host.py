"""The host stand: signing in with a staff key (or an admin key, which then chooses a
venue), signing out, and the day's bookings at a glance.

A host who is not signed in, whose session expired or whose key was revoked is sent to
sign in, and back to the page they asked for afterwards.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.access import Role
from reserve.domain.booking import Status
from reserve.domain.errors import InvalidTransition, NotFound
from reserve.services.availability import booking_window
from reserve.services.changes import get_booking, set_status
from reserve.services.floor import bookings_of_day, timeline
from reserve.services.keys import authenticate, hash_key
from reserve.services.venues import slug_of, venue_directory
from reserve.web import session
from reserve.web.forms import Form
from reserve.web.pages import checked_form, context_of, limit, render, see_other
from reserve.web.session import HostRoute, signed_in, to_sign_in
from reserve.web.timeline import grid

router = APIRouter(route_class=HostRoute, include_in_schema=False)

# The buttons a booking's row offers, by its status (cancelling asks first, on its own page);
# approving a pending party needs its tables chosen, which the row does not do.
_ACTIONS: dict[Status, tuple[tuple[Status, str], ...]] = {
    Status.CONFIRMED: ((Status.SEATED, "Seat"), (Status.NO_SHOW, "No-show")),
    Status.SEATED: ((Status.COMPLETED, "Complete"),),
    Status.NO_SHOW: ((Status.CONFIRMED, "Undo no-show"),),
}
_DONE = {
    Status.SEATED: "seated",
    Status.COMPLETED: "marked as left",
    Status.NO_SHOW: "marked as a no-show",
    Status.CONFIRMED: "booked again",
    Status.CANCELLED: "cancelled",
}

_STATUS_WORDS = {
    Status.PENDING: "Waiting for approval",
    Status.CONFIRMED: "Booked",
    Status.SEATED: "Seated",
    Status.COMPLETED: "Left",
    Status.CANCELLED: "Cancelled",
    Status.NO_SHOW: "No-show",
}


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
    return await _day_page(request, slug)


async def _day_page(
    request: Request,
    slug: str,
    *,
    on: date | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    """The day at a glance: the timeline of every table, then the bookings, pending ones
    first, by start."""
    ctx = context_of(request)
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    window = await run_in_threadpool(booking_window, ctx, slug)
    venue = window.venue.slug
    form = Form.of(request.query_params)
    today = window.first_day
    day = on or today
    text = "" if on else form.text("date")
    if text:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            form.fail("date", "Enter a date like 2026-12-07.")
    bookings = await run_in_threadpool(bookings_of_day, ctx, venue, day, None, host.caller)
    tables = await run_in_threadpool(timeline, ctx, venue, day, host.caller)
    bookings.sort(key=lambda b: (b.status is not Status.PENDING, b.start_at, b.reference))
    live = [b for b in bookings if b.status not in (Status.CANCELLED, Status.NO_SHOW)]
    return render(
        request,
        "host_day.html",
        {
            "host": host,
            "slug": venue,
            "section": "Day",
            "venue": window.venue,
            "day": day,
            "today": today,
            "previous": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "bookings": bookings,
            "covers": sum(b.party_size for b in live),
            "live": len(live),
            "words": _STATUS_WORDS,
            "grid": grid(window.venue, day, tables),
            "actions": _ACTIONS,
            "cancellable": (Status.PENDING, Status.CONFIRMED),
            "notice": notice or _done(request),
            "form": form,
        },
        status=status,
        private=True,
    )


@router.post("/host/r/{slug}/bookings/{booking_id}/status")
async def change_status(request: Request, slug: str, booking_id: str) -> Response:
    """A status button of a booking's row: the change, checked as the API checks it (the
    lifecycle and the clock), then the day again, saying what happened."""
    ctx = context_of(request)
    data = await checked_form(request)
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    try:
        wanted = Status(data.get("status", ""))
        booking_key = UUID(booking_id)
    except ValueError:
        raise NotFound("no such booking") from None
    try:
        booking = await run_in_threadpool(set_status, ctx, booking_key, wanted, host.caller)
    except InvalidTransition as refused:
        shown = await run_in_threadpool(get_booking, ctx, booking_key, host.caller)
        detail = refused.detail[:1].upper() + refused.detail[1:]
        return await _day_page(request, slug, on=shown.day, notice=f"{detail}.", status=409)
    done = {"date": booking.day.isoformat(), "done": wanted.value, "ref": booking.reference}
    return see_other(f"/host/r/{quote(slug)}?" + urlencode(done), private=True)


def _done(request: Request) -> str | None:
    """What the last button did, said from the codes in the address (never its text)."""
    try:
        done = Status(request.query_params.get("done", ""))
    except ValueError:
        return None
    reference = request.query_params.get("ref", "")
    if done not in _DONE or not reference.isalnum() or len(reference) > 16:
        return None
    return f"Booking {reference} {_DONE[done]}."


@router.get("/host/r/{slug}/bookings/{booking_id}/cancel")
async def cancel_page(request: Request, slug: str, booking_id: str) -> Response:
    ctx = context_of(request)
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    try:
        booking_key = UUID(booking_id)
    except ValueError:
        raise NotFound("no such booking") from None
    booking = await run_in_threadpool(get_booking, ctx, booking_key, host.caller)
    window = await run_in_threadpool(booking_window, ctx, slug)
    return render(
        request,
        "host_cancel.html",
        {"host": host, "booking": booking, "venue": window.venue, "slug": slug},
        private=True,
    )
