"""The floor staff run: the day's bookings, the timeline of every table, and moving a
booking to other tables (blocks are ``reserve.services.blocks``).

Tables staff choose are pinned: pooling never moves them, until staff unpin them or a
change of time or party has the allocator seat the booking anew."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from reserve.db import allocations
from reserve.db import bookings as store
from reserve.db.database import Connection
from reserve.domain.allocator import Request, allocate, free_candidates
from reserve.domain.availability import day_occupancy
from reserve.domain.booking import (
    SEATING,
    Booking,
    Status,
    TableMove,
    check_transition,
    check_transition_time,
)
from reserve.domain.errors import InvalidRequest, SelectorTimeout
from reserve.services.authorisation import Caller, booking_for, require_staff, staff_venue
from reserve.services.changes import kept_slot, record_transition, reread
from reserve.services.context import Context
from reserve.services.seating import (
    check_day,
    check_free,
    chosen_tables,
    lock_days,
    occupancy,
    seat,
)
from reserve.services.venue_state import VenueState

# The bookings staff may seat at tables they choose (a pending one is approved so).
PLACEABLE = (Status.PENDING, *SEATING)
# How many free ways to seat a booking ``table_choices`` offers, the allocator's first.
WAYS_OFFERED = 5


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

    @classmethod
    def of(cls, use: allocations.TableUse, zone: ZoneInfo) -> Occupation:
        """The allocation's window in the venue's time zone, and what owns it."""
        return cls(
            use.kind,
            use.owner_id,
            use.starts.astimezone(zone),
            use.ends.astimezone(zone),
            use.party_size,
            use.status,
            use.guest_name,
        )


@dataclass(frozen=True, slots=True)
class TableDay:
    label: str
    zone: str
    capacity: int
    occupations: tuple[Occupation, ...]


@dataclass(frozen=True, slots=True)
class TableChoice:
    """A table as a place for one booking: whether the booking sits there, and what else
    takes it during the booking's window (nothing: it is free)."""

    label: str
    zone: str
    capacity: int
    current: bool
    taken_by: Occupation | None


@dataclass(frozen=True, slots=True)
class TableChoices:
    """Where a booking could sit: every active table, and the free ways to seat its
    party (single tables or allowed combinations), the allocator's choice first."""

    tables: tuple[TableChoice, ...]
    ways: tuple[tuple[str, ...], ...]
    suggested: tuple[str, ...] | None


def bookings_of_day(
    ctx: Context, slug: str, day: date, statuses: Sequence[Status] | None, caller: Caller
) -> list[Booking]:
    def work(conn: Connection) -> list[Booking]:
        state = staff_venue(ctx, conn, slug, caller)
        return store.bookings_of_day(conn, state.restaurant_id, day, statuses, state.venue)

    return ctx.database.run(work)


@dataclass(frozen=True, slots=True)
class FloorDay:
    """A day at the host stand, read in one transaction: its bookings and its tables."""

    bookings: list[Booking]
    tables: list[TableDay]


def floor_of_day(ctx: Context, slug: str, day: date, caller: Caller) -> FloorDay:
    """Every booking of ``day`` (whatever its status) and the day's timeline, as one
    snapshot, so the two never disagree."""
    check_day(day)

    def work(conn: Connection) -> FloorDay:
        state = staff_venue(ctx, conn, slug, caller)
        found = store.bookings_of_day(conn, state.restaurant_id, day, None, state.venue)
        return FloorDay(found, _tables_of_day(conn, state, day))

    return ctx.database.run(work)


def timeline(ctx: Context, slug: str, day: date, caller: Caller) -> list[TableDay]:
    """Every active table of the venue, in floor order, with what occupies it on ``day``."""
    check_day(day)

    def work(conn: Connection) -> list[TableDay]:
        return _tables_of_day(conn, staff_venue(ctx, conn, slug, caller), day)

    return ctx.database.run(work)


def _tables_of_day(conn: Connection, state: VenueState, day: date) -> list[TableDay]:
    zone = ZoneInfo(state.venue.timezone)
    by_table: dict[str, list[Occupation]] = {}
    for use in allocations.of_day(conn, state.restaurant_id, day):
        by_table.setdefault(use.label, []).append(Occupation.of(use, zone))
    return [
        TableDay(table.label, table.zone, table.capacity, tuple(by_table.get(table.label, ())))
        for table in state.venue.tables
        if table.active
    ]


def reassign(ctx: Context, booking_id: UUID, labels: Sequence[str], caller: Caller) -> Booking:
    """Seat a booking at tables staff chose, checked as the allocator checks its own, and
    pin them there; a change of tables goes in the booking's history. A pending booking
    seated so is approved: it becomes confirmed at those tables."""
    require_staff(caller)

    def work(conn: Connection) -> Booking:
        state, booking = booking_for(ctx, conn, booking_id, caller, lock=True, staff=True)
        approving = booking.status is Status.PENDING
        if approving:
            check_transition(booking.status, Status.CONFIRMED)
            check_transition_time(booking, Status.CONFIRMED, ctx.clock(), state.venue)
        elif booking.status not in PLACEABLE:
            raise InvalidRequest(f"a {booking.status} booking takes no tables")
        chosen = chosen_tables(state, labels, booking.party_size)
        slot = kept_slot(state, booking)
        lock_days(ctx, conn, state, booking.day)
        allocations.free_booking_tables(conn, state.restaurant_id, booking_id)
        taken = occupancy(conn, state, booking.day, ctx.clock(), purge=True)
        check_free(state, taken, chosen, slot)
        seat(conn, state, chosen, slot, booking_id)
        if approving:
            record_transition(ctx, conn, state, booking, Status.CONFIRMED, caller)
        now = ctx.clock()
        store.set_pinned(conn, state.restaurant_id, booking_id, True, now)
        if chosen != booking.tables:
            moved = TableMove(booking_id, booking.tables, chosen, caller.actor, now)
            store.record_moves(conn, state.restaurant_id, [moved])
        return reread(conn, state, booking_id)

    return ctx.database.run(work)


def unpin(ctx: Context, booking_id: UUID, caller: Caller) -> Booking:
    """Let pooling move the booking's tables again (staff only); unpinning a booking whose
    tables are not pinned changes nothing."""
    require_staff(caller)

    def work(conn: Connection) -> Booking:
        state, booking = booking_for(ctx, conn, booking_id, caller, lock=True, staff=True)
        if booking.tables_pinned:
            store.set_pinned(conn, state.restaurant_id, booking_id, False, ctx.clock())
        return reread(conn, state, booking_id)

    return ctx.database.run(work)


def table_choices(ctx: Context, booking_id: UUID, caller: Caller) -> TableChoices:
    """Where the booking could sit for the window it was booked for, its own tables
    counted free: what staff choose from to move it, or to approve it when pending.

    A read: nothing is locked, so a table may be taken before the booking is moved there,
    which ``reassign`` then refuses."""
    require_staff(caller)

    def work(conn: Connection) -> TableChoices:
        state, booking = booking_for(ctx, conn, booking_id, caller, staff=True)
        if booking.status not in PLACEABLE:
            raise InvalidRequest(f"a {booking.status} booking takes no tables")
        slot = kept_slot(state, booking)
        zone = ZoneInfo(state.venue.timezone)
        active = [table for table in state.venue.tables if table.active]
        uses = [
            use
            for use in allocations.taken_between(
                conn,
                state.restaurant_id,
                [state.table_ids[table.label] for table in active],
                slot.start_at,
                slot.occupied_until,
                ctx.clock(),
            )
            if use.owner_id != booking_id
        ]
        clashes: dict[str, Occupation] = {}
        for use in uses:
            clashes.setdefault(use.label, Occupation.of(use, zone))
        taken = day_occupancy(state.floor, ((u.label, u.starts, u.ends) for u in uses))
        request = Request(
            booking.party_size,
            slot.start_at.timestamp(),
            slot.occupied_until.timestamp(),
            booking.zone,
        )
        ways = [c.labels for c in free_candidates(state.floor, taken, request, state.policy.rule)]
        try:
            plan = allocate(state.floor, taken, request, state.policy, state.lookahead)
        except SelectorTimeout:
            plan = None  # the free ways are still offered
        suggested = None if plan is None else plan.tables
        if suggested is not None:
            ways = [suggested, *(way for way in ways if way != suggested)]
        current = set(booking.tables)
        return TableChoices(
            tuple(
                TableChoice(
                    table.label,
                    table.zone,
                    table.capacity,
                    table.label in current,
                    clashes.get(table.label),
                )
                for table in active
            ),
            tuple(ways[:WAYS_OFFERED]),
            suggested,
        )

    return ctx.database.run(work)
