"""The guests' pages: the venues, a venue's booking page (party, date, the day's times),
holding a time, the guest's details, and the request a large party sends instead.

Every step is a plain form (GET to look, POST then a redirect to act); the script in
``static/booking.js`` only spares reloads and counts a hold down.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import date, time
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.availability import SlotAvailability
from reserve.domain.booking import Booking
from reserve.domain.errors import (
    HoldExpired,
    HoldExtensionLimit,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidRequest,
    NoAvailability,
    NotFound,
)
from reserve.services.authorisation import Caller
from reserve.services.availability import (
    Alternatives,
    BookingWindow,
    alternatives,
    booking_window,
    day_availability,
)
from reserve.services.booking import Booked, BookingRequest, book
from reserve.services.holds import extend_hold, get_hold, place_hold, release_hold
from reserve.services.venues import venue_directory
from reserve.web import forms
from reserve.web.forms import Form
from reserve.web.pages import PageRoute, checked_form, context_of, render, see_other

router = APIRouter(route_class=PageRoute, include_in_schema=False)

DEFAULT_PARTY = 2
DAYS_SHOWN = 7
# How often a second submission of a booking waits for the first one to finish.
REPLAY_TRIES, REPLAY_PAUSE = 20, 0.1


@dataclass(frozen=True, slots=True)
class Choice:
    """What the booking page shows for a party and a date."""

    wanted: time | None
    slots: list[SlotAvailability]
    others: Alternatives | None  # when the wanted time (or the whole day) is full

    @property
    def free(self) -> list[SlotAvailability]:
        return [slot for slot in self.slots if slot.available]

    @property
    def wanted_slot(self) -> SlotAvailability | None:
        return next((s for s in self.slots if s.offered.local_time == self.wanted), None)


def embedded(request: Request, form: dict[str, str] | None = None) -> bool:
    return (form or {}).get("embed", request.query_params.get("embed")) == "1"


def venue_url(slug: str, embed: bool, **query: object) -> str:
    path = f"/r/{slug}/embed" if embed else f"/r/{slug}"
    shown = {name: value for name, value in query.items() if value is not None}
    return path + ("?" + urlencode(shown) if shown else "")


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise NotFound("no such page") from None


# --- the venues and the booking page ----------------------------------------------------


@router.get("/")
async def venues(request: Request) -> Response:
    listed = await run_in_threadpool(venue_directory, context_of(request).database)
    return render(request, "venues.html", {"venues": listed})


@router.get("/r/{slug}")
async def booking_page(request: Request, slug: str) -> Response:
    return await _booking_page(request, slug, embed=False)


@router.get("/r/{slug}/embed")
async def embedded_booking_page(request: Request, slug: str) -> Response:
    """The booking page for a frame on the venue's own site (only its origins may frame it)."""
    return await _booking_page(request, slug, embed=True)


@router.get("/r/{slug}/times")
async def times_fragment(request: Request, slug: str) -> Response:
    """Just the times of the booking page, which its script fetches as the guest chooses."""
    return await _booking_page(request, slug, embed=embedded(request), fragment=True)


async def _booking_page(
    request: Request,
    slug: str,
    *,
    embed: bool,
    fragment: bool = False,
    notice: str | None = None,
    status: int = 200,
    query: dict[str, str] | None = None,
) -> Response:
    ctx = context_of(request)
    window = await run_in_threadpool(booking_window, ctx, slug)
    form = Form.of(query if query is not None else request.query_params)
    party = forms.party_size(form, window.largest_party) or DEFAULT_PARTY
    chosen = forms.day(form, window.first_day, window.last_day)
    day = chosen or _first_open_day(window)
    wanted = forms.clock(form)
    choice = None
    try:
        choice = await run_in_threadpool(_choose, request, slug, party, day, wanted)
    except InvalidRequest as error:  # a date or party the venue refuses: say so beside it
        form.fail(error.fields[0] if error.fields else "date", error.detail)
    values = {
        "window": window,
        "venue": window.venue,
        "form": form,
        "party": party,
        "day": day,
        "wanted": wanted,
        "choice": choice,
        "days": _days_around(window, day),
        "embed": embed,
        "notice": notice or _notice(request),
        "venue_url": venue_url,
        "online_limit": window.venue.max_online_party_size,
    }
    return render(
        request,
        "times.html" if fragment else "booking.html",
        values,
        status=status,
        frame_origins=window.venue.embed_origins,
    )


def _choose(request: Request, slug: str, party: int, day: date, wanted: time | None) -> Choice:
    ctx = context_of(request)
    slots = day_availability(ctx, slug, day, party)
    wanted_slot = next((s for s in slots if s.offered.local_time == wanted), None)
    others = None
    if not any(slot.available for slot in slots) or (
        wanted is not None and (wanted_slot is None or not wanted_slot.available)
    ):
        around = wanted or (slots[len(slots) // 2].offered.local_time if slots else time(19))
        others = alternatives(ctx, slug, day, party, around, same_day=slots)
    return Choice(wanted, slots, others)


def _notice(request: Request) -> str | None:
    if request.query_params.get("taken") == "1":
        return "Sorry, that time was taken a moment ago. Here are the times still free."
    if request.query_params.get("released") == "1":
        return "We have let the table go. Choose another time whenever you like."
    return None


def _first_open_day(window: BookingWindow) -> date:
    day = window.first_day
    while day < window.last_day and not window.open_on(day):
        day = date.fromordinal(day.toordinal() + 1)
    return day


def _days_around(window: BookingWindow, day: date) -> list[tuple[date, bool]]:
    """A week of dates from ``day`` (or from today, near its start), each open or closed."""
    first = max(window.first_day, date.fromordinal(day.toordinal() - 3))
    shown = [date.fromordinal(first.toordinal() + n) for n in range(DAYS_SHOWN)]
    return [(one, window.open_on(one)) for one in shown if one <= window.last_day]


# --- holding a time ---------------------------------------------------------------------


@router.post("/r/{slug}/hold")
async def hold_time(request: Request, slug: str) -> Response:
    ctx = context_of(request)
    data = await checked_form(request)
    embed = embedded(request, data)
    window = await run_in_threadpool(booking_window, ctx, slug)
    form = Form.of(data)
    chosen = forms.when(form, window.largest_party, window.first_day, window.last_day)
    if chosen is None:
        return await _booking_page(
            request,
            slug,
            embed=embed,
            notice="Choose a party size, a date and a time.",
            status=422,
            query=data,
        )
    party, day, at = chosen
    try:
        hold = await run_in_threadpool(place_hold, ctx, slug, party, day, at, None)
    except NoAvailability:
        return see_other(
            venue_url(slug, embed, party=party, date=day.isoformat(), time=f"{at:%H:%M}", taken=1)
        )
    except InvalidRequest as error:
        return await _booking_page(
            request, slug, embed=embed, notice=error.detail, status=422, query=data
        )
    return see_other(_hold_url(slug, hold.id, embed), private=True)


def _hold_url(slug: str, hold_id: UUID, embed: bool, suffix: str = "") -> str:
    return f"/r/{slug}/hold/{hold_id}{suffix}" + ("?embed=1" if embed else "")


@router.get("/r/{slug}/hold/{hold_id}")
async def hold_page(request: Request, slug: str, hold_id: str) -> Response:
    return await _details_page(request, slug, _uuid(hold_id), embedded(request), Form({}))


def _hold_gone(request: Request, window: BookingWindow, embed: bool) -> Response:
    """A hold asked for again once gone: back (or resend) after booking, or let go."""
    return render(
        request,
        "error.html",
        {
            "venue": window.venue,
            "embed": embed,
            "heading": "We could not find that hold",
            "detail": "It has been booked, let go, or its time ran out. If you booked it, "
            "your booking stands: the link on its confirmation shows it. Otherwise, choose "
            "a time again.",
            "status": "Not Found",
            "next_url": venue_url(window.venue.slug, embed),
            "next_label": "Choose a time",
        },
        status=404,
        frame_origins=window.venue.embed_origins,
        private=True,
    )


async def _details_page(
    request: Request,
    slug: str,
    hold_id: UUID,
    embed: bool,
    form: Form,
    *,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    ctx = context_of(request)
    window = await run_in_threadpool(booking_window, ctx, slug)
    try:
        hold = await run_in_threadpool(get_hold, ctx, hold_id)
    except NotFound:  # booked, let go, or purged once expired
        return _hold_gone(request, window, embed)
    if hold.restaurant != slug:
        raise NotFound("no such hold")
    if hold.expired:
        return await _expired_page(
            request, window, hold.party_size, hold.day, hold.local_time, embed
        )
    seconds_left = max(0, int((hold.expires_at - ctx.clock()).total_seconds()))
    values: dict[str, Any] = {
        "venue": window.venue,
        "hold": hold,
        "seconds_left": seconds_left,
        "warn_seconds": _warning(window.venue.hold_ttl_seconds),
        "form": form,
        "embed": embed,
        "notice": notice,
        "action": _hold_url(slug, hold_id, embed),
        "extend_action": _hold_url(slug, hold_id, embed, "/extend"),
        "release_action": _hold_url(slug, hold_id, embed, "/release"),
        "venue_url": venue_url,
    }
    return render(
        request,
        "details.html",
        values,
        status=status,
        frame_origins=window.venue.embed_origins,
        private=True,
    )


def _spoken(seconds: int) -> str:
    """A time left as the page's script says it: "2 minutes", "1 minute 30 seconds"."""
    if seconds >= 120:
        return f"{-(-seconds // 60)} minutes"
    if seconds >= 60:
        return "1 minute" + (f" {seconds - 60} seconds" if seconds > 60 else "")
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def _warning(ttl: int) -> int:
    """When the page warns that a hold is running out: at least 20 s before (WCAG 2.2.1),
    at most a minute."""
    return max(20, min(60, ttl // 2))


async def _expired_page(
    request: Request, window: BookingWindow, party: int, day: date, at: time, embed: bool
) -> Response:
    choice = None
    # The day itself may no longer be bookable: the page then offers another date.
    with contextlib.suppress(InvalidRequest):
        choice = await run_in_threadpool(_choose, request, window.venue.slug, party, day, at)
    return render(
        request,
        "expired.html",
        {
            "venue": window.venue,
            "window": window,
            "party": party,
            "day": day,
            "wanted": at,
            "choice": choice,
            "days": _days_around(window, day),
            "embed": embed,
            "venue_url": venue_url,
            "online_limit": window.venue.max_online_party_size,
        },
        status=410,
        frame_origins=window.venue.embed_origins,
        private=True,
    )


@router.post("/r/{slug}/hold/{hold_id}/extend")
async def extend(request: Request, slug: str, hold_id: str) -> Response:
    """More time for the guest, keeping what they typed (the details form posts here)."""
    ctx = context_of(request)
    held = _uuid(hold_id)
    data = await checked_form(request)
    embed = embedded(request, data)
    notice = None
    try:
        extended = await run_in_threadpool(extend_hold, ctx, held)
        left = round((extended.expires_at - ctx.clock()).total_seconds())
        notice = f"Done: we are holding the table for another {_spoken(left)}."
    except HoldExtensionLimit:
        notice = "This hold cannot be extended again. Please send your details now."
    except (HoldExpired, NotFound):
        pass  # the details page explains
    return await _details_page(request, slug, held, embed, Form.of(data), notice=notice)


@router.post("/r/{slug}/hold/{hold_id}/release")
async def release(request: Request, slug: str, hold_id: str) -> Response:
    ctx = context_of(request)
    held = _uuid(hold_id)
    data = await checked_form(request)
    hold = await run_in_threadpool(get_hold, ctx, held)
    if hold.restaurant != slug:
        raise NotFound("no such hold")
    await run_in_threadpool(release_hold, ctx, held)
    return see_other(
        venue_url(
            slug,
            embedded(request, data),
            party=hold.party_size,
            date=hold.day.isoformat(),
            released=1,
        )
    )


@router.post("/r/{slug}/hold/{hold_id}")
async def book_hold(request: Request, slug: str, hold_id: str) -> Response:
    """The details for a held time: the booking. Sending them again (a double click, back
    and resend) answers with the same booking: the hold is the idempotency key. The form
    carries the hold's party, date and time, so that a resubmission still matches the
    first request once the hold has become the booking."""
    ctx = context_of(request)
    held = _uuid(hold_id)
    data = await checked_form(request)
    embed = embedded(request, data)
    form = Form.of(data)
    window = await run_in_threadpool(booking_window, ctx, slug)
    chosen = forms.when(form, window.largest_party, date.min, window.last_day)
    details = forms.guest(form)
    if chosen is None:
        raise InvalidRequest("the form lost the hold's party size, date or time; start again")
    if details is None:
        return await _details_page(request, slug, held, embed, form, status=422)
    (party, day, at), (guest, notes) = chosen, details
    wanted = BookingRequest(party, day, at, guest, notes, hold_id=held)
    try:
        booked = await _book(request, slug, wanted, f"web-hold:{held}")
    except HoldExpired:
        return await _expired_page(request, window, party, day, at, embed)
    except IdempotencyKeyReused:
        return render(
            request,
            "error.html",
            {
                "heading": "This hold is already booked",
                "detail": "This hold was booked with the details first sent. Use the manage "
                "link on that confirmation to change them.",
                "status": "Conflict",
            },
            status=409,
            frame_origins=window.venue.embed_origins,
            private=True,
        )
    return _to_booking(booked, embed)


async def _book(request: Request, slug: str, wanted: BookingRequest, key: str) -> Booked:
    """Book; a second submission that arrives while the first is still being booked waits
    for it and answers with the same booking."""
    ctx = context_of(request)
    for _ in range(REPLAY_TRIES):
        try:
            return await run_in_threadpool(book, ctx, slug, wanted, key, Caller())
        except IdempotencyKeyInUse:
            await asyncio.sleep(REPLAY_PAUSE)
    raise IdempotencyKeyInUse("the first submission is still being booked; reload to see it")


def _to_booking(booked: Booked, embed: bool) -> Response:
    booking: Booking = booked.booking
    if booked.manage_token is None:  # only a staff key's replay lacks it: not from here
        raise NotFound("no such booking")
    url = f"/b/{booking.id}/{booked.manage_token}?new=1" + ("&embed=1" if embed else "")
    return see_other(url, private=True)


# --- a large party's request ------------------------------------------------------------


@router.get("/r/{slug}/request")
async def request_page(request: Request, slug: str) -> Response:
    return await _request_page(request, slug, Form.of(request.query_params))


async def _request_page(request: Request, slug: str, form: Form, *, status: int = 200) -> Response:
    ctx = context_of(request)
    window = await run_in_threadpool(booking_window, ctx, slug)
    embed = embedded(request, form.values)
    chosen = forms.when(form, window.largest_party, window.first_day, window.last_day)
    if chosen is None:
        return see_other(venue_url(slug, embed))
    party, day, at = chosen
    key = form.values.get("request_key") or str(uuid4())
    return render(
        request,
        "request.html",
        {
            "venue": window.venue,
            "party": party,
            "day": day,
            "at": at,
            "form": form,
            "request_key": key,
            "embed": embed,
            "venue_url": venue_url,
        },
        status=status,
        frame_origins=window.venue.embed_origins,
    )


@router.post("/r/{slug}/request")
async def send_request(request: Request, slug: str) -> Response:
    """A party the restaurant confirms itself: a pending booking, sent once per form."""
    ctx = context_of(request)
    data = await checked_form(request)
    form = Form.of(data)
    window = await run_in_threadpool(booking_window, ctx, slug)
    chosen = forms.when(form, window.largest_party, window.first_day, window.last_day)
    details = forms.guest(form)
    key = _uuid(data.get("request_key", ""))
    if chosen is None:
        raise InvalidRequest("the request lost its party size, date or time; start again")
    if details is None:
        return await _request_page(request, slug, form, status=422)
    (party, day, at), (guest, notes) = chosen, details
    booked = await _book(
        request, slug, BookingRequest(party, day, at, guest, notes), f"web-request:{key}"
    )
    return _to_booking(booked, embedded(request, data))
