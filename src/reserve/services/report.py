"""The day's report: what a venue's table mix and its policy cost it on one service date.

Its figures, all of the service date asked for:

- requests: every booking request recorded for the day (``demand_requests``), by what the
  venue answered, as a count and as covers;
- seated: bookings (walk-ins aside) that are confirmed, seated or completed; no-shows
  apart;
- turned away: the covers of the requests refused as ``full`` (no table free), ``paced``
  (the slot's covers were taken), ``declined`` (kept for parties expected to be worth more)
  and ``not_offered`` (a time or party the venue does not take);
- seat waste: for the bookings that sit at tables, the seats of their tables beyond their
  party, summed, and as a share of those tables' seats;
- tables moved: how often the day's bookings were moved to other tables, by the allocator
  (pooling, to let a new party in) and by staff;
- walk-ins: parties seated without a booking;
- the offline optimum: the most covers any allocator could have seated for the same
  requests, knowing all of them in advance (``reserve.planning.optimum``), and the share
  of it the venue booked.

The optimum's requests are the day's demand records except those answered ``not_offered``
(nobody could seat them), each at the window the venue gives that party at that time
(``offered_time``, from the start to the end of the buffer), in the zone the guest chose when
the request made a booking. The tables walk-ins and blocks took stand as they were. It is an
upper bound on what the venue could have done, and where the records cannot tell, it errs
towards more:

- a guest who was turned away and asked again for another time appears twice, as two
  requests, so the optimum can only overstate what was possible: it may seat both;
- a request whose booking was later cancelled, or whose hold was let go, counts as if its
  party still wanted the table;
- a refused request records no zone, so the optimum may seat it in any zone.

Only a request at a time the venue no longer offers (its hours changed since) is left out.

The venue's share compares the covers it booked (seated and no-shows: a no-show's table was
kept for it) with the optimum's. HiGHS has a time limit: when it cannot prove its seating
optimal, the true optimum lies between its covers and its bound, and so the true share
between ``share_of_bound`` and ``share``.

The records are read in one short transaction; the solver runs after it, holding no
connection. A date with no records is a report of zeros, with no solver run.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from reserve.db import report as store
from reserve.db.database import Connection, Transactions
from reserve.domain.booking import Source, Status
from reserve.domain.errors import Busy, InvalidRequest, OutsideServiceHours
from reserve.domain.floor import Floor, Rule
from reserve.domain.timing import offered_time
from reserve.planning import optimum
from reserve.services.authorisation import Caller, staff_venue
from reserve.services.context import Context
from reserve.services.seating import FIRST_DAY, LAST_DAY
from reserve.services.venue_state import VenueState, VenueStates

TIME_LIMIT_SECONDS = 10.0
MAX_TIME_LIMIT_SECONDS = 3600.0

OUTCOMES = ("confirmed", "pending", "held", "full", "paced", "declined", "not_offered")
TURNED_AWAY = ("full", "paced", "declined", "not_offered")
SEATED = (Status.CONFIRMED, Status.SEATED, Status.COMPLETED)
# How the history names staff and admin keys (``Caller.actor``); every other mover is the
# product's own allocator.
STAFF_ACTORS = ("staff:", "admin:")
NO_REQUESTS = "no requests"

# Staff reports solved at once in this process: each may take a core for its time limit,
# and the thread of a request while it does.
SOLVING = threading.BoundedSemaphore(1)


@dataclass(frozen=True, slots=True)
class Tally:
    count: int = 0
    covers: int = 0

    def add(self, party_size: int) -> Tally:
        return Tally(self.count + 1, self.covers + party_size)


@dataclass(frozen=True, slots=True)
class SeatWaste:
    """Over the bookings that sit at tables: their tables' seats, their parties, and the
    seats beyond each party (none for a party above its tables' capacity), summed."""

    bookings: int = 0
    seats: int = 0
    covers: int = 0
    wasted: int = 0

    @property
    def share(self) -> float | None:
        """The wasted seats as a share of the seats used; None when no table was used."""
        return self.wasted / self.seats if self.seats else None


@dataclass(frozen=True, slots=True)
class TablesMoved:
    allocator: int = 0
    staff: int = 0

    @property
    def total(self) -> int:
        return self.allocator + self.staff


@dataclass(frozen=True, slots=True)
class OptimumFigures:
    """The offline optimum of the day's requests, and the venue against it."""

    requests: int  # given to the solver
    covers_asked: int  # their covers
    covers: int  # the best seating found
    bound: int  # no seating of those requests seats more
    proven: bool  # covers == the true optimum
    status: str  # HiGHS's, or "no requests"
    seconds: float
    time_limit: float
    venue_covers: int  # the covers the venue booked: seated and no-shows

    @property
    def share(self) -> float | None:
        """The venue's covers as a share of the optimum found; None when that is zero."""
        return self.venue_covers / self.covers if self.covers else None

    @property
    def share_of_bound(self) -> float | None:
        """The venue's covers as a share of the bound: at most the true share."""
        return self.venue_covers / self.bound if self.bound else None


@dataclass(frozen=True, slots=True)
class DayReport:
    restaurant: str
    day: date
    requests: Mapping[str, Tally]  # by outcome, every outcome
    seated: Tally
    no_shows: Tally
    walk_ins: Tally
    seat_waste: SeatWaste
    tables_moved: TablesMoved
    optimum: OptimumFigures

    @property
    def requests_total(self) -> Tally:
        return _sum(self.requests.values())

    @property
    def turned_away(self) -> dict[str, Tally]:
        return {outcome: self.requests[outcome] for outcome in TURNED_AWAY}

    @property
    def turned_away_total(self) -> Tally:
        return _sum(self.turned_away.values())


@dataclass(frozen=True, slots=True)
class _DayRead:
    """What one transaction read of the day, and the optimum's model built from it."""

    slug: str
    day: date
    floor: Floor
    rule: Rule
    records: list[store.DemandRecord]
    bookings: list[store.BookedParty]
    moves: dict[str, int]
    requests: list[optimum.Request] = field(default_factory=list)
    fixed: list[optimum.Taken] = field(default_factory=list)
    start: dict[int, tuple[str, ...]] = field(default_factory=dict)


def day_report(
    ctx: Context,
    slug: str,
    day: date,
    caller: Caller,
    *,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> DayReport:
    """The day's report of the venue named ``slug``, for its staff. One report's optimum is
    solved at a time in a process; another asked meanwhile is ``Busy``."""
    _check(day, time_limit)
    read = ctx.database.run(lambda conn: _read(conn, staff_venue(ctx, conn, slug, caller), day))
    if not read.requests:
        return _report(read, time_limit)
    if not SOLVING.acquire(blocking=False):
        raise Busy("another day's report is being worked out; try again shortly")
    try:
        return _report(read, time_limit)
    finally:
        SOLVING.release()


def operator_day_report(
    database: Transactions, slug: str, day: date, *, time_limit: float = TIME_LIMIT_SECONDS
) -> DayReport:
    """The day's report of the venue named ``slug``, for an operator (the command line)."""
    _check(day, time_limit)
    venues = VenueStates()
    read = database.run(lambda conn: _read(conn, venues.scoped(conn, slug), day))
    return _report(read, time_limit)


def _check(day: date, time_limit: float) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidRequest(
            f"{day.isoformat()} is outside the dates reserve keeps "
            f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})",
            fields=("date",),
        )
    if not (math.isfinite(time_limit) and 0 < time_limit <= MAX_TIME_LIMIT_SECONDS):
        raise InvalidRequest(
            f"the time limit must be more than 0 and at most {MAX_TIME_LIMIT_SECONDS:g} "
            f"seconds, not {time_limit:g}",
            fields=("time_limit",),
        )


def _read(conn: Connection, state: VenueState, day: date) -> _DayRead:
    rid = state.restaurant_id
    read = _DayRead(
        slug=state.venue.slug,
        day=day,
        floor=state.floor,
        rule=state.policy.rule,
        records=store.demand_of_day(conn, rid, day),
        bookings=store.bookings_of_day(conn, rid, day),
        moves=store.moves_of_day(conn, rid, day),
    )
    requests = _requests(state, day, read.records)
    if not requests:
        return read
    first = min(request.start for request in requests)
    last = max(request.end for request in requests)
    fixed = [
        optimum.Taken(taken.label, taken.starts.timestamp(), taken.ends.timestamp())
        for taken in store.walk_ins_and_blocks(
            conn, rid, datetime.fromtimestamp(first, UTC), datetime.fromtimestamp(last, UTC)
        )
    ]
    return replace(read, requests=requests, fixed=fixed, start=_seated(read, requests))


def _requests(
    state: VenueState, day: date, records: Sequence[store.DemandRecord]
) -> list[optimum.Request]:
    """The optimum's requests: every record but those not offered (and a walk-in's, whose
    tables are fixed), each at the window the venue gives it, indexed by its place in
    ``records``."""
    requests = []
    for index, record in enumerate(records):
        if record.outcome == "not_offered" or record.source == Source.WALK_IN:
            continue
        try:
            offer = offered_time(state.venue, day, record.local_time, record.party_size)
        except OutsideServiceHours:
            continue
        requests.append(
            optimum.Request(
                index,
                record.party_size,
                offer.start_at.timestamp(),
                offer.occupied_until.timestamp(),
                record.zone,
            )
        )
    return requests


def _seated(read: _DayRead, requests: Sequence[optimum.Request]) -> dict[int, tuple[str, ...]]:
    """Where the venue seated the requests that made bookings: the solver's start."""
    tables = {booking.id: booking.tables for booking in read.bookings if booking.tables}
    seated = {}
    for request in requests:
        booking_id = read.records[request.index].booking_id
        if booking_id in tables:
            seated[request.index] = tables[booking_id]
    return seated


def _report(read: _DayRead, time_limit: float) -> DayReport:
    seated, no_shows, walk_ins = _parties(read.bookings)
    return DayReport(
        restaurant=read.slug,
        day=read.day,
        requests=_by_outcome(read.records),
        seated=seated,
        no_shows=no_shows,
        walk_ins=walk_ins,
        seat_waste=_seat_waste(read.bookings),
        tables_moved=_moved(read.moves),
        optimum=_optimum(read, time_limit, seated.covers + no_shows.covers),
    )


def _by_outcome(records: Sequence[store.DemandRecord]) -> dict[str, Tally]:
    tallies = dict.fromkeys(OUTCOMES, Tally())
    for record in records:
        tallies[record.outcome] = tallies.get(record.outcome, Tally()).add(record.party_size)
    return tallies


def _parties(bookings: Sequence[store.BookedParty]) -> tuple[Tally, Tally, Tally]:
    """The bookings seated, the no-shows and the walk-ins."""
    seated, no_shows, walk_ins = Tally(), Tally(), Tally()
    for booking in bookings:
        if booking.source == Source.WALK_IN:
            if booking.status in SEATED:
                walk_ins = walk_ins.add(booking.party_size)
        elif booking.status in SEATED:
            seated = seated.add(booking.party_size)
        elif booking.status == Status.NO_SHOW:
            no_shows = no_shows.add(booking.party_size)
    return seated, no_shows, walk_ins


def _seat_waste(bookings: Sequence[store.BookedParty]) -> SeatWaste:
    at_tables = [booking for booking in bookings if booking.tables]
    return SeatWaste(
        bookings=len(at_tables),
        seats=sum(booking.seats for booking in at_tables),
        covers=sum(booking.party_size for booking in at_tables),
        wasted=sum(max(0, booking.seats - booking.party_size) for booking in at_tables),
    )


def _moved(moves: Mapping[str, int]) -> TablesMoved:
    staff = sum(count for actor, count in moves.items() if actor.startswith(STAFF_ACTORS))
    return TablesMoved(allocator=sum(moves.values()) - staff, staff=staff)


def _optimum(read: _DayRead, time_limit: float, venue_covers: int) -> OptimumFigures:
    asked = sum(request.covers for request in read.requests)
    if not read.requests:
        return OptimumFigures(0, 0, 0, 0, True, NO_REQUESTS, 0.0, time_limit, venue_covers)
    solved = optimum.solve(
        read.floor,
        read.rule,
        read.requests,
        time_limit=time_limit,
        fixed=read.fixed,
        start=read.start,
    )
    return OptimumFigures(
        requests=len(read.requests),
        covers_asked=asked,
        covers=solved.covers,
        bound=solved.bound,
        proven=solved.proven,
        status=solved.status,
        seconds=solved.seconds,
        time_limit=time_limit,
        venue_covers=venue_covers,
    )


def _sum(tallies: Iterable[Tally]) -> Tally:
    return Tally(sum(t.count for t in tallies), sum(t.covers for t in tallies))
