"""A booking once made: reading it, moving, resizing or amending it (the guest's details,
the notes), cancelling it, and moving it along its lifecycle (seated, completed,
no-show...). Each change is one transaction; on any failure the booking stays as it was."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from uuid import UUID

from reserve import metrics
from reserve.db import allocations
from reserve.db import bookings as store
from reserve.db.database import Connection
from reserve.domain.booking import (
    CHANGEABLE,
    Booking,
    Guest,
    Status,
    check_transition,
    check_transition_time,
)
from reserve.domain.errors import InvalidRequest
from reserve.services.authorisation import Caller, booking_for, require_staff
from reserve.services.context import Context
from reserve.services.seating import (
    Slot,
    check_party,
    find_tables_now,
    lock_days,
    offered,
    seat,
)
from reserve.services.venue_state import VenueState


def get_booking(ctx: Context, booking_id: UUID, caller: Caller) -> Booking:
    return ctx.database.run(lambda conn: booking_for(ctx, conn, booking_id, caller)[1])


def cancel(ctx: Context, booking_id: UUID, caller: Caller) -> Booking:
    """Cancel and free the tables; cancelling again changes nothing."""

    def work(conn: Connection) -> Booking:
        state, booking = booking_for(ctx, conn, booking_id, caller, lock=True)
        if booking.status is not Status.CANCELLED:
            check_transition(booking.status, Status.CANCELLED)
            allocations.free_booking_tables(conn, state.restaurant_id, booking_id)
            record_transition(ctx, conn, state, booking, Status.CANCELLED, caller)
            metrics.BOOKINGS.labels("cancelled").inc()
        return reread(conn, state, booking_id)

    return ctx.database.run(work)


@dataclass(frozen=True, slots=True)
class Change:
    """What a change asks for; None leaves a field as it is (``phone_removed`` clears the
    phone). A new party size, date or time seats the booking anew."""

    party_size: int | None = None
    day: date | None = None
    local_time: time | None = None
    notes: str | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    phone_removed: bool = False

    @property
    def moves(self) -> bool:
        return (self.party_size, self.day, self.local_time) != (None, None, None)


def modify(ctx: Context, booking_id: UUID, caller: Caller, change: Change) -> Booking:
    """Move, resize or amend a booking in one transaction; on any failure the original
    stands."""

    def work(conn: Connection) -> Booking:
        state, booking = booking_for(ctx, conn, booking_id, caller, lock=True)
        if booking.status not in CHANGEABLE:
            raise InvalidRequest(f"a {booking.status} booking can no longer be changed")
        if change.moves:
            _move(
                ctx,
                conn,
                state,
                booking,
                change,
                public=not caller.is_staff_of(state.restaurant_id),
            )
        guest = Guest(
            booking.guest.name if change.name is None else change.name,
            booking.guest.email if change.email is None else change.email,
            None if change.phone_removed else change.phone or booking.guest.phone,
        )
        notes = booking.notes if change.notes is None else change.notes
        if (guest, notes) != (booking.guest, booking.notes):
            store.set_details(conn, state.restaurant_id, booking_id, ctx.clock(), guest, notes)
        return reread(conn, state, booking_id)

    return ctx.database.run(work)


def _move(
    ctx: Context,
    conn: Connection,
    state: VenueState,
    booking: Booking,
    change: Change,
    *,
    public: bool,
) -> None:
    """Seat the booking anew at its new size, date or time (or refuse, changing nothing);
    the allocator chooses its tables, which are then no longer pinned."""
    size = booking.party_size if change.party_size is None else change.party_size
    new_day = booking.day if change.day is None else change.day
    at = booking.local_time if change.local_time is None else change.local_time
    check_party(state, size)
    offer = offered(ctx, state, new_day, at, size, public=public)
    if public and size > state.venue.max_online_party_size:
        raise InvalidRequest(
            f"parties above {state.venue.max_online_party_size} are booked by the "
            "restaurant; please call"
        )
    if booking.status is Status.CONFIRMED:
        if new_day != booking.day:
            # Both days, in date order, so two moves between them cannot deadlock.
            lock_days(ctx, conn, state, booking.day, new_day)
        allocations.free_booking_tables(conn, state.restaurant_id, booking.id)
        slot = Slot.of(offer, new_day)
        plan = find_tables_now(ctx, conn, state, slot, size, booking.zone)
        seat(conn, state, plan.tables, slot, booking.id)
    store.reschedule(
        conn,
        state.restaurant_id,
        booking.id,
        ctx.clock(),
        party_size=size,
        service_date=new_day,
        local_time=at,
        start_at=offer.start_at,
        end_at=offer.end_at,
    )


def set_status(ctx: Context, booking_id: UUID, wanted: Status, caller: Caller) -> Booking:
    """Move a booking along its lifecycle (staff only); freeing or taking tables as the
    new status needs."""
    require_staff(caller)

    def work(conn: Connection) -> Booking:
        state, booking = booking_for(ctx, conn, booking_id, caller, lock=True, staff=True)
        check_transition(booking.status, wanted)
        check_transition_time(booking, wanted, ctx.clock(), state.venue)
        rid = state.restaurant_id
        if wanted in (Status.CANCELLED, Status.NO_SHOW):
            allocations.free_booking_tables(conn, rid, booking_id)
        elif wanted is Status.COMPLETED:
            allocations.end_booking_allocations(conn, rid, booking_id, ctx.clock())
        elif wanted is Status.CONFIRMED:
            # Approving a pending booking, or undoing a no-show: it needs tables again,
            # for the window it was booked for.
            slot = kept_slot(state, booking)
            plan = find_tables_now(ctx, conn, state, slot, booking.party_size, booking.zone)
            seat(conn, state, plan.tables, slot, booking_id)
            if booking.tables_pinned:  # the allocator chose these
                store.set_pinned(conn, rid, booking_id, False, ctx.clock())
        record_transition(ctx, conn, state, booking, wanted, caller)
        return reread(conn, state, booking_id)

    return ctx.database.run(work)


def kept_slot(state: VenueState, booking: Booking) -> Slot:
    """The window the booking was made for."""
    return Slot.kept(state, booking.day, booking.local_time, booking.start_at, booking.end_at)


def reread(conn: Connection, state: VenueState, booking_id: UUID) -> Booking:
    """The booking as the transaction has left it."""
    stored = store.get_booking(conn, state.restaurant_id, booking_id, state.venue)
    assert stored is not None
    return stored.booking


def record_transition(
    ctx: Context,
    conn: Connection,
    state: VenueState,
    booking: Booking,
    wanted: Status,
    caller: Caller,
) -> None:
    """Set the booking's new status and add the step to its history."""
    now = ctx.clock()
    store.set_status(conn, state.restaurant_id, booking.id, wanted, now)
    store.record_status(
        conn, state.restaurant_id, booking.id, booking.status, wanted, caller.actor, now
    )
