"""What a booking costs the database's client: its statements and its round trips, counted
on the driver as the booking runs against real PostgreSQL. Each statement and each round
trip costs the server's process CPU (bench/booking_http.py measures how much), so a change
that adds one is seen here first."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import psycopg
import pytest

from reserve.db.database import Connection, Database
from reserve.db.venues import save_venue
from reserve.domain.booking import Guest
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book
from reserve.services.context import Context
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MONDAY = date(2026, 12, 7)
# BEGIN; the venue with the key's claim, and the key's earlier answer; the day's lock,
# the expired holds' purge and the day's occupancy; the booking with its history, its
# table, its idempotency record and its demand record; COMMIT.
STATEMENTS = 11
# The answers waited for before the commit: the venue and the key; the day's occupancy.
# The writes then go with the COMMIT, the third round trip.
FETCHES = 2


@pytest.fixture
def context(database_url: str, admin: Connection) -> Iterator[Context]:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    database = Database(database_url, min_size=1, max_size=1)
    database.open()
    yield Context(database, VenueStates(), "test-secret", clock=lambda: NOW)
    database.close()


class Counted:
    """Statements sent, and waits for the answers sent so far (a round trip each, in
    pipeline mode), in the booking's thread."""

    def __init__(self, patch: pytest.MonkeyPatch) -> None:
        self.statements = 0
        self.fetches = 0
        booking = threading.get_ident()  # the other threads' connections are not counted
        execute, many = psycopg.Cursor.execute, psycopg.Cursor.executemany
        wait = psycopg.Connection.wait

        def counted_execute(cursor: Any, *args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == booking:
                self.statements += 1
            return execute(cursor, *args, **kwargs)

        def counted_many(cursor: Any, query: Any, rows: Any, **kwargs: Any) -> Any:
            rows = list(rows)
            if threading.get_ident() == booking:
                self.statements += len(rows)
            return many(cursor, query, rows, **kwargs)

        def counted_wait(conn: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == booking and gen.__name__ == "_fetch_gen":
                self.fetches += 1
            return wait(conn, gen, *args, **kwargs)

        patch.setattr(psycopg.Cursor, "execute", counted_execute)
        patch.setattr(psycopg.Cursor, "executemany", counted_many)
        patch.setattr(psycopg.Connection, "wait", counted_wait)


def a_booking(at: time) -> BookingRequest:
    return BookingRequest(2, MONDAY, at, Guest("Ada", "ada@example.com", None))


def test_a_booking_is_eleven_statements_in_three_round_trips(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    book(context, "white-horse", a_booking(time(18)), "first", Caller())  # the venue loaded
    assert context.limits.settle(10)
    counted = Counted(monkeypatch)

    book(context, "white-horse", a_booking(time(19)), "second", Caller())

    # BEGIN and COMMIT are the transaction's own commands, not cursors' statements.
    assert (counted.statements + 2, counted.fetches) == (STATEMENTS, FETCHES)
