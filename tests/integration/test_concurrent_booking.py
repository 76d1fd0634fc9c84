"""Bookings racing for one slot: real threads, real PostgreSQL (DESIGN section 3).

A storm is many ``book`` calls for the same White Horse slot, released
together by a barrier from threads of their own, ``POOL`` of them in a transaction at once.
With the per-day lock and the exclusion constraint, exactly as many succeed as the floor
can seat, every other answer is no-availability, and no table is ever allocated twice.

The negative control (STYLE habit 4) shows that this is the lock's and the constraint's
doing, not luck: switch both off (a day lock that locks nothing, the constraint dropped)
and the same storm double-books tables. To make that race reliable rather than a matter
of scheduling, ``slow_reading`` sleeps for a moment after reading the day's occupancy,
widening the window between "this table is free" and the insert that takes it, as a busy
database or a slow network would. The same widened window is used with only one of the
two protections on, to show that each holds by itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from time import sleep
from typing import Any
from uuid import UUID, uuid4

import pytest
from prometheus_client import REGISTRY

from reserve.api.problems import problem_of
from reserve.db import allocations, flags
from reserve.db.database import Connection, Database, connect
from reserve.db.venues import save_venue
from reserve.domain.access import Principal, Role
from reserve.domain.booking import Guest, Status
from reserve.domain.errors import IdempotencyKeyInUse, NoAvailability
from reserve.services.authorisation import Caller
from reserve.services.availability import day_availability
from reserve.services.booking import Booked, BookingRequest, book
from reserve.services.context import Context
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

SLUG = "white-horse"
MONDAY = date(2026, 12, 7)
SEVEN_PM = time(19, 0)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SECRET = "test-secret"
STORM = 60  # requests per storm: well above the 21 to 29 single tables a party of 2-4 fits
POOL = 20  # connections: this many transactions are in flight at once
READ_TO_WRITE_DELAY = 0.02  # seconds slow_reading waits after reading occupancy


def fixed_clock() -> datetime:
    return NOW


def no_day_lock(conn: Connection, restaurant_id: UUID, days: Sequence[date]) -> None:
    """The negative control's day lock: it locks nothing."""


@contextmanager
def slow_reading() -> Iterator[None]:
    """Inside the block, reading the day's occupancy pauses before the booking decides and
    writes.

    Without the pause the unprotected race still happens, but only when the scheduler
    happens to interleave two transactions between their read and their insert; 20 ms is
    ample for every transaction in flight to read the same floor before any of them writes.
    """
    read = allocations.purge_and_read

    def slowly(*args: Any, **kwargs: Any) -> tuple[int, list[allocations.Taken]]:
        taken = read(*args, **kwargs)
        sleep(READ_TO_WRITE_DELAY)
        return taken

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(allocations, "purge_and_read", slowly)
        yield


@dataclass(frozen=True)
class Storm:
    booked: list[Booked]
    refused: list[NoAvailability]

    def tables(self) -> list[tuple[str, ...]]:
        return sorted(booked.booking.tables for booked in self.booked)


def request(party_size: int, number: int) -> BookingRequest:
    return BookingRequest(
        party_size=party_size,
        day=MONDAY,
        local_time=SEVEN_PM,
        guest=Guest(f"Guest {number}", f"guest{number}@example.com"),
    )


def staff_of(restaurant_id: UUID) -> Caller:
    return Caller(principal=Principal(uuid4(), Role.STAFF, restaurant_id))


def load_white_horse(admin: Connection, slug: str = SLUG) -> UUID:
    """The White Horse under ``slug``, its table search given a minute: these tests are
    about the race, and on a loaded machine a thread may wait for the GIL past the usual
    200 ms and leave its party pending."""
    restaurant_id = save_venue(admin, replace(read_venue_file(DEMO_VENUE), slug=slug)).restaurant_id
    flags.put_override(admin, restaurant_id, "allocator.selector_timeout_ms", 60_000)
    return restaurant_id


@contextmanager
def booking_context(url: str, *, serialise: bool = True, slow: bool = False) -> Iterator[Context]:
    """The use cases' context over a pool of ``POOL``; not ``serialise``, the day lock locks
    nothing; ``slow``, every occupancy read pauses before the decision."""
    database = Database(url, min_size=POOL, max_size=POOL, timeout=10.0)
    database.open(wait=True)  # every connection made before the storm starts
    context = Context(database, VenueStates(), SECRET, clock=fixed_clock)
    if not serialise:
        context = replace(context, day_lock=no_day_lock)
    try:
        with slow_reading() if slow else nullcontext():
            yield context
    finally:
        database.close()


def storm(calls: list[Callable[[], Booked]]) -> Storm:
    """Run ``calls`` at once, one thread each; any answer but a booking or no-availability
    (an error of any other kind) fails the test."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Booked]) -> Booked | NoAvailability:
        start.wait()
        try:
            return call()
        except NoAvailability as refused:
            return refused

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        answers = [future.result() for future in [pool.submit(run, call) for call in calls]]
    booked = [answer for answer in answers if isinstance(answer, Booked)]
    refused = [answer for answer in answers if isinstance(answer, NoAvailability)]
    return Storm(booked, refused)


def booking_storm(
    context: Context,
    parties: list[int],
    caller: Caller | None = None,
    slug: str = SLUG,
) -> Storm:
    caller = caller or Caller()  # a guest

    def booking(number: int, party_size: int) -> Callable[[], Booked]:
        return lambda: book(context, slug, request(party_size, number), str(uuid4()), caller)

    return storm([booking(number, size) for number, size in enumerate(parties)])


def book_serially(context: Context, parties: list[int], slug: str) -> list[Booked]:
    """The same requests one after another: what the floor can seat, decided without a race."""
    booked = []
    for number, size in enumerate(parties):
        try:
            booked.append(book(context, slug, request(size, number), str(uuid4()), Caller()))
        except NoAvailability:
            continue
    return booked


def overlaps(admin: Connection) -> list[dict[str, Any]]:
    """Every two allocations of one table whose windows overlap (the invariant's breaches)."""
    return admin.execute(
        """
        SELECT t.label, a.occupied AS first, b.occupied AS second
          FROM allocations a
          JOIN allocations b ON b.restaurant_id = a.restaurant_id AND b.table_id = a.table_id
                            AND a.id < b.id AND a.occupied && b.occupied
          JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
         ORDER BY t.label
        """
    ).fetchall()


def confirmed_bookings(admin: Connection, restaurant_id: UUID) -> int:
    row = admin.execute(
        "SELECT count(*) AS n FROM bookings WHERE restaurant_id = %s AND status = 'confirmed'",
        (restaurant_id,),
    ).fetchone()
    assert row is not None
    return int(row["n"])


def exclusion_conflicts() -> float:
    value = REGISTRY.get_sample_value("reserve_exclusion_violations_total")
    return value or 0.0


@pytest.fixture
def scratch(fresh_database_url: str) -> Iterator[Connection]:
    """An owner's connection to a database of the test's own, whose schema it may change."""
    with connect(fresh_database_url, autocommit=True) as conn:
        yield conn


def drop_the_constraint(admin: Connection) -> None:
    admin.execute("ALTER TABLE allocations DROP CONSTRAINT allocations_no_overlap")


# --- with both protections, as in production ------------------------------------------------


@pytest.mark.parametrize("party_size", [2, 3, 4])
def test_a_storm_books_exactly_what_the_floor_can_seat(
    admin: Connection, database_url: str, party_size: int
) -> None:
    restaurant_id = load_white_horse(admin)
    load_white_horse(admin, "serial-copy")
    parties = [party_size] * STORM

    with booking_context(database_url) as context:
        raced = booking_storm(context, parties)
        serial = book_serially(context, parties, "serial-copy")

    assert 0 < len(serial) < STORM  # the storm is larger than the floor
    assert len(raced.booked) == len(serial)
    assert len(raced.refused) == STORM - len(serial)
    # The allocator is deterministic, so the race seats the parties exactly where one-by-one
    # booking does: no table lost to the race, none shared.
    assert raced.tables() == sorted(booked.booking.tables for booked in serial)
    assert all(booked.booking.status is Status.CONFIRMED for booked in raced.booked)
    assert all(problem_of(error) == ("no-availability", 409) for error in raced.refused)
    assert confirmed_bookings(admin, restaurant_id) == len(serial)
    assert overlaps(admin) == []


def test_a_mixed_storm_of_staff_bookings_fills_the_floor_without_overlaps(
    admin: Connection, database_url: str
) -> None:
    restaurant_id = load_white_horse(admin)
    parties = [2, 3, 4] * (STORM // 3)

    with booking_context(database_url) as context:
        raced = booking_storm(context, parties, staff_of(restaurant_id))
        # Every refusal was right: afterwards no party of 2, 3 or 4 can be seated at 19:00.
        for size in (2, 3, 4):
            slots = day_availability(context, SLUG, MONDAY, size)
            at_seven = [slot for slot in slots if slot.offered.local_time == SEVEN_PM]
            assert [slot.available for slot in at_seven] == [False]
            with pytest.raises(NoAvailability):
                book(context, SLUG, request(size, 999), str(uuid4()), Caller())

    assert len(raced.booked) + len(raced.refused) == STORM
    assert raced.refused  # the floor ran out
    seated = sum(booked.booking.party_size for booked in raced.booked)
    assert seated > 0
    assert confirmed_bookings(admin, restaurant_id) == len(raced.booked)
    assert overlaps(admin) == []


# --- the negative control, and each protection alone ----------------------------------------


def test_without_the_lock_or_the_constraint_a_storm_double_books_tables(
    scratch: Connection, fresh_database_url: str
) -> None:
    load_white_horse(scratch)
    drop_the_constraint(scratch)

    with booking_context(fresh_database_url, serialise=False, slow=True) as context:
        raced = booking_storm(context, [2] * STORM)

    breaches = overlaps(scratch)
    print(f"negative control: {len(raced.booked)} booked, {len(breaches)} overlapping pairs")
    assert breaches, "the race did not happen: the negative control proves nothing"


def test_the_lock_alone_prevents_double_booking(
    scratch: Connection, fresh_database_url: str
) -> None:
    load_white_horse(scratch)
    load_white_horse(scratch, "serial-copy")
    drop_the_constraint(scratch)

    with booking_context(fresh_database_url, slow=True) as context:
        raced = booking_storm(context, [2] * STORM)
        serial = book_serially(context, [2] * STORM, "serial-copy")

    assert overlaps(scratch) == []
    assert len(raced.booked) == len(serial)
    assert raced.tables() == sorted(booked.booking.tables for booked in serial)


def test_the_constraint_alone_prevents_double_booking(admin: Connection, database_url: str) -> None:
    load_white_horse(admin)
    caught_before = exclusion_conflicts()

    with booking_context(database_url, serialise=False, slow=True) as context:
        raced = booking_storm(context, [2] * STORM)

    assert overlaps(admin) == []
    assert raced.booked
    # Racing transactions chose the same tables; the constraint refused all but the first,
    # and those refusals were answered as no-availability (``storm`` allows nothing else).
    assert exclusion_conflicts() > caught_before
    assert raced.refused


# --- one idempotency key, sent twenty times at once -----------------------------------------


def test_concurrent_retries_of_one_request_book_once(admin: Connection, database_url: str) -> None:
    restaurant_id = load_white_horse(admin)
    key = str(uuid4())
    same = request(4, 1)
    start = threading.Barrier(20)

    def send(context: Context) -> Booked | IdempotencyKeyInUse:
        start.wait()
        try:
            return book(context, SLUG, same, key, Caller())
        except IdempotencyKeyInUse as busy:
            return busy

    with booking_context(database_url) as context, ThreadPoolExecutor(max_workers=20) as pool:
        answers = [f.result() for f in [pool.submit(send, context) for _ in range(20)]]

    outcomes = [answer for answer in answers if isinstance(answer, Booked)]
    originals = [outcome for outcome in outcomes if not outcome.replayed]
    replays = [outcome for outcome in outcomes if outcome.replayed]
    in_use = [answer for answer in answers if isinstance(answer, IdempotencyKeyInUse)]
    assert len(originals) == 1
    assert originals[0].booking.status is Status.CONFIRMED
    assert len(replays) + len(in_use) == 19
    for replay in replays:
        assert (replay.booking, replay.manage_token) == (
            originals[0].booking,
            originals[0].manage_token,
        )
    assert confirmed_bookings(admin, restaurant_id) == 1
    assert overlaps(admin) == []
