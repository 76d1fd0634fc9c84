"""Walk-ins: a party seated now, without a booking beforehand.

A walk-in is a booking like any other (source ``walk_in``), seated at once: its window runs
from now for the turn time of the service period running now, cut at closing time, on the
tables the allocator chooses or on those staff chose, checked as the allocator checks its
own. The waitlist seats its parties through here. Tables staff chose are not pinned: a
seated party's tables never move anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import uuid4

from reserve.db import bookings as store
from reserve.db.database import Connection
from reserve.domain.booking import Booking, Guest, Source, Status, new_reference
from reserve.domain.timing import walk_in_time
from reserve.services.authorisation import Caller, staff_venue
from reserve.services.changes import reread
from reserve.services.context import Context
from reserve.services.keys import hash_key, manage_token
from reserve.services.seating import (
    Slot,
    check_free,
    check_party,
    chosen_tables,
    find_tables_now,
    lock_days,
    occupancy,
    seat,
)
from reserve.services.venue_state import VenueState

# What the floor calls a party whose name nobody asked.
WALK_IN_NAME = "Walk-in"


def seat_walk_in(
    ctx: Context,
    slug: str,
    party_size: int,
    caller: Caller,
    *,
    tables: Sequence[str] | None = None,
    name: str | None = None,
    phone: str | None = None,
) -> Booking:
    """Seat a party now (staff only): a seated booking from now until its turn time is up
    or the venue closes. ``OutsideServiceHours`` when the venue is not open now or closes
    too soon; ``NoAvailability`` when no table (or not the tables given) is free."""

    def work(conn: Connection) -> Booking:
        state = staff_venue(ctx, conn, slug, caller)
        return walk_in(ctx, conn, state, party_size, caller, tables=tables, name=name, phone=phone)

    return ctx.database.run(work)


def walk_in(
    ctx: Context,
    conn: Connection,
    state: VenueState,
    party_size: int,
    caller: Caller,
    *,
    tables: Sequence[str] | None = None,
    name: str | None = None,
    phone: str | None = None,
    notes: str = "",
) -> Booking:
    """``seat_walk_in`` inside a use case's own transaction (the waitlist's), on a venue
    the caller has already been found to be staff of: it takes the day lock, seats the
    party and records it seated, or refuses and writes nothing."""
    check_party(state, party_size)
    now = ctx.clock()
    day, window = walk_in_time(state.venue, now, party_size)
    slot = Slot.of(window, day)
    if tables is None:
        chosen = find_tables_now(ctx, conn, state, slot, party_size, None).tables
    else:
        chosen = chosen_tables(state, tables, party_size)
        lock_days(ctx, conn, state, day)
        check_free(state, occupancy(conn, state, day, now, purge=True), chosen, slot)
    at = now.astimezone(slot.start_at.tzinfo)
    booking = Booking(
        id=uuid4(),
        reference=new_reference(),
        restaurant=state.venue.slug,
        status=Status.SEATED,
        party_size=party_size,
        day=day,
        local_time=slot.local_time,
        start_at=slot.start_at,
        end_at=slot.end_at,
        tables=tuple(sorted(chosen)),
        zone=None,
        guest=Guest(name or WALK_IN_NAME, None, phone),
        notes=notes,
        source=Source.WALK_IN,
        created_at=at,
        updated_at=at,
    )
    # Nobody is handed the token; the column still holds a hash, as for every booking.
    token_hash = hash_key(ctx.secret, manage_token(ctx.secret, booking.id))
    store.insert_booking(
        conn,
        state.restaurant_id,
        booking,
        zone_id=None,
        manage_token_hash=token_hash,
        actor=caller.actor,
        at=now,
    )
    seat(conn, state, chosen, slot, booking.id)
    return reread(conn, state, booking.id)
