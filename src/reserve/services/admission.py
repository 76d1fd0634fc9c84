"""Admission: which parties a venue still accepts while tables are free, by its policy's
``admission`` (``reserve.domain.allocator.admits``).

With ``limits``, the booking limits of a venue-day (``reserve.planning.limits``) come from
``Context.limits``: a request reads the last solve, and the solve itself runs in the
limits' own thread (``reserve.services.day_limits``) from a fresh read of the day: the
demand still expected (``reserve.services.demand``), what cannot move, and the bookings
whose tables may. With ``protection``, the outlook is read in the request's transaction.
Without history both are None, and nothing is declined while a table is free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reserve import metrics
from reserve.db import allocations
from reserve.db.database import Connection
from reserve.domain.allocator import Admission, Occupancy, Outlook
from reserve.domain.pooling import Placed
from reserve.domain.timing import day_span
from reserve.planning.limits import BookingLimits, LimitsModel
from reserve.services import demand
from reserve.services.context import Context
from reserve.services.day_limits import Solved, Solver
from reserve.services.venue_state import VenueState


@dataclass(frozen=True, slots=True)
class Gate:
    """What admission reads for one request: the outlook (``protection``) or the limits
    (``limits``); both None when the policy admits everything or there is no history."""

    outlook: Outlook | None = None
    limits: BookingLimits | None = None


def gate(ctx: Context, conn: Connection, state: VenueState, day: date) -> Gate:
    """Admission's inputs for a request on ``day``, in the request's transaction."""
    admission = state.policy.admission
    if admission is Admission.PROTECTION:
        return Gate(outlook=demand.remaining_outlook(ctx, conn, state, day))
    if admission is Admission.LIMITS:
        return Gate(limits=current_limits(ctx, state, day))
    return Gate()


def current_limits(ctx: Context, state: VenueState, day: date) -> BookingLimits | None:
    """The venue-day's limits as last solved (a new solve is asked for when due)."""
    return ctx.limits.current((state.restaurant_id, day), _solver(ctx, state, day))


def solve_limits_now(ctx: Context, state: VenueState, day: date) -> BookingLimits | None:
    """Solve the venue-day's limits in this thread, and keep them."""
    return ctx.limits.solve_now((state.restaurant_id, day), _solver(ctx, state, day))


def movable_after(state: VenueState, now: datetime) -> datetime:
    """Bookings starting at or before this keep their tables (``pooling_freeze_minutes``)."""
    return now + timedelta(minutes=state.policy.pooling_freeze_minutes)


@dataclass(frozen=True, slots=True)
class _Day:
    state: VenueState
    fixed: list[tuple[str, float, float]]
    placed: list[Placed]
    outlook: Outlook | None


def _solver(ctx: Context, state: VenueState, day: date) -> Solver:
    restaurant_id = state.restaurant_id

    def read(conn: Connection) -> _Day:
        current = ctx.venues.of(conn, restaurant_id)
        if current.policy.admission is not Admission.LIMITS:
            return _Day(current, [], [], None)
        outlook = demand.remaining_outlook(ctx, conn, current, day)
        if outlook is None:
            return _Day(current, [], [], None)
        now = ctx.clock()
        start, end = day_span(current.venue, day)
        _, taken, movable = allocations.pooled_day(
            conn,
            restaurant_id,
            start,
            end,
            now,
            movable_after(current, now),
            service_date=day,
            purge=False,  # a read: expired holds are left out, not deleted
        )
        if not current.policy.pooling:  # booked tables stay where they are
            return _Day(current, taken + movable.windows, [], outlook)
        return _Day(current, taken, list(movable), outlook)

    def solve(previous: Solved | None) -> Solved:
        read_at = ctx.limits.monotonic()
        known, learned = demand.known_forecast(ctx, state, day)
        if known and learned is None:  # no history: nothing to read, nothing a booking changes
            return Solved(None, None, None, read_at, follows_bookings=False)
        seen = ctx.database.run(read)
        if seen.outlook is None:
            return Solved(None, None, None, read_at, follows_bookings=False)
        if not seen.outlook.expected:
            return Solved(None, None, None, read_at)
        current = seen.state
        basis = (current.version, tuple(sorted(seen.fixed)))
        model = None
        if previous is not None and previous.basis == basis:
            model = previous.model
        expected = seen.outlook.expected
        if model is None or not model.covers(seen.placed, expected):
            fixed = Occupancy(current.floor, seen.fixed)
            instants = [p.start for p in seen.placed] + [e.start for e in expected]
            model = LimitsModel(current.floor, current.policy.rule, fixed, instants)
        limits = model.solve(seen.placed, expected)
        metrics.LIMITS_SOLVE_SECONDS.observe(limits.seconds)
        return Solved(limits, model, basis, read_at)

    return solve
