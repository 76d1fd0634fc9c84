"""Public booking routes: availability, holds, bookings and a guest's own booking.

Routes read their input, call one method of the booking service, and shape the answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse

from reserve.api.deps import BookingsDep, CallerDep
from reserve.api.schemas import (
    AvailabilityOut,
    BookingIn,
    BookingOut,
    BookingPatch,
    HoldIn,
    HoldOut,
    SlotOut,
    clock_time,
)
from reserve.services.bookings import BookingRequest, Guest

router = APIRouter(prefix="/v1", tags=["bookings"])

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="A key unique to this booking attempt; retries reuse it.",
    ),
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "unknown, or not yours"}}


@router.get("/restaurants/{slug}/availability")
def get_availability(
    slug: str,
    bookings: BookingsDep,
    caller: CallerDep,
    date: Annotated[dt.date, Query()],
    party_size: Annotated[int, Query(ge=1, le=1000)],
    zone: Annotated[str | None, Query(max_length=40)] = None,
) -> AvailabilityOut:
    """Every start time offered on ``date`` to the party, and whether booking it would
    succeed now."""
    del caller
    _, slots = bookings.availability(slug, date, party_size, zone)
    return AvailabilityOut(
        date=date,
        party_size=party_size,
        slots=[
            SlotOut(
                time=f"{slot.offered.local_time:%H:%M}",
                start_at=slot.offered.start_at.isoformat(),
                available=slot.available,
            )
            for slot in slots
        ],
    )


@router.post("/restaurants/{slug}/holds", status_code=201, responses={409: {}, 422: {}})
def place_hold(slug: str, body: HoldIn, bookings: BookingsDep, caller: CallerDep) -> HoldOut:
    """Hold tables for a party until ``expires_at``; confirm with a booking naming the hold."""
    del caller
    return HoldOut.model_validate(
        bookings.hold(slug, body.party_size, body.date, clock_time(body.time), body.zone)
    )


@router.delete("/holds/{hold_id}", status_code=204, responses=NOT_FOUND)
def release_hold(hold_id: UUID, bookings: BookingsDep, caller: CallerDep) -> Response:
    """Give the held tables back."""
    del caller
    bookings.release_hold(hold_id)
    return Response(status_code=204)


@router.post(
    "/restaurants/{slug}/bookings",
    status_code=201,
    response_model=BookingOut,
    responses={202: {"model": BookingOut}, 409: {}, 410: {}, 422: {}},
)
def make_booking(
    slug: str,
    body: BookingIn,
    bookings: BookingsDep,
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
    outcome = bookings.book(slug, request, idempotency_key, caller)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


@router.get("/bookings/{booking_id}", responses=NOT_FOUND)
def get_booking(booking_id: UUID, bookings: BookingsDep, caller: CallerDep) -> BookingOut:
    """The booking, to its manage token's holder or its restaurant's staff."""
    return _out(bookings.get(booking_id, caller))


@router.patch("/bookings/{booking_id}", responses={**NOT_FOUND, 409: {}})
def change_booking(
    booking_id: UUID, body: BookingPatch, bookings: BookingsDep, caller: CallerDep
) -> BookingOut:
    """Move or resize the booking in one step; if the new time or size cannot be seated,
    the booking stays as it was."""
    return _out(
        bookings.modify(
            booking_id,
            caller,
            party_size=body.party_size,
            day=body.date,
            local_time=None if body.time is None else clock_time(body.time),
        )
    )


@router.post("/bookings/{booking_id}/cancel", responses={**NOT_FOUND, 409: {}})
def cancel_booking(booking_id: UUID, bookings: BookingsDep, caller: CallerDep) -> BookingOut:
    """Cancel and free the tables; cancelling again changes nothing."""
    return _out(bookings.cancel(booking_id, caller))


def _out(body: dict[str, Any]) -> BookingOut:
    return BookingOut.model_validate(body)
