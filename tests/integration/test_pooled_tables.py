"""Pooled tables in the database: the day read that tells what may move from what stays,
moving several bookings' tables at once, and the record of each move."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from psycopg import errors

from reserve.db import allocations
from reserve.db import bookings as store
from reserve.db.database import Connection, Database, scope_to_restaurant
from reserve.db.venues import save_venue
from reserve.domain.booking import ALLOCATOR_ACTOR, Status, TableMove, Transition
from reserve.domain.errors import NoAvailability
from reserve.domain.pooling import Placed
from reserve.services.venues import DEMO_VENUE, read_venue_file

MONDAY = date(2026, 12, 7)
TUESDAY = date(2026, 12, 8)
# London keeps GMT in December: the venue's midnight is UTC's.
MIDNIGHT = datetime(2026, 12, 7, tzinfo=UTC)
DAY_END = MIDNIGHT + timedelta(hours=36)
NOW = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
MOVABLE_AFTER = NOW + timedelta(minutes=60)
BUFFER = timedelta(minutes=5)  # the White Horse's clearing time


def at(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


class Floor:
    """The White Horse's rows written as its owner, for the reads to find as requests do."""

    def __init__(self, admin: Connection) -> None:
        self.admin = admin
        saved = save_venue(admin, read_venue_file(DEMO_VENUE))
        self.restaurant_id = saved.restaurant_id
        rows = admin.execute(
            "SELECT label, id FROM tables WHERE restaurant_id = %s", (self.restaurant_id,)
        ).fetchall()
        self.tables = {row["label"]: row["id"] for row in rows}
        zone = admin.execute(
            "SELECT id FROM zones WHERE restaurant_id = %s AND key = 'main-dining'",
            (self.restaurant_id,),
        ).fetchone()
        assert zone is not None
        self.main_dining = zone["id"]

    def booking(
        self,
        status: Status,
        start: datetime,
        tables: Sequence[str],
        *,
        party: int = 2,
        pinned: bool = False,
        zoned: bool = False,
        day: date = MONDAY,
        occupied_until: datetime | None = None,
    ) -> UUID:
        """A booking of an hour from ``start``, its tables taken to the end and the buffer
        (or to ``occupied_until``)."""
        booking_id = uuid4()
        end = start + timedelta(hours=1)
        self.admin.execute(
            """
            INSERT INTO bookings (restaurant_id, id, reference, status, party_size,
                pending_reason, service_date, local_time, start_at, end_at, zone_id, guest_name,
                source, manage_token_hash, tables_pinned)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'Ada', 'web', '\\x00', %s)
            """,
            (
                self.restaurant_id,
                booking_id,
                secrets.token_hex(4).upper(),
                status,
                party,
                "allocation" if status is Status.PENDING else None,
                day,
                start.time(),
                start,
                end,
                self.main_dining if zoned else None,
                pinned,
            ),
        )
        self._allocate("booking_id", booking_id, tables, day, start, occupied_until or end + BUFFER)
        return booking_id

    def hold(self, start: datetime, table: str, expires_at: datetime) -> UUID:
        hold_id = uuid4()
        self.admin.execute(
            "INSERT INTO holds (restaurant_id, id, party_size, service_date, local_time,"
            " start_at, end_at, expires_at) VALUES (%s, %s, 2, %s, %s, %s, %s, %s)",
            (
                self.restaurant_id,
                hold_id,
                MONDAY,
                start.time(),
                start,
                start + timedelta(hours=1),
                expires_at,
            ),
        )
        self._allocate("hold_id", hold_id, [table], MONDAY, start, start + timedelta(hours=1))
        return hold_id

    def block(self, start: datetime, end: datetime, table: str) -> UUID:
        block_id = uuid4()
        self.admin.execute(
            "INSERT INTO blocks (restaurant_id, id, start_at, end_at, created_by)"
            " VALUES (%s, %s, %s, %s, 'test')",
            (self.restaurant_id, block_id, start, end),
        )
        self._allocate("block_id", block_id, [table], MONDAY, start, end)
        return block_id

    def _allocate(
        self,
        column: str,
        owner_id: UUID,
        tables: Sequence[str],
        day: date,
        start: datetime,
        end: datetime,
    ) -> None:
        for label in tables:
            self.admin.execute(
                f"INSERT INTO allocations (restaurant_id, table_id, {column}, service_date,"  # type: ignore[arg-type]
                " occupied) VALUES (%s, %s, %s, %s, tstzrange(%s, %s))",
                (self.restaurant_id, self.tables[label], owner_id, day, start, end),
            )


@pytest.fixture
def floor(admin: Connection) -> Floor:
    return Floor(admin)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The pool requests use: the application role, under row-level security."""
    pool = Database(database_url, min_size=1, max_size=2)
    pool.open()
    yield pool
    pool.close()


def windows(conn: Connection, restaurant_id: UUID, booking_id: UUID) -> list[tuple[str, ...]]:
    """The windows a booking's tables are taken for: table label, window start and end."""
    rows = conn.execute(
        """
        SELECT t.label, lower(a.occupied) AS starts, upper(a.occupied) AS ends
          FROM allocations a
          JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
         WHERE a.restaurant_id = %s AND a.booking_id = %s
        """,
        (restaurant_id, booking_id),
    ).fetchall()
    return sorted(
        (row["label"], row["starts"].isoformat(), row["ends"].isoformat()) for row in rows
    )


# --- the pooled read of a day ----------------------------------------------------------


def test_the_pooled_day_keeps_all_but_far_off_unpinned_confirmed_bookings_fixed(
    floor: Floor, database: Database
) -> None:
    confirmed = Status.CONFIRMED
    seated = floor.booking(Status.SEATED, at(17), ["MD-01"])
    pinned = floor.booking(confirmed, at(19), ["MD-02"], pinned=True)
    at_the_bound = floor.booking(confirmed, MOVABLE_AFTER, ["MD-03"])
    sooner = floor.booking(confirmed, at(17, 30), ["MD-04"])
    zoned = floor.booking(confirmed, at(20), ["MD-05", "MD-06"], party=6, zoned=True)
    anywhere = floor.booking(confirmed, at(21), ["BA-01"])
    floor.booking(Status.COMPLETED, at(12), ["MD-09"], occupied_until=at(12, 45))
    floor.booking(Status.PENDING, at(19), [])
    tomorrow = floor.booking(confirmed, at(11, day=TUESDAY), ["MD-10"], day=TUESDAY)
    floor.hold(at(19, 30), "MD-07", expires_at=NOW + timedelta(minutes=2))
    floor.hold(at(19, 30), "MD-08", expires_at=NOW - timedelta(seconds=1))
    floor.block(at(12), at(22), "PT-01")
    rid = floor.restaurant_id

    with database.transaction(rid, pipeline=True) as conn:
        purged, fixed, placed = allocations.pooled_day(
            conn, rid, MIDNIGHT, DAY_END, NOW, MOVABLE_AFTER
        )
        every = allocations.occupied(conn, rid, MIDNIGHT, DAY_END, NOW)

    assert purged == 1  # the expired hold on MD-08
    assert sorted(placed, key=lambda p: p.start) == [
        Placed(
            zoned,
            6,
            at(20).timestamp(),
            (at(21) + BUFFER).timestamp(),
            ("MD-05", "MD-06"),
            "main-dining",
        ),
        Placed(anywhere, 2, at(21).timestamp(), (at(22) + BUFFER).timestamp(), ("BA-01",)),
    ]
    fixed_tables = {
        "MD-01": seated,
        "MD-02": pinned,
        "MD-03": at_the_bound,
        "MD-04": sooner,
        "MD-07": "the live hold",
        "MD-09": "the completed booking",
        "MD-10": tomorrow,
        "PT-01": "the block",
    }
    assert sorted(label for label, _, _ in fixed) == sorted(fixed_tables)
    moving = [(label, p.start, p.end) for p in placed for label in p.tables]
    assert sorted(fixed + moving) == sorted(every)


def test_the_movable_bookings_windows_are_where_the_bookings_sit(
    floor: Floor, database: Database
) -> None:
    """The windows come at once (a booking at a free table needs no more); the bookings,
    built when asked for, hold the same tables for the same windows."""
    floor.booking(Status.CONFIRMED, at(20), ["MD-05", "MD-06"], party=6)
    floor.booking(Status.CONFIRMED, at(21), ["BA-01"])
    rid = floor.restaurant_id

    with database.transaction(rid, pipeline=True) as conn:
        _, _, movable = allocations.pooled_day(conn, rid, MIDNIGHT, DAY_END, NOW, MOVABLE_AFTER)

    assert len(movable.windows) == 3
    assert sorted(movable.windows) == sorted(
        (label, p.start, p.end) for p in movable for label in p.tables
    )
    assert len(movable) == 2


def test_the_pooled_day_of_an_empty_book_is_empty(floor: Floor, database: Database) -> None:
    with database.transaction(floor.restaurant_id) as conn:
        purged, fixed, movable = allocations.pooled_day(
            conn, floor.restaurant_id, MIDNIGHT, DAY_END, NOW, MOVABLE_AFTER
        )
    assert (purged, fixed, list(movable), movable.windows) == (0, [], [], [])


def test_a_pooled_read_without_the_purge_leaves_expired_holds_out_but_in_place(
    floor: Floor, database: Database, admin: Connection
) -> None:
    floor.hold(at(19, 30), "MD-08", expires_at=NOW - timedelta(seconds=1))

    with database.transaction(floor.restaurant_id) as conn:
        purged, fixed, movable = allocations.pooled_day(
            conn, floor.restaurant_id, MIDNIGHT, DAY_END, NOW, MOVABLE_AFTER, purge=False
        )

    assert (purged, fixed, list(movable)) == (0, [], [])
    assert admin.execute("SELECT count(*) AS n FROM holds").fetchone() == {"n": 1}


# --- moving tables ---------------------------------------------------------------------


def test_two_bookings_trade_tables_in_one_transaction_keeping_their_windows(
    floor: Floor, database: Database
) -> None:
    first = floor.booking(Status.CONFIRMED, at(19), ["MD-01"])
    second = floor.booking(Status.CONFIRMED, at(19, 30), ["MD-02"])
    pair = floor.booking(Status.CONFIRMED, at(19), ["MD-03", "MD-04"], party=6)
    rid, ids = floor.restaurant_id, floor.tables

    def trade(conn: Connection) -> None:
        scope_to_restaurant(conn, rid)
        allocations.move_tables(
            conn,
            rid,
            [
                (first, [ids["MD-02"]]),
                (second, [ids["MD-01"]]),
                (pair, [ids["MD-05"], ids["MD-06"]]),
            ],
            MONDAY,
        )

    database.run(trade, pipeline=True)

    with database.transaction(rid) as conn:
        assert windows(conn, rid, first) == [
            ("MD-02", at(19).isoformat(), (at(20) + BUFFER).isoformat())
        ]
        assert windows(conn, rid, second) == [
            ("MD-01", at(19, 30).isoformat(), (at(20, 30) + BUFFER).isoformat())
        ]
        assert windows(conn, rid, pair) == [
            ("MD-05", at(19).isoformat(), (at(20) + BUFFER).isoformat()),
            ("MD-06", at(19).isoformat(), (at(20) + BUFFER).isoformat()),
        ]


def test_moving_onto_a_table_taken_then_breaks_the_exclusion_constraint(
    floor: Floor, database: Database
) -> None:
    moving = floor.booking(Status.CONFIRMED, at(19), ["MD-01"])
    floor.booking(Status.CONFIRMED, at(20), ["MD-02"])  # overlaps 19:00-20:05 by 5 minutes
    rid, ids = floor.restaurant_id, floor.tables

    with pytest.raises(errors.ExclusionViolation) as refused, database.transaction(rid) as conn:
        allocations.move_tables(conn, rid, [(moving, [ids["MD-02"]])], MONDAY)
    assert refused.value.diag.constraint_name == "allocations_no_overlap"

    def move(conn: Connection) -> None:
        scope_to_restaurant(conn, rid)
        allocations.move_tables(conn, rid, [(moving, [ids["MD-02"]])], MONDAY)

    with pytest.raises(NoAvailability):
        database.run(move, pipeline=True)
    with database.transaction(rid) as conn:
        assert [label for label, *_ in windows(conn, rid, moving)] == ["MD-01"]


# --- the record of moves ---------------------------------------------------------------


def test_moves_are_recorded_in_one_statement_and_read_back_in_the_history_in_time_order(
    floor: Floor, database: Database
) -> None:
    first = floor.booking(Status.CONFIRMED, at(19), ["MD-01"])
    second = floor.booking(Status.CONFIRMED, at(19, 30), ["MD-02"])
    rid = floor.restaurant_id
    venue = read_venue_file(DEMO_VENUE)
    store_at = NOW - timedelta(hours=1)

    def record(conn: Connection) -> None:
        scope_to_restaurant(conn, rid)
        store.record_status(conn, rid, first, None, Status.CONFIRMED, "guest", store_at)
        store.record_moves(
            conn,
            rid,
            [
                TableMove(first, ("MD-01",), ("MD-02",), ALLOCATOR_ACTOR, NOW),
                TableMove(second, ("MD-02",), ("MD-01",), ALLOCATOR_ACTOR, NOW),
                TableMove(first, ("MD-02",), ("MD-03", "MD-04"), "staff:0a1b2c3d", NOW + BUFFER),
            ],
        )
        store.record_status(conn, rid, first, Status.CONFIRMED, Status.SEATED, "staff:x", NOW)

    database.run(record, pipeline=True)
    with database.transaction(rid) as conn:
        history = store.history(conn, rid, first, venue)
        others = store.history(conn, rid, second, venue)

    assert history == [
        Transition(None, Status.CONFIRMED, "guest", store_at),
        Transition(Status.CONFIRMED, Status.SEATED, "staff:x", NOW),
        TableMove(first, ("MD-01",), ("MD-02",), ALLOCATOR_ACTOR, NOW),
        TableMove(first, ("MD-02",), ("MD-03", "MD-04"), "staff:0a1b2c3d", NOW + BUFFER),
    ]
    assert others == [TableMove(second, ("MD-02",), ("MD-01",), ALLOCATOR_ACTOR, NOW)]
