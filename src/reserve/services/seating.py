"""Finding and taking tables: the steps that every use case which allocates shares.

A use case that allocates serialises on the venue's day first (``Context.day_lock``, with a
timeout), then purges expired holds, reads the day's occupancy with one indexed query, lets
the allocator choose (``reserve.domain``), and writes. The exclusion constraint
``allocations_no_overlap`` is the backstop: a 23P01 that still surfaces is answered as
``NoAvailability`` by the unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from reserve import metrics
from reserve.db import allocations, bookings
from reserve.db.allocations import Window
from reserve.db.database import Connection
from reserve.domain import timing
from reserve.domain.allocator import Occupancy, Plan, Request
from reserve.domain.availability import within_pacing
from reserve.domain.booking import ALLOCATOR_ACTOR, TableMove
from reserve.domain.errors import (
    InvalidRequest,
    NoAvailability,
    PartyTooLarge,
    SelectorTimeout,
    TooFarAhead,
    TooLate,
)
from reserve.domain.pooling import Move, Placed, Refused, place
from reserve.domain.timing import OfferedTime, check_booking_window, offered_time
from reserve.services import admission
from reserve.services.context import Context, Waited
from reserve.services.venue_state import VenueState

# Dates outside these are refused before any arithmetic on them can overflow.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(9000, 12, 31)

log = logging.getLogger("reserve.allocator")


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a booking sits in time: its service date and start, its end, and the end of
    the window its tables are occupied (the end plus the venue's buffer)."""

    day: date
    local_time: time
    start_at: datetime
    end_at: datetime
    occupied_until: datetime

    @classmethod
    def of(cls, offered: OfferedTime, day: date) -> Slot:
        return cls(
            day, offered.local_time, offered.start_at, offered.end_at, offered.occupied_until
        )

    @classmethod
    def kept(
        cls, state: VenueState, day: date, local_time: time, start_at: datetime, end_at: datetime
    ) -> Slot:
        """The window a booking or hold was made for, whatever the venue's rules are now."""
        buffer = timedelta(minutes=state.venue.buffer_minutes)
        return cls(day, local_time, start_at, end_at, end_at + buffer)


# --- checks ------------------------------------------------------------------------------


def check_day(day: date) -> None:
    """Refuse a date no venue takes bookings for, before any arithmetic on it can overflow."""
    if day < FIRST_DAY:
        raise TooLate(f"{day.isoformat()} has long passed", fields=("date",))
    if day > LAST_DAY:
        raise TooFarAhead(f"{day.isoformat()} is too far ahead to book", fields=("date",))


def check_party(state: VenueState, party_size: int) -> None:
    if party_size > state.largest_party:
        raise PartyTooLarge(
            f"{state.venue.name} cannot seat a party of {party_size}; "
            f"the largest it can seat is {state.largest_party}",
            fields=("party_size",),
        )


def check_zone(state: VenueState, zone: str | None) -> None:
    if zone is not None and zone not in state.zone_ids:
        known = ", ".join(sorted(state.zone_ids))
        raise InvalidRequest(f"unknown zone {zone!r}; zones: {known}", fields=("zone",))


def offered(
    ctx: Context, state: VenueState, day: date, at: time, party_size: int, *, public: bool
) -> OfferedTime:
    """The start the venue offers the party at ``at`` on ``day``; a public caller must
    also book within the venue's lead time and horizon."""
    check_day(day)
    offer = offered_time(state.venue, day, at, party_size)
    if public:
        check_booking_window(state.venue, offer.start_at, ctx.clock())
    return offer


# --- occupancy ---------------------------------------------------------------------------


def day_span(state: VenueState, day: date) -> tuple[datetime, datetime]:
    """The span every window of ``day`` falls in (``reserve.domain.timing.day_span``), for
    a date some venue could take bookings for."""
    check_day(day)
    return timing.day_span(state.venue, day)


def occupancy(
    conn: Connection, state: VenueState, day: date, now: datetime, *, purge: bool = False
) -> Occupancy:
    """The day's occupancy; with ``purge``, expired holds are deleted in the same trip."""
    return Occupancy(state.floor, _taken(conn, state, day, now, purge=purge))


def _taken(
    conn: Connection,
    state: VenueState,
    day: date,
    now: datetime,
    *,
    purge: bool,
    excluding: UUID | None = None,
) -> list[Window]:
    start, end = day_span(state, day)
    if not purge:
        return allocations.occupied(conn, state.restaurant_id, start, end, now, excluding=excluding)
    purged, taken = allocations.purge_and_read(
        conn, state.restaurant_id, start, end, now, excluding=excluding
    )
    _count_expired(purged)
    return taken


def _count_expired(purged: int) -> None:
    if purged:
        metrics.HOLDS.labels("expired").inc(purged)


def lock_days(ctx: Context, conn: Connection, state: VenueState, *days: date) -> None:
    """Take the day locks, and count the wait for them at once."""
    record_wait(ctx.day_lock(conn, state.restaurant_id, days))


def record_wait(waited: Waited | None) -> None:
    if waited is not None:
        metrics.DAY_LOCK_WAIT_SECONDS.observe(waited())


# --- choosing and taking tables ----------------------------------------------------------


def find_tables(
    ctx: Context,
    conn: Connection,
    state: VenueState,
    slot: Slot,
    party_size: int,
    zone: str | None,
) -> Plan:
    """Lock the day, purge expired holds, read occupancy, choose tables (or refuse), and
    move the pooled bookings the choice needs.

    ``SelectorTimeout`` means the search ran out of time before it found tables;
    ``NoAvailability`` says why nothing was found (``reason``)."""
    waited = ctx.day_lock(conn, state.restaurant_id, (slot.day,))
    now = ctx.clock()
    pooled = pooled_occupancy(conn, state, slot.day, now)
    record_wait(waited)  # answered by now: in pipeline mode it costs no round trip
    if state.venue.max_covers_per_slot is not None:
        starting = allocations.covers_by_start(conn, state.restaurant_id, slot.day, now)
        if not within_pacing(state.venue, starting.get(slot.start_at, 0), party_size):
            raise NoAvailability(
                f"{state.venue.name} takes at most {state.venue.max_covers_per_slot} covers "
                f"starting at {slot.local_time:%H:%M}",
                reason="paced",
            )
    request = Request(party_size, slot.start_at.timestamp(), slot.occupied_until.timestamp(), zone)
    admitting = admission.gate(ctx, conn, state, slot.day)
    with metrics.ALLOCATION_SECONDS.time():
        placed_at = place(
            state.floor,
            pooled.fixed,
            pooled.placed,
            request,
            state.policy,
            state.lookahead,
            outlook=admitting.outlook,
            limits=admitting.limits,
            everything=pooled.everything,
        )
    if isinstance(placed_at, Refused):
        raise NoAvailability(
            f"no table for {party_size} at {slot.local_time:%H:%M} on {slot.day.isoformat()}",
            reason=placed_at.value,
        )
    plan = placed_at.plan
    if placed_at.moves:
        move(conn, state, slot.day, placed_at.moves, now)
    if plan.profile is not None:  # debug.capacity_profiling
        stages = ", ".join(f"{stage} {ms:.3f}" for stage, ms in plan.profile.items())
        log.info(
            "allocated %s for %d at %s %s: %s",
            "+".join(plan.tables),
            party_size,
            state.venue.slug,
            slot.start_at.isoformat(),
            stages,
        )
    return plan


@dataclass(frozen=True, slots=True)
class Pooled:
    """A day as pooling reads it: the occupancy that stays where it is, the bookings whose
    tables may move (built only when asked for), and the two together."""

    fixed: Occupancy
    placed: Sequence[Placed]
    everything: Occupancy


def pooled_occupancy(
    conn: Connection,
    state: VenueState,
    day: date,
    now: datetime,
    *,
    purge: bool = True,
    excluding: UUID | None = None,
) -> Pooled:
    """The day's occupancy that stays where it is, and the bookings whose tables may move
    (none with ``allocator.pooling`` off), leaving out the booking ``excluding`` (one
    being changed); with ``purge``, expired holds are deleted in the same trip."""
    if not state.policy.pooling:
        taken = _taken(conn, state, day, now, purge=purge, excluding=excluding)
        fixed = Occupancy(state.floor, taken)
        return Pooled(fixed, (), fixed)
    start, end = day_span(state, day)
    purged, taken, movable = allocations.pooled_day(
        conn,
        state.restaurant_id,
        start,
        end,
        now,
        admission.movable_after(state, now),
        service_date=day,
        purge=purge,
        excluding=excluding,
    )
    _count_expired(purged)
    fixed = Occupancy(state.floor, taken)
    return Pooled(fixed, movable, fixed.with_windows(movable.windows))


def move(
    conn: Connection, state: VenueState, day: date, moves: Sequence[Move], now: datetime
) -> None:
    """Move pooled bookings to the tables the search chose for them, each move in its
    booking's history."""
    allocations.move_tables(
        conn,
        state.restaurant_id,
        [(m.booking_id, [state.table_ids[label] for label in m.to_tables]) for m in moves],
        day,
    )
    bookings.record_moves(
        conn,
        state.restaurant_id,
        [TableMove(m.booking_id, m.from_tables, m.to_tables, ALLOCATOR_ACTOR, now) for m in moves],
    )
    metrics.TABLES_MOVED.inc(len(moves))


def find_tables_now(
    ctx: Context,
    conn: Connection,
    state: VenueState,
    slot: Slot,
    party_size: int,
    zone: str | None,
) -> Plan:
    """``find_tables`` for a change to an existing booking or a hold: there is no pending
    state to fall back on, so a search that ran out of time finds nothing."""
    try:
        return find_tables(ctx, conn, state, slot, party_size, zone)
    except SelectorTimeout:
        raise NoAvailability("no table could be found in time; try again") from None


def chosen_tables(state: VenueState, labels: Sequence[str], party_size: int) -> tuple[str, ...]:
    """Tables staff chose for a party, sorted: refused unless they are active tables of the
    venue that the allocator itself could give that party (a single table or an allowed
    combination)."""
    chosen = tuple(sorted(set(labels)))
    unknown = [label for label in chosen if label not in state.floor.index]
    if unknown or not chosen:
        raise InvalidRequest(
            f"unknown or inactive tables: {', '.join(unknown) or '-'}", fields=("tables",)
        )
    allowed = {c.labels for c in state.floor.candidates_for(party_size, state.policy.rule)}
    if chosen not in allowed:
        raise InvalidRequest(
            f"tables {', '.join(chosen)} cannot seat a party of {party_size} "
            "under this venue's rules",
            fields=("tables",),
        )
    return chosen


def check_free(state: VenueState, taken: Occupancy, labels: Sequence[str], slot: Slot) -> None:
    """Refuse tables that something occupies during the slot's occupied window."""
    busy = taken.busy(slot.start_at.timestamp(), slot.occupied_until.timestamp())
    if busy & state.floor.mask_of(labels):
        raise NoAvailability(f"tables {', '.join(labels)} are taken at that time")


def seat(
    conn: Connection,
    state: VenueState,
    labels: Sequence[str],
    slot: Slot,
    owner_id: UUID,
    owner: str = "booking",
) -> None:
    """Allocate ``labels`` for the slot's occupied window to a booking or hold."""
    allocations.allocate_tables(
        conn,
        state.restaurant_id,
        [state.table_ids[label] for label in labels],
        owner=owner,
        owner_id=owner_id,
        service_date=slot.day,
        start=slot.start_at,
        end=slot.occupied_until,
    )
