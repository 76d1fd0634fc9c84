"""Two hundred booking requests for one slot, at once, over HTTP to ``reserve serve``.

The whole path is real: sockets, uvicorn's worker threads, the pool, the per-day lock and
the exclusion constraint. The floor decides the outcome, not the race: exactly as many
parties are booked as booking them one by one would seat, at the same tables, and every
other request gets a clean 409 ``no-availability``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, time
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from processes import next_monday, serving_database

from reserve.db.database import Connection, Database, OperatorDatabase
from reserve.db.venues import save_venue
from reserve.domain.access import Role
from reserve.domain.booking import Guest
from reserve.domain.errors import NoAvailability
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book
from reserve.services.context import Context
from reserve.services.keys import create_key
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

pytestmark = pytest.mark.e2e

SLUG = "white-horse"
REQUESTS = 200
PARTY = 4
SEVEN_PM = time(19, 0)
SECRET = "concurrent-http-test-secret"


@contextmanager
def serving(database_url: str, log: Path) -> Iterator[str]:
    """``reserve serve`` against the test database; its base URL once ready. Stopped (Ctrl+C)
    when the block ends."""
    with serving_database(database_url, log, secret=SECRET) as (server, _):
        yield server.base_url


def payload(day: date, number: int) -> dict[str, object]:
    return {
        "party_size": PARTY,
        "date": day.isoformat(),
        "time": "19:00",
        "guest": {"name": f"Guest {number}", "email": f"guest{number}@example.com"},
    }


async def send_all(base_url: str, key: str, day: date) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=REQUESTS, max_keepalive_connections=REQUESTS)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=30.0, headers=headers
    ) as client:
        return await asyncio.gather(
            *(
                client.post(
                    f"/v1/restaurants/{SLUG}/bookings",
                    json=payload(day, number),
                    headers={"Idempotency-Key": str(uuid4())},
                )
                for number in range(REQUESTS)
            )
        )


def seated_one_by_one(database_url: str, slug: str, day: date) -> list[tuple[str, ...]]:
    """The tables the same requests get when booked one after another, in process."""
    database = Database(database_url, min_size=1, max_size=1)
    database.open()
    try:
        context = Context(database, VenueStates(), SECRET)
        tables = []
        for number in range(REQUESTS):
            request = BookingRequest(
                PARTY, day, SEVEN_PM, Guest(f"Guest {number}", "guest@example.com")
            )
            try:
                booked = book(context, slug, request, str(uuid4()), Caller())
            except NoAvailability:
                break  # identical parties: once one is refused, so is every later one
            tables.append(booked.booking.tables)
        return sorted(tables)
    finally:
        database.close()


def overlapping_pairs(admin: Connection) -> int:
    row = admin.execute(
        """
        SELECT count(*) AS n
          FROM allocations a
          JOIN allocations b ON b.restaurant_id = a.restaurant_id AND b.table_id = a.table_id
                            AND a.id < b.id AND a.occupied && b.occupied
        """
    ).fetchone()
    assert row is not None
    return int(row["n"])


def test_two_hundred_simultaneous_bookings_fill_the_floor_and_no_more(
    tmp_path: Path, admin: Connection, database_url: str
) -> None:
    day = next_monday()
    venue = read_venue_file(DEMO_VENUE)
    save_venue(admin, venue)
    save_venue(admin, replace(venue, slug="serial-copy"))
    _, key = create_key(
        OperatorDatabase(database_url), SECRET, role=Role.STAFF, restaurant=SLUG, name="storm"
    )
    expected = seated_one_by_one(database_url, "serial-copy", day)

    with serving(database_url, tmp_path / "serve.log") as base_url:
        responses = asyncio.run(send_all(base_url, key, day))

    output = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in output, output
    statuses = sorted({response.status_code for response in responses})
    assert statuses == [201, 409], statuses
    booked = [response.json() for response in responses if response.status_code == 201]
    refused = [response for response in responses if response.status_code == 409]
    assert len(booked) == len(expected), f"{len(booked)} booked; the floor seats {len(expected)}"
    assert sorted(tuple(body["tables"]) for body in booked) == expected
    for response in refused:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"] == "no-availability"
    assert overlapping_pairs(admin) == 0
