"""A booking at the host stand: its details and history (its status changes and table
moves), its status buttons (from its row on the day page too), cancelling after a
confirmation step, where it could sit (to move it, which pins its tables, or to approve it
when pending, the allocator's choice first), unpinning its tables, and a change of time or
party size.

Each action is checked as the API checks it, for a booking of the venue in the address
only; a refusal shows the page again saying why, with nothing changed.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from reserve.domain.booking import ALLOCATOR_ACTOR, CHANGEABLE, Booking, Status
from reserve.domain.errors import (
    InvalidRequest,
    InvalidTransition,
    NoAvailability,
    NotFound,
)
from reserve.services.availability import BookingWindow
from reserve.services.changes import Change, get_booking, modify, set_status
from reserve.services.floor import PLACEABLE, reassign, table_choices, unpin
from reserve.services.history import booking_history
from reserve.web.forms import Form
from reserve.web.host import show_day
from reserve.web.pages import checked_form, context_of
from reserve.web.session import Host, HostRoute
from reserve.web.stand import (
    ACTIONS,
    CANCELLABLE,
    STATUS_WORDS,
    a_day,
    a_time,
    after_action,
    done_notice,
    host_page,
    identifier,
    open_venue,
    sentence,
    tables_chosen,
    whole_number,
)

router = APIRouter(route_class=HostRoute, include_in_schema=False)

# What the history says for who made a step (``Caller.actor``), by its prefix.
_ACTORS = {
    "guest": "the guest",
    ALLOCATOR_ACTOR: "the allocator",
    "system:allocator": "the allocator",
    "staff": "staff",
    "admin": "an admin",
}
# The form's field for each field an error of the services names.
_FIELDS = {"party_size": "party", "date": "date", "time": "time"}
# A staff change may book a party this large (the floor's limit applies as well).
_LARGEST_PARTY = 1000


def actor_words(actor: str) -> str:
    """Who made a history step, in words: the guest, the allocator, or which key."""
    if actor in _ACTORS:
        return _ACTORS[actor]
    role, _, key = actor.partition(":")
    if role in ("staff", "admin") and key:
        return f"{_ACTORS[role]} (key {key})"
    return actor


async def _of_venue(
    request: Request, slug: str, booking_id: str
) -> tuple[Host, BookingWindow, Booking] | Response:
    """The signed-in host, the venue of the address (theirs) and its booking: a booking of
    another venue is as if it did not exist. Or the way to sign in."""
    opened = await open_venue(request, slug)
    if isinstance(opened, Response):
        return opened
    host, window = opened
    booking = await run_in_threadpool(
        get_booking, context_of(request), identifier(booking_id), host.caller
    )
    if booking.restaurant != window.venue.slug:
        raise NotFound("no such booking")
    return host, window, booking


@router.get("/host/r/{slug}/bookings/{booking_id}")
async def booking_page(request: Request, slug: str, booking_id: str) -> Response:
    found = await _of_venue(request, slug, booking_id)
    if isinstance(found, Response):
        return found
    host, window, booking = found
    return await show_booking(request, host, window, booking.id)


async def show_booking(
    request: Request,
    host: Host,
    window: BookingWindow,
    booking_id: UUID,
    *,
    form: Form | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> Response:
    """The booking's page as it stands now, saying what the last action did, or with
    ``refusal`` why it was not done."""
    ctx = context_of(request)
    booking = await run_in_threadpool(get_booking, ctx, booking_id, host.caller)
    choices = None
    if booking.status in PLACEABLE:
        choices = await run_in_threadpool(table_choices, ctx, booking_id, host.caller)
    steps = await run_in_threadpool(booking_history, ctx, booking_id, host.caller)
    values = {
        "booking": booking,
        "choices": choices,
        "zones": {zone.key: zone.name for zone in window.venue.zones},
        "history": steps,
        "actor_words": actor_words,
        "words": STATUS_WORDS,
        "actions": ACTIONS.get(booking.status, ()),
        "cancellable": booking.status in CANCELLABLE,
        "changeable": booking.status in CHANGEABLE,
        "form": form or Form({}),
        "notice": done_notice(request, [booking]),
        "refusal": refusal,
    }
    return host_page(request, "host_booking.html", host, window, "Day", values, status)


@router.post("/host/r/{slug}/bookings/{booking_id}/status")
async def change_status(request: Request, slug: str, booking_id: str) -> Response:
    """A status button: the change, checked as the API checks it (the lifecycle and the
    clock), then the page it was pressed on again (the day, or with ``back=booking`` the
    booking's), saying what happened."""
    ctx = context_of(request)
    data = await checked_form(request)
    found = await _of_venue(request, slug, booking_id)
    if isinstance(found, Response):
        return found
    host, window, booking = found
    try:
        wanted = Status(data.get("status", ""))
    except ValueError:
        raise InvalidRequest("choose what happened to the booking") from None
    on_booking = data.get("back") == "booking" and wanted is not Status.CANCELLED
    try:
        changed = await run_in_threadpool(set_status, ctx, booking.id, wanted, host.caller)
    except (InvalidTransition, NoAvailability) as refused:
        if on_booking:
            return await show_booking(
                request, host, window, booking.id, refusal=sentence(refused), status=409
            )
        return await show_day(
            request, window.venue.slug, on=booking.day, refusal=sentence(refused), status=409
        )
    return after_action(window.venue.slug, changed, wanted.value, to_day=not on_booking)


@router.get("/host/r/{slug}/bookings/{booking_id}/cancel")
async def cancel_page(request: Request, slug: str, booking_id: str) -> Response:
    found = await _of_venue(request, slug, booking_id)
    if isinstance(found, Response):
        return found
    host, window, booking = found
    return host_page(request, "host_cancel.html", host, window, "Day", {"booking": booking})


@router.post("/host/r/{slug}/bookings/{booking_id}/tables")
async def choose_tables(request: Request, slug: str, booking_id: str) -> Response:
    """Seat the booking at the tables chosen (one of the ways offered, or the boxes
    ticked); a pending booking is approved so. Checked as the allocator checks its own."""
    ctx = context_of(request)
    await checked_form(request)
    found = await _of_venue(request, slug, booking_id)
    if isinstance(found, Response):
        return found
    host, window, booking = found
    chosen = Form({})
    labels = tables_chosen(chosen, (await request.form()).getlist("table"))
    if labels is None:
        return await show_booking(request, host, window, booking.id, form=chosen, status=422)
    try:
        moved = await run_in_threadpool(reassign, ctx, booking.id, labels, host.caller)
    except (NoAvailability, InvalidRequest, InvalidTransition) as refused:
        chosen.fail("tables", f"{sentence(refused)} Nothing was changed.")
        code = 409 if isinstance(refused, NoAvailability | InvalidTransition) else 422
        return await show_booking(request, host, window, booking.id, form=chosen, status=code)
    approved = booking.status is Status.PENDING
    return after_action(window.venue.slug, moved, "approved" if approved else "tables")


@router.post("/host/r/{slug}/bookings/{booking_id}/unpin")
async def unpin_tables(request: Request, slug: str, booking_id: str) -> Response:
    """Unpin the booking's tables, so that pooling may move them again."""
    ctx = context_of(request)
    await checked_form(request)
    found = await _of_venue(request, slug, booking_id)
    if isinstance(found, Response):
        return found
    host, window, booking = found
    unpinned = await run_in_threadpool(unpin, ctx, booking.id, host.caller)
    return after_action(window.venue.slug, unpinned, "unpinned")


@router.post("/host/r/{slug}/bookings/{booking_id}/change")
async def change_booking(request: Request, slug: str, booking_id: str) -> Response:
    """A new time, date or party size, seated anew by the allocator (or refused, the
    booking as it was)."""
    ctx = context_of(request)
    data = await checked_form(request)
    found = await _of_venue(request, slug, booking_id)
    if isinstance(found, Response):
        return found
    host, window, booking = found
    form = Form.of(data)
    party = whole_number(
        form, "party", 1, _LARGEST_PARTY, f"Enter the party size: 1 to {_LARGEST_PARTY}."
    )
    day = a_day(form, "date") if form.text("date") else None
    if not form.text("date"):
        form.fail("date", "Enter the date.")
    at = a_time(form, "time", "Enter the time.")
    if party is None or day is None or at is None:
        return await show_booking(request, host, window, booking.id, form=form, status=422)
    change = Change(party_size=party, day=day, local_time=at)
    try:
        changed = await run_in_threadpool(modify, ctx, booking.id, host.caller, change)
    except (NoAvailability, InvalidRequest) as refused:
        fields = refused.fields if isinstance(refused, InvalidRequest) else ()
        named = [_FIELDS[f] for f in fields if f in _FIELDS]
        form.fail(named[0] if named else "time", f"{sentence(refused)} The booking is unchanged.")
        code = 409 if isinstance(refused, NoAvailability) else 422
        return await show_booking(request, host, window, booking.id, form=form, status=code)
    return after_action(window.venue.slug, changed, "changed")
