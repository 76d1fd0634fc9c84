"""Availability: every start a venue offers a party on a date, and whether booking it now
would succeed, decided by the allocator's own test over the occupancy a booking would read."""

from __future__ import annotations

from datetime import date

from reserve.db import allocations
from reserve.db.database import Connection
from reserve.domain.availability import SlotAvailability, availability
from reserve.services.context import Context
from reserve.services.seating import check_party, check_zone, occupancy


def day_availability(
    ctx: Context, slug: str, day: date, party_size: int, zone: str | None = None
) -> list[SlotAvailability]:
    def work(conn: Connection) -> list[SlotAvailability]:
        state = ctx.venues.scoped(conn, slug)
        check_party(state, party_size)
        check_zone(state, zone)
        now = ctx.clock()
        taken = occupancy(conn, state, day, now)
        starting = None
        if state.venue.max_covers_per_slot is not None:
            starting = allocations.covers_by_start(conn, state.restaurant_id, day, now)
        return availability(
            state.venue,
            state.floor,
            taken,
            day,
            party_size,
            policy=state.policy,
            now=now,
            zone=zone,
            covers_by_start=starting,
        )

    return ctx.database.run(work)
