"""Public booking routes: availability, holds, bookings and a guest's own booking.

Routes read their input, call one use case, and shape the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from reserve.api.deps import BookingCallerDep, CallerDep, ContextDep
from reserve.api.direct import DirectRoute
from reserve.api.openapi import ANY_CALL, problems
from reserve.api.schemas import (
    AvailabilityOut,
    BookingIn,
    BookingOut,
    BookingPatch,
    HoldDetailsOut,
    HoldIn,
    HoldOut,
    SlotOut,
    clock_time,
)
from reserve.domain.booking import Guest, Status
from reserve.services import changes, holds
from reserve.services.availability import day_availability
from reserve.services.booking import BookingRequest, book

# The booking path's routes resolve their arguments directly (``reserve.api.direct``).
router = APIRouter(prefix="/v1", tags=["bookings"], route_class=DirectRoute)

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="A key unique to this booking attempt; retries reuse it.",
    ),
]
# A booking's own routes answer anything but its token or its staff's key as unknown.
OWN_BOOKING = (404, 422, 429, 503)


@router.get("/restaurants/{slug}/availability", responses=problems(*ANY_CALL, 404))
def get_availability(
    slug: str,
    ctx: ContextDep,
    caller: CallerDep,
    date: Annotated[dt.date, Query()],
    party_size: Annotated[int, Query(ge=1, le=1000)],
    zone: Annotated[str | None, Query(max_length=40)] = None,
) -> AvailabilityOut:
    """Every start time offered on ``date`` to the party, and whether booking it would
    succeed now."""
    del caller  # asked for its rate limit
    slots = day_availability(ctx, slug, date, party_size, zone)
    return AvailabilityOut(
        date=date, party_size=party_size, slots=[SlotOut.of(slot) for slot in slots]
    )


@router.post("/restaurants/{slug}/holds", status_code=201, responses=problems(*ANY_CALL, 404, 409))
def place_hold(slug: str, body: HoldIn, ctx: ContextDep, caller: CallerDep) -> HoldOut:
    """Hold tables for a party until ``expires_at``; confirm with a booking naming the hold."""
    del caller
    hold = holds.place_hold(ctx, slug, body.party_size, body.date, clock_time(body.time), body.zone)
    return HoldOut.of(hold)


@router.get("/holds/{hold_id}", responses=problems(*ANY_CALL, 404))
def get_hold(hold_id: UUID, ctx: ContextDep, caller: CallerDep) -> HoldDetailsOut:
    """The hold, to whoever has its id: party, date and time, tables, expiry, how many
    more extensions it may have, and whether it has expired (until it is purged)."""
    del caller
    return HoldDetailsOut.of_view(holds.get_hold(ctx, hold_id))


@router.post("/holds/{hold_id}/extend", responses=problems(*ANY_CALL, 404, 409, 410))
def extend_hold(hold_id: UUID, ctx: ContextDep, caller: CallerDep) -> HoldOut:
    """More time for a guest who needs it (WCAG 2.2.1): the hold expires the venue's hold
    time from now, counted afresh. A limited number of times (``extensions_left``; then 409
    ``hold-extension-limit``); an expired hold is 410 ``hold-expired``."""
    del caller
    return HoldOut.of(holds.extend_hold(ctx, hold_id))


@router.delete("/holds/{hold_id}", status_code=204, responses=problems(*ANY_CALL, 404))
def release_hold(hold_id: UUID, ctx: ContextDep, caller: CallerDep) -> Response:
    """Give the held tables back."""
    del caller
    holds.release_hold(ctx, hold_id)
    return Response(status_code=204)


@router.post(
    "/restaurants/{slug}/bookings",
    status_code=201,
    response_model=BookingOut,
    responses={
        202: {"model": BookingOut, "description": "accepted as pending, for the restaurant"},
        **problems(*ANY_CALL, 403, 404, 409, 410),
    },
)
def make_booking(
    slug: str,
    body: BookingIn,
    ctx: ContextDep,
    caller: CallerDep,
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Book: confirm a hold, or find tables and confirm, in one transaction. A party above
    the venue's online limit (or one whose tables took too long to choose) is accepted as
    ``pending`` (202). Retrying with the same Idempotency-Key replays the first answer."""
    request = BookingRequest(
        party_size=body.party_size,
        day=body.date,
        local_time=clock_time(body.time),
        guest=Guest(body.guest.name, str(body.guest.email), body.guest.phone),
        notes=body.notes,
        hold_id=body.hold_id,
        zone=body.zone,
        source=body.source,
    )
    booked = book(ctx, slug, request, idempotency_key, caller)
    answer = BookingOut.of(booked.booking, booked.manage_token).model_dump(mode="json")
    for optional in ("pending_reason", "manage_token"):  # shown only where they apply
        if answer[optional] is None:
            del answer[optional]
    return JSONResponse(
        answer,
        status_code=202 if booked.booking.status is Status.PENDING else 201,
        headers={"Idempotent-Replayed": "true"} if booked.replayed else None,
    )


@router.get("/bookings/{booking_id}", responses=problems(*OWN_BOOKING))
def get_booking(booking_id: UUID, ctx: ContextDep, caller: BookingCallerDep) -> BookingOut:
    """The booking, to its manage token's holder or its restaurant's staff."""
    return BookingOut.of(changes.get_booking(ctx, booking_id, caller))


@router.patch("/bookings/{booking_id}", responses=problems(*OWN_BOOKING, 409))
def change_booking(
    booking_id: UUID, body: BookingPatch, ctx: ContextDep, caller: BookingCallerDep
) -> BookingOut:
    """Move, resize or amend the booking in one step; if the new time or size cannot be
    seated, the booking stays as it was."""
    guest = body.guest
    change = changes.Change(
        party_size=body.party_size,
        day=body.date,
        local_time=None if body.time is None else clock_time(body.time),
        notes=body.notes,
        name=None if guest is None else guest.name,
        email=None if guest is None or guest.email is None else str(guest.email),
        phone=None if guest is None else guest.phone,
        phone_removed=guest is not None and "phone" in guest.model_fields_set and not guest.phone,
    )
    booking = changes.modify(ctx, booking_id, caller, change)
    return BookingOut.of(booking)


@router.post("/bookings/{booking_id}/cancel", responses=problems(*OWN_BOOKING, 409))
def cancel_booking(booking_id: UUID, ctx: ContextDep, caller: BookingCallerDep) -> BookingOut:
    """Cancel and free the tables; cancelling again changes nothing."""
    return BookingOut.of(changes.cancel(ctx, booking_id, caller))
