"""The waitlist at the host stand: parties join it, wait, and are seated from it as walk-ins
onto free tables, or removed. Staff of the venue only; to anyone else an entry does not
exist (``NotFound``), as a booking does not.

Seating an entry is one transaction: the entry is locked, the walk-in is made on the
venue's day lock as every allocating use case is (``reserve.services.walk_ins``), and the
entry is marked seated with the booking it became. Two hosts seating one party take turns
on the entry's lock; the second is told it was already seated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from reserve.db import waitlist as store
from reserve.db.database import Connection
from reserve.domain.allocator import Occupancy, Request, allocate, free_candidates
from reserve.domain.booking import Booking
from reserve.domain.errors import NotFound, OutsideServiceHours, PartyTooLarge, SelectorTimeout
from reserve.domain.timing import walk_in_time
from reserve.domain.waitlist import WaitlistEntry, WaitlistStatus, new_entry
from reserve.services.authorisation import Caller, require_staff, staff_venue
from reserve.services.context import Context
from reserve.services.seating import Slot, check_party, occupancy
from reserve.services.venue_state import VenueState
from reserve.services.walk_ins import walk_in

# How many ways to seat a party ``tables_for`` offers, the allocator's own first.
TABLE_CHOICES = 5


def add(
    ctx: Context,
    slug: str,
    caller: Caller,
    name: str,
    party_size: int,
    phone: str | None = None,
    quoted_wait_minutes: int | None = None,
    notes: str = "",
) -> WaitlistEntry:
    """Put a party on the list, added now. ``InvalidRequest`` names the fields out of
    bounds; ``PartyTooLarge`` when no table or combination of the venue could ever seat it."""

    def work(conn: Connection) -> WaitlistEntry:
        state = staff_venue(ctx, conn, slug, caller)
        added_at = ctx.clock().astimezone(ZoneInfo(state.venue.timezone))
        entry = new_entry(
            name,
            party_size,
            added_at,
            phone=phone,
            quoted_wait_minutes=quoted_wait_minutes,
            notes=notes,
        )
        check_party(state, entry.party_size)
        store.insert_entry(conn, state.restaurant_id, entry)
        return entry

    return ctx.database.run(work)


def waiting(ctx: Context, slug: str, caller: Caller) -> list[WaitlistEntry]:
    """The parties still waiting, the longest waiting first."""

    def work(conn: Connection) -> list[WaitlistEntry]:
        state = staff_venue(ctx, conn, slug, caller)
        return store.waiting(conn, state.restaurant_id, state.venue.timezone)

    return ctx.database.run(work)


def seat(
    ctx: Context, entry_id: UUID, caller: Caller, tables: Sequence[str] | None = None
) -> Booking:
    """Seat a waiting party now, as a walk-in under its name and phone (at ``tables``, or
    where the allocator chooses), and mark the entry seated with that booking.

    ``InvalidTransition`` when the party was already seated or removed; otherwise whatever
    seating a walk-in answers (``NoAvailability``, ``OutsideServiceHours``...), the entry
    then still waiting."""
    require_staff(caller)

    def work(conn: Connection) -> Booking:
        state, entry = _entry_for(ctx, conn, entry_id, caller)
        entry.check_waiting(WaitlistStatus.SEATED)
        booking = walk_in(
            ctx,
            conn,
            state,
            entry.party_size,
            caller,
            tables=tables,
            name=entry.name,
            phone=entry.phone,
            notes=entry.notes,
        )
        store.mark_seated(conn, state.restaurant_id, entry_id, booking.id, ctx.clock())
        return booking

    return ctx.database.run(work)


def entry_of(ctx: Context, entry_id: UUID, caller: Caller) -> WaitlistEntry:
    """The entry, whatever became of it (staff of its venue only)."""
    require_staff(caller)
    return ctx.database.run(lambda conn: _entry_for(ctx, conn, entry_id, caller, lock=False)[1])


def remove(ctx: Context, entry_id: UUID, caller: Caller) -> None:
    """Take a party off the list (they left, or will not wait); removing it again changes
    nothing. A party already seated is a booking now: ``InvalidTransition``."""
    require_staff(caller)

    def work(conn: Connection) -> None:
        state, entry = _entry_for(ctx, conn, entry_id, caller)
        if entry.status is WaitlistStatus.REMOVED:
            return
        entry.check_waiting(WaitlistStatus.REMOVED)
        store.mark_removed(conn, state.restaurant_id, entry_id, ctx.clock())

    ctx.database.run(work)


def tables_for(
    ctx: Context, slug: str, caller: Caller, party_size: int, *, limit: int = TABLE_CHOICES
) -> list[tuple[str, ...]]:
    """The tables (single or combined) that would seat the party as a walk-in now, as labels:
    the allocator's choice first, then the other free ones, best first; at most ``limit``.
    Empty when nothing is free; ``OutsideServiceHours`` when no walk-in is seated now.

    A read: nothing is locked, so a table may be taken before the party is seated, which
    seating then refuses."""

    def work(conn: Connection) -> list[tuple[str, ...]]:
        state = staff_venue(ctx, conn, slug, caller)
        check_party(state, party_size)
        now = ctx.clock()
        day, window = walk_in_time(state.venue, now, party_size)
        slot = Slot.of(window, day)
        return _ways(state, occupancy(conn, state, day, now), slot, party_size, limit)

    return ctx.database.run(work)


@dataclass(frozen=True, slots=True)
class SeatingNow:
    """How a party would be seated now as a walk-in: the free ways (``tables_for``'s), and
    until when it would stay (its turn time, or closing time when that comes first); or,
    when it cannot be seated now, why not (``closed``, and no ways): no walk-in is seated
    now, or no table of the venue as it now is can seat a party that size (``too_large``:
    it joined the list before tables were taken out of the venue)."""

    party_size: int
    ways: tuple[tuple[str, ...], ...]
    until: datetime | None
    closing: bool  # the turn time was cut at closing time
    closed: str | None
    too_large: bool = False


def seating_now(
    ctx: Context,
    slug: str,
    caller: Caller,
    party_sizes: Iterable[int],
    *,
    limit: int = TABLE_CHOICES,
) -> dict[int, SeatingNow]:
    """``tables_for`` for each party size at once, in one read of the floor: what the host
    stand shows beside every waiting party. A size the venue cannot seat at all is said
    so in its answer, not raised: the other parties are still shown."""

    def work(conn: Connection) -> dict[int, SeatingNow]:
        state = staff_venue(ctx, conn, slug, caller)
        now = ctx.clock()
        taken: dict[date, Occupancy] = {}
        found: dict[int, SeatingNow] = {}
        for size in sorted(set(party_sizes)):
            try:
                check_party(state, size)
            except PartyTooLarge:
                found[size] = SeatingNow(
                    size, (), None, False, f"no table can seat {size} now", too_large=True
                )
                continue
            try:
                day, window = walk_in_time(state.venue, now, size)
            except OutsideServiceHours as closed:
                found[size] = SeatingNow(size, (), None, False, closed.detail)
                continue
            if day not in taken:
                taken[day] = occupancy(conn, state, day, now)
            ways = _ways(state, taken[day], Slot.of(window, day), size, limit)
            cut = window.end_at - window.start_at < timedelta(minutes=window.turn_minutes)
            found[size] = SeatingNow(size, tuple(ways), window.end_at, cut, None)
        return found

    return ctx.database.run(work)


def _ways(
    state: VenueState, taken: Occupancy, slot: Slot, party_size: int, limit: int
) -> list[tuple[str, ...]]:
    """The free ways to seat the party in ``slot``, the allocator's choice first."""
    request = Request(party_size, slot.start_at.timestamp(), slot.occupied_until.timestamp())
    free = [c.labels for c in free_candidates(state.floor, taken, request, state.policy.rule)]
    suggested = _suggestion(state, taken, request)
    if suggested is not None:
        free = [suggested, *(labels for labels in free if labels != suggested)]
    return free[:limit]


def _suggestion(state: VenueState, taken: Occupancy, request: Request) -> tuple[str, ...] | None:
    """The tables the allocator would choose; None when it finds none (or, told to fail
    hard, runs out of time: the free tables are still offered)."""
    try:
        plan = allocate(state.floor, taken, request, state.policy, state.lookahead)
    except SelectorTimeout:
        return None
    return None if plan is None else plan.tables


def _entry_for(
    ctx: Context, conn: Connection, entry_id: UUID, caller: Caller, *, lock: bool = True
) -> tuple[VenueState, WaitlistEntry]:
    """The entry, locked until the transaction ends (unless ``lock`` is off), and its venue,
    the transaction scoped to it, if the caller is its staff; else as if it did not exist."""
    restaurant_id = store.restaurant_of(conn, entry_id)
    if restaurant_id is None or not caller.is_staff_of(restaurant_id):
        raise NotFound("no such waitlist entry")
    state = ctx.venues.of(conn, restaurant_id)
    entry = store.get_entry(conn, restaurant_id, entry_id, state.venue.timezone, lock=lock)
    if entry is None:
        raise NotFound("no such waitlist entry")
    return state, entry
