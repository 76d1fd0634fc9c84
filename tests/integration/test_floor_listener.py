"""The floor's listener: a change committed by any connection reaches the subscribers of its
restaurant (and only them), a rolled-back one reaches nobody, and when the listener's
connection is killed it says so once, comes back, tells every subscriber to refresh, and
hears later changes again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from datetime import date, time
from typing import Any
from uuid import UUID, uuid4

import pytest
from tests.api.conftest import NOW

from reserve.config import PLACEHOLDER_SECRET
from reserve.db.database import Connection, Database, connect
from reserve.db.venues import save_venue
from reserve.domain.booking import Guest
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book
from reserve.services.context import Context
from reserve.services.live import FloorFeed, Subscription
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

MONDAY = date(2026, 12, 7)
SOON = 2.0


async def until(test: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not test():
        assert asyncio.get_running_loop().time() < deadline, "waited in vain"
        await asyncio.sleep(0.02)


def run(scenario: Callable[[FloorFeed], Coroutine[Any, Any, None]], url: str) -> None:
    """``scenario`` with a feed listening on ``url``'s database, stopped afterwards."""

    async def main() -> None:
        feed = FloorFeed(Database(url).conninfo)
        feed.start()
        try:
            await until(lambda: feed.connections == 1)
            await scenario(feed)
        finally:
            await feed.stop()

    asyncio.run(main())


@pytest.fixture
def white_horse(admin: Connection) -> UUID:
    return save_venue(admin, read_venue_file(DEMO_VENUE)).restaurant_id


@pytest.fixture
def booking(database_url: str) -> Iterator[Callable[..., None]]:
    """Book the White Horse (or another venue by slug) on Monday at 19:00, as a guest."""
    database = Database(database_url, min_size=1, max_size=2)
    database.open()
    ctx = Context(database, VenueStates(), PLACEHOLDER_SECRET, clock=lambda: NOW)

    def made(slug: str = "white-horse") -> None:
        request = BookingRequest(2, MONDAY, time(19), Guest("Ada Lovelace", "ada@example.com"))
        book(ctx, slug, request, str(uuid4()), Caller())

    yield made
    database.close()


async def changes(subscription: Subscription) -> frozenset[date | None]:
    return await subscription.changes(SOON)


def test_a_committed_change_reaches_its_restaurants_subscribers_only(
    database_url: str, admin: Connection, white_horse: UUID, booking: Callable[..., None]
) -> None:
    other = save_venue(admin, replace(read_venue_file(DEMO_VENUE), slug="black-swan", name="Swan"))

    async def scenario(feed: FloorFeed) -> None:
        with (
            feed.subscribe(white_horse, MONDAY) as ours,
            feed.subscribe(other.restaurant_id) as theirs,
        ):
            await asyncio.to_thread(booking)
            assert await changes(ours) == {MONDAY}
            assert await theirs.changes(0.5) == frozenset()

    run(scenario, database_url)


def test_a_rolled_back_change_sends_nothing(
    database_url: str, white_horse: UUID, booking: Callable[..., None]
) -> None:
    def rolled_back() -> None:
        with connect(database_url) as conn:
            conn.execute("UPDATE restaurants SET updated_at = now()")
            conn.rollback()

    async def scenario(feed: FloorFeed) -> None:
        with feed.subscribe(white_horse) as subscription:
            await asyncio.to_thread(rolled_back)
            assert await subscription.changes(0.5) == frozenset()

    run(scenario, database_url)


def test_the_listener_comes_back_after_its_connection_is_killed(
    database_url: str,
    admin: Connection,
    white_horse: UUID,
    booking: Callable[..., None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def kill_the_listener() -> int:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) AS killed FROM pg_stat_activity"
            " WHERE application_name = 'reserve floor listener'"
            " AND datname = current_database()"
        ).fetchone()
        assert row is not None
        return int(row["killed"])

    async def scenario(feed: FloorFeed) -> None:
        with feed.subscribe(white_horse, MONDAY) as subscription:
            assert await asyncio.to_thread(kill_the_listener) == 1
            await until(lambda: feed.connections == 2)
            assert await changes(subscription) == {None}  # it may have missed some: refresh
            await asyncio.to_thread(booking)
            assert await changes(subscription) == {MONDAY}

    with caplog.at_level(logging.INFO, logger="reserve.db.notifications"):
        run(scenario, database_url)
    said = [record.getMessage() for record in caplog.records]
    assert len([line for line in said if line.startswith("lost the floor's changes")]) == 1
    assert "hearing the floor's changes again" in said


def test_a_page_that_subscribes_after_a_change_it_missed_is_told_at_once(
    database_url: str, white_horse: UUID, booking: Callable[..., None]
) -> None:
    async def scenario(feed: FloorFeed) -> None:
        with feed.subscribe(white_horse, MONDAY) as first:
            await asyncio.to_thread(booking)
            assert await changes(first) == {MONDAY}
        with feed.subscribe(white_horse, MONDAY, age=5.0) as late:
            assert await late.changes(0) == {MONDAY}
        with feed.subscribe(white_horse, MONDAY) as fresh:
            assert await fresh.changes(0.2) == frozenset()

    run(scenario, database_url)


def test_stopping_the_feed_ends_every_subscription(database_url: str, white_horse: UUID) -> None:
    async def scenario(feed: FloorFeed) -> None:
        with feed.subscribe(white_horse) as subscription:
            waiting = asyncio.create_task(subscription.changes(60))
            await asyncio.sleep(0.05)
            feed.end_streams()
            assert await asyncio.wait_for(waiting, 1) == frozenset()
            assert subscription.ended
        with feed.subscribe(white_horse) as later:
            assert later.ended

    run(scenario, database_url)
