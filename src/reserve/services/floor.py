"""The floor staff run: the day's bookings, the timeline of every table, moving a booking
to other tables, and taking tables out of service (blocks)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from reserve.db import allocations, holds
from reserve.db import bookings as store
from reserve.db.database import Connection
from reserve.domain.booking import SEATING, Booking, Status
from reserve.domain.errors import InvalidRequest, NoAvailability
from reserve.domain.timing import local_instant
from reserve.services.authorisation import Caller, booking_for, require_staff, staff_venue
from reserve.services.changes import kept_slot, reread
from reserve.services.context import Context
from reserve.services.seating import check_day, lock_days, occupancy, seat


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


@dataclass(frozen=True, slots=True)
class Block:
    id: UUID
    tables: tuple[str, ...]
    start_at: datetime
    end_at: datetime
    reason: str


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
        chosen = tuple(sorted(set(labels)))
        unknown = [label for label in chosen if label not in state.floor.index]
        if unknown or not chosen:
            raise InvalidRequest(f"unknown or inactive tables: {', '.join(unknown) or '-'}")
        allowed = {
            c.labels for c in state.floor.candidates_for(booking.party_size, state.policy.rule)
        }
        if chosen not in allowed:
            raise InvalidRequest(
                f"tables {', '.join(chosen)} cannot seat a party of {booking.party_size} "
                "under this venue's rules"
            )
        slot = kept_slot(state, booking)
        lock_days(ctx, conn, state, booking.day)
        allocations.free_booking_tables(conn, state.restaurant_id, booking_id)
        busy = occupancy(conn, state, booking.day, ctx.clock(), purge=True)
        if busy.busy(slot.start_at.timestamp(), slot.occupied_until.timestamp()) & (
            state.floor.mask_of(chosen)
        ):
            raise NoAvailability(f"tables {', '.join(chosen)} are taken at that time")
        seat(conn, state, chosen, slot, booking_id)
        store.touch(conn, state.restaurant_id, booking_id, ctx.clock())
        return reread(conn, state, booking_id)

    return ctx.database.run(work)


def block(
    ctx: Context,
    slug: str,
    labels: Sequence[str],
    day: date,
    start: time,
    end: time,
    reason: str,
    caller: Caller,
) -> Block:
    """Take tables out of service from ``start`` to ``end`` on ``day``."""

    def work(conn: Connection) -> Block:
        state = staff_venue(ctx, conn, slug, caller)
        chosen = sorted(set(labels))
        unknown = [label for label in chosen if label not in state.table_ids]
        if unknown or not chosen:
            raise InvalidRequest(f"unknown tables: {', '.join(unknown) or '-'}")
        check_day(day)
        starts = local_instant(state.venue.timezone, day, start)
        ends = local_instant(state.venue.timezone, day, end)
        if ends.timestamp() <= starts.timestamp():  # aware times of one zone compare by the wall
            raise InvalidRequest("a block must end after it starts")
        lock_days(ctx, conn, state, day)
        allocations.purge_expired_holds(conn, state.restaurant_id, ctx.clock())
        block_id = uuid4()
        holds.insert_block(
            conn,
            state.restaurant_id,
            block_id,
            start_at=starts,
            end_at=ends,
            reason=reason,
            created_by=caller.actor,
        )
        allocations.allocate_tables(
            conn,
            state.restaurant_id,
            [state.table_ids[label] for label in chosen],
            owner="block",
            owner_id=block_id,
            service_date=day,
            start=starts,
            end=ends,
        )
        return Block(block_id, tuple(chosen), starts, ends, reason)

    return ctx.database.run(work)
