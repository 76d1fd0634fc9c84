"""Booking: confirm a hold, or find tables and confirm, or accept as pending; exactly once
per idempotency key.

One transaction in three round trips (pipeline mode): the venue with the key's claim and any
earlier result; the day's lock and occupancy; the booking with its history, its tables, its
idempotency record and its demand record, sent with the commit.

Every request is recorded as demand once, whatever its answer (``reserve.services.demand``):
a booking confirming a hold is not a request of its own (placing the hold was), and a replay
repeats an answer already recorded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, time
from uuid import UUID, uuid4

from reserve import metrics
from reserve.db import bookings as store
from reserve.db import demand as demand_records
from reserve.db import holds, idempotency
from reserve.db.database import Connection
from reserve.domain.booking import Booking, Guest, Source, Status, new_reference
from reserve.domain.demand import NOT_OFFERED, Outcome
from reserve.domain.errors import (
    Forbidden,
    HoldExpired,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    NoAvailability,
    NotFound,
    ReserveError,
    SelectorTimeout,
)
from reserve.services import demand
from reserve.services.authorisation import Caller
from reserve.services.context import Context
from reserve.services.holds import take_hold
from reserve.services.keys import hash_key, manage_token
from reserve.services.seating import Slot, check_party, check_zone, find_tables, offered, seat
from reserve.services.venue_state import VenueState


@dataclass(frozen=True, slots=True)
class BookingRequest:
    party_size: int
    day: date
    local_time: time
    guest: Guest
    notes: str = ""
    hold_id: UUID | None = None
    zone: str | None = None
    source: Source | None = None  # None: web for guests, staff for the restaurant's staff


@dataclass(frozen=True, slots=True)
class Booked:
    """What a booking request made: the booking, the manage token that was returned with
    it, and whether this answer repeats an earlier request's with the same key."""

    booking: Booking
    manage_token: str | None
    replayed: bool = False


def book(
    ctx: Context, slug: str, request: BookingRequest, idempotency_key: str, caller: Caller
) -> Booked:
    fingerprint = _fingerprint(slug, request)
    key = record_key(ctx.secret, idempotency_key)
    made_by = None if caller.principal is None else str(caller.principal.key_id)

    def work(conn: Connection) -> Booked:
        claimed = idempotency.enter_and_claim(conn, slug, key)
        if claimed is None:
            raise NotFound(f"no restaurant {slug!r}")
        state = ctx.venues.entered(conn, claimed.restaurant_id, claimed.version)
        if not claimed.held:
            raise IdempotencyKeyInUse(
                "a request with this Idempotency-Key is still being processed"
            )
        earlier = claimed.earlier
        if earlier is not None:
            if earlier.request_hash != fingerprint:
                raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
            # The token goes only to whoever made the booking: a guest holding the key, or
            # the same staff key; anyone else replaying gets the booking without it.
            token = None
            if earlier.made_by == made_by:
                token = manage_token(ctx.secret, earlier.booking.id)
            return Booked(earlier.booking, token, replayed=True)
        booked = _book(ctx, conn, state, request, caller)
        idempotency.store_result(
            conn, state.restaurant_id, key, fingerprint, booked.booking, made_by
        )
        if request.hold_id is None:
            _record(ctx, conn, state, request, booked.booking)
        return booked

    try:
        booked = ctx.database.run(work, pipeline=True)
    except NoAvailability as refusal:
        metrics.BOOKINGS.labels("no-availability").inc()
        _record_refusal(ctx, slug, request, caller, refusal)
        raise
    except NOT_OFFERED as refusal:
        _record_refusal(ctx, slug, request, caller, refusal)
        raise
    except HoldExpired:
        metrics.BOOKINGS.labels("hold-expired").inc()
        raise
    if booked.replayed:
        metrics.IDEMPOTENT_REPLAYS.inc()
    else:
        metrics.BOOKINGS.labels(booked.booking.status).inc()
        metrics.RESULTS_STORED.inc()
    return booked


def _record(
    ctx: Context, conn: Connection, state: VenueState, request: BookingRequest, booking: Booking
) -> None:
    demand_records.record(
        conn,
        state.restaurant_id,
        received_at=ctx.clock(),
        service_date=request.day,
        local_time=request.local_time,
        party_size=request.party_size,
        kind="booking",
        source=booking.source,
        outcome=Outcome.PENDING if booking.status is Status.PENDING else Outcome.CONFIRMED,
        booking_id=booking.id,
    )


def _record_refusal(
    ctx: Context, slug: str, request: BookingRequest, caller: Caller, refusal: ReserveError
) -> None:
    if request.hold_id is not None:
        return  # placing the hold was the request, and was recorded
    demand.record_refusal(
        ctx,
        slug,
        refusal,
        kind="booking",
        day=request.day,
        local_time=request.local_time,
        party_size=request.party_size,
        source=lambda state: _source(request, caller, state),
    )


def _source(request: BookingRequest, caller: Caller, state: VenueState) -> Source:
    """Where a booking comes from: as asked, or by default the web for guests and staff for
    the restaurant's own."""
    if request.source is not None:
        return request.source
    return Source.STAFF if caller.is_staff_of(state.restaurant_id) else Source.WEB


def _book(
    ctx: Context, conn: Connection, state: VenueState, request: BookingRequest, caller: Caller
) -> Booked:
    public = not caller.is_staff_of(state.restaurant_id)
    if public and request.source not in (None, Source.WEB):
        raise Forbidden("only the restaurant's staff may book with a source other than web")
    check_party(state, request.party_size)
    check_zone(state, request.zone)
    offer = offered(ctx, state, request.day, request.local_time, request.party_size, public=public)
    tables: list[str] | tuple[str, ...] = ()
    status, pending_reason = Status.CONFIRMED, None
    slot = Slot.of(offer, request.day)
    if request.hold_id is not None:
        tables, slot = take_hold(
            ctx, conn, state, request.hold_id, request.party_size, request.day, request.local_time
        )
    elif public and request.party_size > state.venue.max_online_party_size:
        status, pending_reason = Status.PENDING, "approval"
    else:
        try:
            tables = find_tables(ctx, conn, state, slot, request.party_size, request.zone).tables
        except SelectorTimeout:
            status, pending_reason = Status.PENDING, "allocation"
    now = ctx.clock().astimezone(slot.start_at.tzinfo)
    booking = Booking(
        id=uuid4(),
        reference=new_reference(),
        restaurant=state.venue.slug,
        status=status,
        party_size=request.party_size,
        day=request.day,
        local_time=request.local_time,
        start_at=slot.start_at,
        end_at=slot.end_at,
        tables=tuple(sorted(tables)),
        zone=request.zone,
        guest=request.guest,
        notes=request.notes,
        source=_source(request, caller, state),
        created_at=now,
        updated_at=now,
        pending_reason=pending_reason,
    )
    token = manage_token(ctx.secret, booking.id)
    store.insert_booking(
        conn,
        state.restaurant_id,
        booking,
        zone_id=None if request.zone is None else state.zone_ids[request.zone],
        manage_token_hash=hash_key(ctx.secret, token),
        actor=caller.actor,
        at=ctx.clock(),
    )
    if tables and request.hold_id is not None:
        holds.hand_hold_to_booking(conn, state.restaurant_id, request.hold_id, booking.id)
    elif tables:
        seat(conn, state, tables, slot, booking.id)
    return Booked(booking, token)


def record_key(secret: str, idempotency_key: str) -> str:
    """What the idempotency record keeps of a client's key: a keyed hash, so that reading the
    table does not let anyone present the key."""
    return hash_key(secret, "idempotency:" + idempotency_key).hex()


def _fingerprint(slug: str, request: BookingRequest) -> bytes:
    payload = {
        "restaurant": slug,
        "party_size": request.party_size,
        "date": request.day.isoformat(),
        "time": request.local_time.strftime("%H:%M"),
        "guest": [request.guest.name, request.guest.email, request.guest.phone],
        "notes": request.notes,
        "hold_id": None if request.hold_id is None else str(request.hold_id),
        "zone": request.zone,
        "source": None if request.source is None else str(request.source),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).digest()
