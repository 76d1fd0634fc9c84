"""The floor staff run: the day's bookings, the timeline of every table, and moving a
booking to other tables (blocks are ``reserve.services.blocks``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from reserve.db import allocations
from reserve.db import bookings as store
from reserve.db.database import Connection
from reserve.domain.booking import SEATING, Booking, Status
from reserve.domain.errors import InvalidRequest
from reserve.services.authorisation import Caller, booking_for, require_staff, staff_venue
from reserve.services.changes import kept_slot, reread
from reserve.services.context import Context
from reserve.services.seating import (
    check_day,
    check_free,
    chosen_tables,
    lock_days,
    occupancy,
    seat,
)


@dataclass(frozen=True, slots=True)
class Occupation:
    """A table taken for a window (buffer included) by a booking, a hold or a block."""

    kind: str  # "booking", "hold" or "block"
    owner_id: UUID
    start_at: datetime
    end_at: datetime
    party_size: int | None
    status: str | None
    guest_name: str | None


@dataclass(frozen=True, slots=True)
class TableDay:
    label: str
    zone: str
    capacity: int
    occupations: tuple[Occupation, ...]


def bookings_of_day(
    ctx: Context, slug: str, day: date, statuses: Sequence[Status] | None, caller: Caller
) -> list[Booking]:
    def work(conn: Connection) -> list[Booking]:
        state = staff_venue(ctx, conn, slug, caller)
        return store.bookings_of_day(conn, state.restaurant_id, day, statuses, state.venue)

    return ctx.database.run(work)


def timeline(ctx: Context, slug: str, day: date, caller: Caller) -> list[TableDay]:
    """Every active table of the venue, in floor order, with what occupies it on ``day``."""
    check_day(day)

    def work(conn: Connection) -> list[TableDay]:
        state = staff_venue(ctx, conn, slug, caller)
        zone = ZoneInfo(state.venue.timezone)
        by_table: dict[str, list[Occupation]] = {}
        for use in allocations.of_day(conn, state.restaurant_id, day):
            by_table.setdefault(use.label, []).append(
                Occupation(
                    use.kind,
                    use.owner_id,
                    use.starts.astimezone(zone),
                    use.ends.astimezone(zone),
                    use.party_size,
                    use.status,
                    use.guest_name,
                )
            )
        return [
            TableDay(table.label, table.zone, table.capacity, tuple(by_table.get(table.label, ())))
            for table in state.venue.tables
            if table.active
        ]

    return ctx.database.run(work)


def reassign(ctx: Context, booking_id: UUID, labels: Sequence[str], caller: Caller) -> Booking:
    """Seat a booking at tables staff chose, checked as the allocator checks its own."""
    require_staff(caller)

    def work(conn: Connection) -> Booking:
        state, booking = booking_for(ctx, conn, booking_id, caller, lock=True, staff=True)
        if booking.status not in SEATING:
            raise InvalidRequest("only a confirmed or seated booking has tables")
        chosen = chosen_tables(state, labels, booking.party_size)
        slot = kept_slot(state, booking)
        lock_days(ctx, conn, state, booking.day)
        allocations.free_booking_tables(conn, state.restaurant_id, booking_id)
        taken = occupancy(conn, state, booking.day, ctx.clock(), purge=True)
        check_free(state, taken, chosen, slot)
        seat(conn, state, chosen, slot, booking_id)
        store.touch(conn, state.restaurant_id, booking_id, ctx.clock())
        return reread(conn, state, booking_id)

    return ctx.database.run(work)
