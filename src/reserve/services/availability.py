"""Availability: every start a venue offers a party on a date, and whether booking it now
would succeed, decided by the allocator's own test over the occupancy a booking would read;
and when the start a guest wants is full, the nearest free ones that day and the next days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reserve.db import allocations
from reserve.db.database import Connection
from reserve.domain.availability import SlotAvailability, availability, nearest_free
from reserve.domain.booking import Booking, Status
from reserve.domain.timing import opens_on
from reserve.domain.venue import Venue
from reserve.services import admission
from reserve.services.authorisation import Caller, staff_venue
from reserve.services.context import Context
from reserve.services.seating import check_day, check_party, check_zone, pooled_occupancy
from reserve.services.venue_state import VenueState

# How far alternatives look: free times that day, and days ahead that have one.
NEAREST_TIMES = 4
OTHER_DAYS = 3
DAYS_SEARCHED = 14


@dataclass(frozen=True, slots=True)
class BookingWindow:
    """What a guest may book at a venue: up to which party online, the largest party it can
    seat at all (above the first, a request the restaurant confirms), and the dates."""

    venue: Venue
    largest_party: int
    first_day: date  # today, in the venue's zone
    last_day: date  # the end of the booking horizon

    def open_on(self, day: date) -> bool:
        return opens_on(self.venue, day)


@dataclass(frozen=True, slots=True)
class OtherDay:
    day: date
    slots: tuple[SlotAvailability, ...]  # its free starts nearest the wanted one


@dataclass(frozen=True, slots=True)
class Alternatives:
    same_day: tuple[SlotAvailability, ...]
    other_days: tuple[OtherDay, ...]


def booking_window(ctx: Context, slug: str) -> BookingWindow:
    return ctx.database.run(lambda conn: _window(ctx, ctx.venues.scoped(conn, slug)))


def staff_window(ctx: Context, slug: str, caller: Caller) -> BookingWindow:
    """``booking_window`` for the venue's staff (the host stand): to anyone else the venue
    does not exist."""
    return ctx.database.run(lambda conn: _window(ctx, staff_venue(ctx, conn, slug, caller)))


def _window(ctx: Context, state: VenueState) -> BookingWindow:
    today = ctx.clock().astimezone(ZoneInfo(state.venue.timezone)).date()
    last = today + timedelta(days=state.venue.booking_horizon_days)
    return BookingWindow(state.venue, state.largest_party, today, last)


def day_availability(
    ctx: Context,
    slug: str,
    day: date,
    party_size: int,
    zone: str | None = None,
    *,
    moving: Booking | None = None,
) -> list[SlotAvailability]:
    """The day's starts for the party. ``moving`` is a booking of the venue being changed:
    its own tables and covers count as free, since the change gives them up."""

    def work(conn: Connection) -> list[SlotAvailability]:
        state = ctx.venues.scoped(conn, slug)
        check_party(state, party_size)
        check_zone(state, zone)
        return _day(ctx, conn, state, day, party_size, zone, ctx.clock(), moving)

    return ctx.database.run(work)


def alternatives(
    ctx: Context,
    slug: str,
    day: date,
    party_size: int,
    around: time,
    *,
    moving: Booking | None = None,
    same_day: list[SlotAvailability] | None = None,
) -> Alternatives:
    """The free starts nearest ``around`` on ``day``, and the next days (within the booking
    horizon and two weeks) with a free start, each with its nearest ones. ``same_day`` is
    the day's availability when the caller has just read it."""

    def work(conn: Connection) -> Alternatives:
        state = ctx.venues.scoped(conn, slug)
        check_party(state, party_size)
        now = ctx.clock()
        today = now.astimezone(ZoneInfo(state.venue.timezone)).date()
        last = today + timedelta(days=state.venue.booking_horizon_days)
        same = same_day
        if same is None:
            same = _day(ctx, conn, state, day, party_size, None, now, moving)
        others: list[OtherDay] = []
        later = max(day, today - timedelta(days=1))
        for offset in range(1, DAYS_SEARCHED + 1):
            other = later + timedelta(days=offset)
            if other > last or len(others) == OTHER_DAYS:
                break
            slots = nearest_free(
                _day(ctx, conn, state, other, party_size, None, now, moving), around, 3
            )
            if slots:
                others.append(OtherDay(other, tuple(slots)))
        return Alternatives(tuple(nearest_free(same, around, NEAREST_TIMES)), tuple(others))

    return ctx.database.run(work)


def _day(
    ctx: Context,
    conn: Connection,
    state: VenueState,
    day: date,
    party_size: int,
    zone: str | None,
    now: datetime,
    moving: Booking | None,
) -> list[SlotAvailability]:
    check_day(day)
    pooled = pooled_occupancy(
        conn, state, day, now, purge=False, excluding=None if moving is None else moving.id
    )
    starting = None
    if state.venue.max_covers_per_slot is not None:
        starting = allocations.covers_by_start(conn, state.restaurant_id, day, now)
    if (
        moving is not None
        and starting is not None
        and moving.status in (Status.CONFIRMED, Status.SEATED)
    ):
        starting[moving.start_at] = starting.get(moving.start_at, 0) - moving.party_size
    admitting = admission.gate(ctx, conn, state, day)
    return availability(
        state.venue,
        state.floor,
        pooled.fixed,
        day,
        party_size,
        policy=state.policy,
        now=now,
        zone=zone,
        outlook=admitting.outlook,
        limits=admitting.limits,
        covers_by_start=starting,
        placed=pooled.placed,
        everything=pooled.everything,
    )
