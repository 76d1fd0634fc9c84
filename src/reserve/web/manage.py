"""The guest's own booking, reached by the manage link sent with it: the confirmation,
the calendar file, changing party, date or time (with the times free for the change),
changing details and notes, and cancelling after a confirmation step.

The link is ``/b/{booking id}/{manage token}``: anything else answers as if there were no
such booking. Its pages are ``no-store`` and send no ``Referer``; nothing logs their path.
"""

from __future__ import annotations

from datetime import date, time
from functools import partial
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.availability import SlotAvailability
from reserve.domain.booking import CHANGEABLE, Booking, Status
from reserve.domain.errors import InvalidRequest, NoAvailability, NotFound
from reserve.domain.venue import Venue
from reserve.services.authorisation import Caller
from reserve.services.availability import (
    Alternatives,
    BookingWindow,
    alternatives,
    booking_window,
    day_availability,
)
from reserve.services.changes import Change, cancel, get_booking, modify
from reserve.services.context import Context
from reserve.web import forms
from reserve.web.calendar import booking_calendar
from reserve.web.forms import Form
from reserve.web.pages import PageRoute, checked_form, context_of, render, see_other

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_DONE = {
    "new": None,  # the confirmation has its own heading
    "changed": "Your booking has been changed.",
    "saved": "Your details have been saved.",
    "cancelled": "Your booking has been cancelled.",
}


def _embedded(request: Request) -> bool:
    return request.query_params.get("embed") == "1"


def _booking_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise NotFound("no such booking") from None


def manage_url(
    booking_id: UUID, token: str, suffix: str = "", *, embed: bool = False, **query: object
) -> str:
    """A page of the manage link; ``embed`` keeps the framed layout of the booking page."""
    shown = {name: value for name, value in query.items() if value is not None}
    if embed:
        shown["embed"] = 1
    return f"/b/{booking_id}/{token}{suffix}" + ("?" + urlencode(shown) if shown else "")


async def _load(request: Request, booking_id: str, token: str) -> tuple[Booking, BookingWindow]:
    ctx = context_of(request)
    caller = Caller(manage_token=token)
    booking = await run_in_threadpool(get_booking, ctx, _booking_id(booking_id), caller)
    window = await run_in_threadpool(booking_window, ctx, booking.restaurant)
    return booking, window


def zones_of(venue: Venue, booking: Booking) -> list[str]:
    """The names of the zones the booking's tables are in."""
    names = {zone.key: zone.name for zone in venue.zones}
    keys = {table.zone for table in venue.tables if table.label in booking.tables}
    return sorted(names.get(key, key) for key in keys)


def _page(
    request: Request,
    template: str,
    booking: Booking,
    window: BookingWindow,
    token: str,
    values: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> Response:
    return render(
        request,
        template,
        {
            "booking": booking,
            "venue": window.venue,
            "window": window,
            "zones": zones_of(window.venue, booking),
            "token": token,
            "changeable": booking.status in CHANGEABLE,
            "cancellable": booking.status in (Status.PENDING, Status.CONFIRMED),
            "manage_url": partial(manage_url, embed=_embedded(request)),
            "link": str(request.base_url).rstrip("/") + manage_url(booking.id, token),
            "embed": _embedded(request),
            **(values or {}),
        },
        status=status,
        frame_origins=window.venue.embed_origins,
        private=True,
    )


@router.get("/b/{booking_id}/{token}")
async def manage_page(request: Request, booking_id: str, token: str) -> Response:
    booking, window = await _load(request, booking_id, token)
    done = next((name for name in _DONE if request.query_params.get(name) == "1"), None)
    return _page(
        request,
        "manage.html",
        booking,
        window,
        token,
        {"new": done == "new", "notice": _DONE.get(done or ""), "form": Form({})},
    )


@router.get("/b/{booking_id}/{token}/calendar.ics")
async def calendar_file(request: Request, booking_id: str, token: str) -> Response:
    booking, window = await _load(request, booking_id, token)
    text = booking_calendar(
        booking, window.venue, request.url.hostname or "reserve", context_of(request).clock()
    )
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="booking-{booking.reference}.ics"',
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- changing the booking ---------------------------------------------------------------


@router.get("/b/{booking_id}/{token}/change")
async def change_page(request: Request, booking_id: str, token: str) -> Response:
    booking, window = await _load(request, booking_id, token)
    return await _change_page(request, booking, window, token, Form.of(request.query_params))


async def _change_page(
    request: Request,
    booking: Booking,
    window: BookingWindow,
    token: str,
    form: Form,
    *,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    ctx = context_of(request)
    if booking.status not in CHANGEABLE:
        raise InvalidRequest(f"a {booking.status} booking can no longer be changed")
    largest = min(window.largest_party, window.venue.max_online_party_size)
    party = forms.party_size(form, largest) or booking.party_size
    day = forms.day(form, window.first_day, window.last_day) or booking.day
    wanted = forms.clock(form)
    slots: list[SlotAvailability] = []
    others: Alternatives | None = None
    try:
        slots = await run_in_threadpool(
            day_availability, ctx, booking.restaurant, day, party, moving=booking
        )
        around = wanted or booking.local_time
        wanted_slot = next((s for s in slots if s.offered.local_time == wanted), None)
        if not any(s.available for s in slots) or (
            wanted is not None and (wanted_slot is None or not wanted_slot.available)
        ):
            others = await run_in_threadpool(_alternatives, ctx, booking, day, party, around, slots)
    except InvalidRequest as error:
        form.fail(error.fields[0] if error.fields else "date", error.detail)
    return _page(
        request,
        "change.html",
        booking,
        window,
        token,
        {
            "form": form,
            "party": party,
            "day": day,
            "wanted": wanted,
            "slots": slots,
            "others": others,
            "alternative_days": _by_day(day, others),
            "largest": largest,
            "notice": notice,
            "change_url": manage_url(booking.id, token, "/change"),
        },
        status=status,
    )


def _by_day(day: date, others: Alternatives | None) -> list[tuple[date, Any]]:
    if others is None:
        return []
    same = [(day, others.same_day)] if others.same_day else []
    return same + [(other.day, other.slots) for other in others.other_days]


def _alternatives(
    ctx: Context,
    booking: Booking,
    day: date,
    party: int,
    around: time,
    slots: list[SlotAvailability],
) -> Alternatives:
    return alternatives(ctx, booking.restaurant, day, party, around, moving=booking, same_day=slots)


@router.post("/b/{booking_id}/{token}/change")
async def change(request: Request, booking_id: str, token: str) -> Response:
    ctx = context_of(request)
    data = await checked_form(request)
    booking, window = await _load(request, booking_id, token)
    form = Form.of(data)
    largest = min(window.largest_party, window.venue.max_online_party_size)
    chosen = forms.when(form, largest, window.first_day, window.last_day)

    async def again(status: int, notice: str) -> Response:
        return await _change_page(
            request, booking, window, token, form, status=status, notice=notice
        )

    if chosen is None:
        return await again(422, "Choose a party size, a date and one of the times.")
    party, day, at = chosen
    wanted = Change(party_size=party, day=day, local_time=at)
    try:
        await run_in_threadpool(modify, ctx, booking.id, Caller(manage_token=token), wanted)
    except NoAvailability:
        return await again(
            409,
            f"Sorry, {at:%H:%M} was taken a moment ago; your booking is unchanged. "
            "Here are the times still free.",
        )
    except InvalidRequest as error:
        detail = f"{error.detail[:1].upper()}{error.detail[1:]}"
        return await again(422, f"{detail}. Your booking is unchanged.")
    return see_other(
        manage_url(booking.id, token, changed=1, embed=_embedded(request)), private=True
    )


@router.post("/b/{booking_id}/{token}/details")
async def change_details(request: Request, booking_id: str, token: str) -> Response:
    ctx = context_of(request)
    data = await checked_form(request)
    booking, window = await _load(request, booking_id, token)
    form = Form.of(data)
    details = forms.guest(form)
    if details is None:
        return _page(
            request,
            "manage.html",
            booking,
            window,
            token,
            {"form": form, "new": False, "notice": None},
            status=422,
        )
    guest, notes = details
    wanted = Change(
        name=guest.name,
        email=guest.email,
        phone=guest.phone,
        phone_removed=guest.phone is None,
        notes=notes,
    )
    await run_in_threadpool(modify, ctx, booking.id, Caller(manage_token=token), wanted)
    return see_other(manage_url(booking.id, token, saved=1, embed=_embedded(request)), private=True)


# --- cancelling --------------------------------------------------------------------------


@router.get("/b/{booking_id}/{token}/cancel")
async def cancel_page(request: Request, booking_id: str, token: str) -> Response:
    booking, window = await _load(request, booking_id, token)
    if booking.status is Status.CANCELLED:
        return see_other(manage_url(booking.id, token, embed=_embedded(request)), private=True)
    return _page(request, "cancel.html", booking, window, token)


@router.post("/b/{booking_id}/{token}/cancel")
async def cancel_booking(request: Request, booking_id: str, token: str) -> Response:
    ctx = context_of(request)
    await checked_form(request)
    caller = Caller(manage_token=token)
    booking = await run_in_threadpool(cancel, ctx, _booking_id(booking_id), caller)
    return see_other(
        manage_url(booking.id, token, cancelled=1, embed=_embedded(request)), private=True
    )
