"""A booking's transaction notifies nobody itself (so its commit never waits for other
notifying commits): its triggers say what changed, and the unit of work sends it once the
transaction has committed; a rolled-back one sends nothing; a burst is sent once."""

from __future__ import annotations

import time as clock
from collections.abc import Iterator
from datetime import date, time
from uuid import UUID, uuid4

import psycopg
import pytest
from tests.api.conftest import NOW

from reserve.config import PLACEHOLDER_SECRET
from reserve.db.database import Connection, Database, OperatorDatabase, connect
from reserve.db.floor_changes import CHANNEL, Notifier
from reserve.db.venues import save_venue
from reserve.domain.booking import Guest
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book
from reserve.services.context import Context
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

MONDAY = date(2026, 12, 7)


@pytest.fixture
def white_horse(admin: Connection) -> UUID:
    return save_venue(admin, read_venue_file(DEMO_VENUE)).restaurant_id


@pytest.fixture
def listener(database_url: str) -> Iterator[psycopg.Connection[object]]:
    conn = psycopg.connect(database_url, autocommit=True)
    conn.execute(f"LISTEN {CHANNEL}")
    yield conn
    conn.close()


def heard(conn: psycopg.Connection[object], seconds: float = 1.0) -> list[str]:
    return [n.payload for n in conn.notifies(timeout=seconds, stop_after=None)]


def monday_of(restaurant_id: UUID) -> str:
    return f"{restaurant_id} {MONDAY.isoformat()}"


def booking_of(database: Database | OperatorDatabase) -> None:
    ctx = Context(database, VenueStates(), PLACEHOLDER_SECRET, clock=lambda: NOW)
    request = BookingRequest(2, MONDAY, time(19), Guest("Ada Lovelace", "ada@example.com"))
    book(ctx, "white-horse", request, str(uuid4()), Caller())


def test_a_bookings_own_transaction_notifies_nobody_but_says_what_changed(
    database_url: str, white_horse: UUID, listener: psycopg.Connection[object]
) -> None:
    booking_of(OperatorDatabase(database_url))
    assert heard(listener) == [monday_of(white_horse)]  # sent after the commit, by the unit

    said: list[str] = []
    with connect(database_url) as conn:
        conn.add_notice_handler(lambda diagnostic: said.append(diagnostic.message_primary or ""))
        conn.execute("UPDATE bookings SET notes = 'a high chair'")
        conn.commit()  # by hand: nobody sends what the triggers said

    assert set(said) == {f"{CHANNEL} {monday_of(white_horse)}"}  # its old and new day
    assert heard(listener, 0.5) == []


def test_a_unit_of_work_sends_what_it_changed_after_its_commit_and_nothing_if_it_rolls_back(
    database_url: str, white_horse: UUID, listener: psycopg.Connection[object]
) -> None:
    database = Database(database_url, min_size=1, max_size=2)
    database.open()
    try:
        booking_of(database)
        assert heard(listener) == [monday_of(white_horse)]

        def changed_then_failed(conn: Connection) -> None:
            conn.execute("UPDATE bookings SET notes = 'then refused'")
            raise RuntimeError("refused")

        with pytest.raises(RuntimeError):
            database.run(changed_then_failed)
        assert heard(listener, 0.5) == []
    finally:
        database.close()


def test_the_notifier_sends_a_burst_once_and_what_waited_when_the_database_is_back(
    database_url: str, listener: psycopg.Connection[object]
) -> None:
    notifier = Notifier(Database(database_url).conninfo)
    notifier.start()
    try:
        for _ in range(50):
            notifier.publish({"a *", "b 2026-12-07"})
        assert sorted(heard(listener)) == ["a *", "b 2026-12-07"]
    finally:
        notifier.stop()

    away = Notifier("host=/nonexistent dbname=nothing")
    away.start()
    away.publish({"c *"})
    clock.sleep(0.2)
    away.conninfo = Database(database_url).conninfo  # the database is back
    try:
        assert heard(listener, 3.0) == ["c *"]
    finally:
        away.stop()


def test_changes_are_heard_when_the_server_sends_clients_only_warnings(
    database_url: str, admin: Connection, white_horse: UUID, listener: psycopg.Connection[object]
) -> None:
    name = admin.execute("SELECT current_database() AS name").fetchone()
    assert name is not None
    admin.execute(f'ALTER DATABASE "{name["name"]}" SET client_min_messages = warning')
    database = Database(database_url, min_size=1, max_size=2)
    try:
        database.open()
        booking_of(database)
        assert heard(listener) == [monday_of(white_horse)]
        booking_of(OperatorDatabase(database_url))
        assert heard(listener) == [monday_of(white_horse)]
    finally:
        database.close()
        admin.execute(f'ALTER DATABASE "{name["name"]}" RESET client_min_messages')
