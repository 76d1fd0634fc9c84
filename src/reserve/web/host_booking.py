"""A booking at the host stand: its details and history, its status buttons (from its
row on the day page too), cancelling after a confirmation step, where it could sit (to
move it, or to approve it when pending, the allocator's choice first), and a change of
time or party size.

Each action is checked as the API checks it; a refusal shows the page again saying why,
with nothing changed.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.booking import CHANGEABLE, SEATING, Booking, Status
from reserve.domain.errors import (
    InvalidRequest,
    InvalidTransition,
    NoAvailability,
    NotFound,
    ReserveError,
)
from reserve.services.availability import booking_window
from reserve.services.changes import Change, get_booking, modify, set_status
from reserve.services.floor import reassign, table_choices
from reserve.services.history import booking_history
from reserve.web import forms
from reserve.web.forms import Form
from reserve.web.host import ACTIONS, CANCELLABLE, STATUS_WORDS, done_notice, show_day
from reserve.web.pages import checked_form, context_of, render, see_other
from reserve.web.session import Host, HostRoute, signed_in, to_sign_in

router = APIRouter(route_class=HostRoute, include_in_schema=False)

# The statuses whose booking may be given tables from this page.
_PLACEABLE = (Status.PENDING, *SEATING)
# What the history says for who made a step (``Caller.actor``), by its prefix.
_ACTORS = {
    "guest": "the guest",
    "system:allocator": "the allocator",
    "staff": "staff",
    "admin": "an admin",
}
# The form's field for each field an error of the services names.
_FIELDS = {"party_size": "party", "date": "date", "time": "time"}
# A staff change may book a party this large (the floor's limit applies as well).
_LARGEST_PARTY = 1000


def booking_path(slug: str, booking_id: UUID) -> str:
    return f"/host/r/{quote(slug)}/bookings/{booking_id}"


def actor_words(actor: str) -> str:
    """Who made a history step, in words: the guest, the allocator, or which key."""
    if actor in _ACTORS:
        return _ACTORS[actor]
    role, _, key = actor.partition(":")
    if role in ("staff", "admin") and key:
        return f"{_ACTORS[role]} (key {key})"
    return actor


def _booking_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise NotFound("no such booking") from None


@router.get("/host/r/{slug}/bookings/{booking_id}")
async def booking_page(request: Request, slug: str, booking_id: str) -> Response:
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    notice = done_notice(request)
    return await show_booking(request, host, slug, _booking_id(booking_id), notice=notice)


async def show_booking(
    request: Request,
    host: Host,
    slug: str,
    booking_id: UUID,
    *,
    form: Form | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    """The booking's page, with ``notice`` saying what just happened or was refused."""
    ctx = context_of(request)
    window = await run_in_threadpool(booking_window, ctx, slug)
    booking = await run_in_threadpool(get_booking, ctx, booking_id, host.caller)
    if booking.restaurant != window.venue.slug:
        raise NotFound("no such booking")
    choices = None
    if booking.status in _PLACEABLE:
        choices = await run_in_threadpool(table_choices, ctx, booking_id, host.caller)
    steps = await run_in_threadpool(booking_history, ctx, booking_id, host.caller)
    names = {zone.key: zone.name for zone in window.venue.zones}
    return render(
        request,
        "host_booking.html",
        {
            "host": host,
            "slug": window.venue.slug,
            "section": "Day",
            "venue": window.venue,
            "booking": booking,
            "choices": choices,
            "zones": names,
            "history": steps,
            "actor_words": actor_words,
            "words": STATUS_WORDS,
            "actions": ACTIONS.get(booking.status, ()),
            "cancellable": booking.status in CANCELLABLE,
            "changeable": booking.status in CHANGEABLE,
            "form": form or Form({}),
            "notice": notice,
            "path": booking_path(window.venue.slug, booking.id),
        },
        status=status,
        private=True,
    )


def _after(slug: str, booking: Booking, done: str, *, to_day: bool = False) -> Response:
    """Back to the booking's page (or its day), saying what was done."""
    query = {"done": done, "ref": booking.reference}
    if to_day:
        path = f"/host/r/{quote(slug)}"
        query = {"date": booking.day.isoformat(), **query}
    else:
        path = booking_path(slug, booking.id)
    return see_other(f"{path}?{urlencode(query)}", private=True)


@router.post("/host/r/{slug}/bookings/{booking_id}/status")
async def change_status(request: Request, slug: str, booking_id: str) -> Response:
    """A status button: the change, checked as the API checks it (the lifecycle and the
    clock), then the page it was pressed on again (the day, or with ``back=booking`` the
    booking's), saying what happened."""
    ctx = context_of(request)
    data = await checked_form(request)
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    key = _booking_id(booking_id)
    try:
        wanted = Status(data.get("status", ""))
    except ValueError:
        raise InvalidRequest("choose what happened to the booking") from None
    on_booking = data.get("back") == "booking" and wanted is not Status.CANCELLED
    try:
        booking = await run_in_threadpool(set_status, ctx, key, wanted, host.caller)
    except (InvalidTransition, NoAvailability) as refused:
        if on_booking:
            return await show_booking(
                request, host, slug, key, notice=_sentence(refused), status=409
            )
        shown = await run_in_threadpool(get_booking, ctx, key, host.caller)
        return await show_day(request, slug, on=shown.day, notice=_sentence(refused), status=409)
    return _after(slug, booking, wanted.value, to_day=not on_booking)


@router.get("/host/r/{slug}/bookings/{booking_id}/cancel")
async def cancel_page(request: Request, slug: str, booking_id: str) -> Response:
    ctx = context_of(request)
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    booking = await run_in_threadpool(get_booking, ctx, _booking_id(booking_id), host.caller)
    window = await run_in_threadpool(booking_window, ctx, slug)
    if booking.restaurant != window.venue.slug:
        raise NotFound("no such booking")
    return render(
        request,
        "host_cancel.html",
        {"host": host, "booking": booking, "venue": window.venue, "slug": window.venue.slug},
        private=True,
    )


def _sentence(error: ReserveError) -> str:
    return f"{error.detail[:1].upper()}{error.detail[1:]}."


@router.post("/host/r/{slug}/bookings/{booking_id}/tables")
async def choose_tables(request: Request, slug: str, booking_id: str) -> Response:
    """Seat the booking at the tables chosen (one of the ways offered, or the boxes
    ticked); a pending booking is approved so. Checked as the allocator checks its own."""
    ctx = context_of(request)
    data = await checked_form(request)
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    key = _booking_id(booking_id)
    way = data.get("way", "")
    form = await request.form()
    labels = [label for label in way.split("+") if label] if way else form.getlist("table")
    labels = [label for label in labels if isinstance(label, str)]
    before = await run_in_threadpool(get_booking, ctx, key, host.caller)
    chosen = Form({})
    if not labels:
        chosen.fail("tables", "Tick the tables to seat the party at, or choose one of the ways.")
        return await show_booking(request, host, slug, key, form=chosen, status=422)
    try:
        booking = await run_in_threadpool(reassign, ctx, key, labels, host.caller)
    except (NoAvailability, InvalidRequest) as refused:
        chosen.fail("tables", f"{_sentence(refused)} Nothing was changed.")
        code = 409 if isinstance(refused, NoAvailability) else 422
        return await show_booking(request, host, slug, key, form=chosen, status=code)
    approved = before.status is Status.PENDING
    return _after(slug, booking, "approved" if approved else "tables")


@router.post("/host/r/{slug}/bookings/{booking_id}/change")
async def change_booking(request: Request, slug: str, booking_id: str) -> Response:
    """A new time, date or party size, seated anew by the allocator (or refused, the
    booking as it was)."""
    ctx = context_of(request)
    data = await checked_form(request)
    host = await signed_in(request)
    if host is None:
        return to_sign_in(request)
    key = _booking_id(booking_id)
    form = Form.of(data)
    party = forms.party_size(form, _LARGEST_PARTY)
    day = _staff_day(form)
    at = forms.clock(form)
    for name, value, message in (
        ("party", party, "Enter the party size."),
        ("date", day, "Enter the date."),
        ("time", at, "Enter the time."),
    ):
        if value is None:
            form.fail(name, message)
    if not form.ok:
        return await show_booking(request, host, slug, key, form=form, status=422)
    change = Change(party_size=party, day=day, local_time=at)
    try:
        booking = await run_in_threadpool(modify, ctx, key, host.caller, change)
    except (NoAvailability, InvalidRequest) as refused:
        fields = refused.fields if isinstance(refused, InvalidRequest) else ()
        named = [_FIELDS[f] for f in fields if f in _FIELDS]
        form.fail(named[0] if named else "time", f"{_sentence(refused)} The booking is unchanged.")
        code = 409 if isinstance(refused, NoAvailability) else 422
        return await show_booking(request, host, slug, key, form=form, status=code)
    return _after(slug, booking, "changed")


def _staff_day(form: Form) -> date | None:
    """Any real date: staff may move a booking beyond the guests' booking window."""
    text = form.text("date")
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        form.fail("date", "Enter a date like 2026-12-07.")
        return None
