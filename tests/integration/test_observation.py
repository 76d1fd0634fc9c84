"""What the server observes for its metrics beyond its own counters: the day lock's wait as
PostgreSQL measures it, the database's figures read at each scrape, and the integrity pass
that one process at a time runs on a schedule."""

from __future__ import annotations

import threading
import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from reserve import metrics
from reserve.db import allocations
from reserve.db.database import Connection, Database, connect
from reserve.db.observation import figures
from reserve.db.venues import save_venue
from reserve.domain.booking import Guest
from reserve.domain.errors import DatabaseUnavailable
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book
from reserve.services.context import Context
from reserve.services.holds import place_hold
from reserve.services.integrity_report import CHECKS, EXPIRED_HOLDS
from reserve.services.observation import DatabaseFigures, IntegrityTurn, run_integrity_pass
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

MONDAY = date(2026, 12, 7)
NOWHERE = "postgresql://reserve@/nothing?host=/nonexistent"


@pytest.fixture
def database(database_url: str, admin: Connection) -> Iterator[Database]:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    database = Database(database_url, min_size=1, max_size=3)
    database.open()
    yield database
    database.close()


def context_at(database: Database, now: datetime) -> Context:
    return Context(database, VenueStates(), "test-secret", clock=lambda: now)


def request(party_size: int, at: int = 19) -> BookingRequest:
    return BookingRequest(party_size, MONDAY, time(at), Guest("Ada", "ada@example.com"))


def scraped(collector: DatabaseFigures) -> dict[str, float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    text = generate_latest(registry).decode()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


# --- the day lock ----------------------------------------------------------------------------


def test_the_day_lock_says_how_long_it_waited_for_another_transaction(
    database: Database, admin: Connection
) -> None:
    restaurant_id = admin.execute("SELECT id FROM restaurants").fetchone()["id"]  # type: ignore[index]
    holding, waiting_began = threading.Event(), threading.Event()
    waited: list[float] = []

    def hold_the_day() -> None:
        with database.transaction() as conn:
            allocations.lock_days(conn, restaurant_id, [MONDAY], 3000)()
            holding.set()
            waiting_began.wait(5)
            clock.sleep(0.4)

    def wait_for_it() -> None:
        holding.wait(5)
        with database.transaction(pipeline=True) as conn:
            read = allocations.lock_days(conn, restaurant_id, [MONDAY], 3000)
            waiting_began.set()
            conn.execute("SELECT 1").fetchone()  # a later answer: the lock's is in by then
            waited.append(read())

    threads = [threading.Thread(target=hold_the_day), threading.Thread(target=wait_for_it)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert 0.3 <= waited[0] < 3.0
    with database.transaction() as conn:  # nobody holds it now
        assert allocations.lock_days(conn, restaurant_id, [MONDAY, MONDAY], 3000)() < 0.1


def test_a_booking_counts_its_wait_for_the_day_lock(database: Database) -> None:
    def observed() -> float:
        count = metrics.REGISTRY.get_sample_value("reserve_day_lock_wait_seconds_count")
        return count or 0.0

    before = observed()
    book(context_at(database, datetime.now(UTC)), "white-horse", request(2), "k", Caller())
    assert observed() == before + 1


# --- the database's figures ------------------------------------------------------------------


def test_the_figures_of_an_empty_database_leave_the_ages_out(database: Database) -> None:
    found = figures(database.conninfo)
    assert (found.holds_live, found.pending, found.results_rows) == (0, 0, 0)
    assert found.pending_oldest_age_seconds is None
    assert found.pending_next_start_seconds is None
    assert found.results_oldest_age_seconds is None
    assert found.results_bytes > 0  # the table's pages and indexes
    samples = scraped(DatabaseFigures(database.conninfo))
    assert samples["reserve_database_up"] == 1.0
    assert samples["reserve_pending_bookings"] == 0.0
    assert "reserve_pending_oldest_age_seconds" not in samples
    assert "reserve_confirmation_results_oldest_age_seconds" not in samples


def test_the_figures_count_live_holds_pending_bookings_and_stored_results(
    database: Database, admin: Connection
) -> None:
    now = datetime.now(UTC)
    place_hold(context_at(database, now), "white-horse", 2, MONDAY, time(13), None)
    place_hold(
        context_at(database, now - timedelta(hours=1)), "white-horse", 2, MONDAY, time(14), None
    )
    book(context_at(database, now), "white-horse", request(2, 12), "k1", Caller())
    pending = book(context_at(database, now), "white-horse", request(14), "k2", Caller()).booking
    admin.execute(
        "UPDATE bookings SET created_at = now() - interval '2 hours' WHERE id = %s", (pending.id,)
    )
    admin.execute(
        "UPDATE booking_confirmation_results SET created_at = now() - interval '3 days'"
        " WHERE booking_id = %s",
        (pending.id,),
    )

    found = figures(database.conninfo)  # as the application role, over row-level security
    assert found.holds_live == 1  # the hour-old hold has expired
    assert found.pending == 1
    assert found.pending_oldest_age_seconds == pytest.approx(7200, abs=60)
    starts_in = datetime(2026, 12, 7, 19, tzinfo=UTC) - datetime.now(UTC)
    assert found.pending_next_start_seconds == pytest.approx(starts_in.total_seconds(), abs=60)
    assert found.results_rows == 2
    assert found.results_oldest_age_seconds == pytest.approx(3 * 86400, abs=60)


def test_a_scrape_without_the_database_says_it_is_down_and_nothing_else(
    caplog: pytest.LogCaptureFixture,
) -> None:
    collector = DatabaseFigures(NOWHERE)
    samples = scraped(collector)
    assert samples["reserve_database_up"] == 0.0
    assert set(samples) == {"reserve_database_up", "reserve_database_read_seconds"}
    scraped(collector)
    said = [r for r in caplog.records if "metrics cannot read the database" in r.getMessage()]
    assert len(said) == 1  # once while it is away, not at every scrape


# --- the integrity pass ----------------------------------------------------------------------


def violations() -> dict[str, float | None]:
    return {
        name: metrics.REGISTRY.get_sample_value("reserve_integrity_violations", {"check": name})
        for name in CHECKS
    }


def test_one_process_at_a_time_runs_the_integrity_pass_and_exports_what_it_found(
    database: Database, database_url: str
) -> None:
    mine, theirs = IntegrityTurn(database_url), IntegrityTurn(database_url)
    try:
        before = metrics.REGISTRY.get_sample_value(
            "reserve_integrity_last_success_timestamp_seconds"
        )
        assert run_integrity_pass(database_url, mine, hold_grace=0)
        assert violations() == dict.fromkeys(CHECKS, 0.0)
        last = metrics.REGISTRY.get_sample_value("reserve_integrity_last_success_timestamp_seconds")
        assert last is not None
        assert last != before
        assert abs(last - clock.time()) < 60
        assert not run_integrity_pass(database_url, theirs, hold_grace=0)  # not its turn

        # An hour-old hold the pruner never removed: the next pass finds it.
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        place_hold(context_at(database, an_hour_ago), "white-horse", 2, MONDAY, time(13), None)
        assert run_integrity_pass(database_url, mine, hold_grace=0)
        assert violations()[EXPIRED_HOLDS] == 1.0

        mine.close()  # the process stops: the turn passes to the next to ask
        assert run_integrity_pass(database_url, theirs, hold_grace=0)
        assert not run_integrity_pass(database_url, mine, hold_grace=0)
    finally:
        mine.close()
        theirs.close()


def test_the_turn_passes_on_when_its_connection_is_lost(database_url: str) -> None:
    mine, theirs = IntegrityTurn(database_url), IntegrityTurn(database_url)
    try:
        assert mine.mine()
        assert not theirs.mine()
        with connect(database_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks"
                " WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
                "   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        deadline = clock.monotonic() + 5
        while not theirs.mine() and clock.monotonic() < deadline:
            clock.sleep(0.05)
        assert theirs.mine()
        assert not mine.mine()  # its connection gone, it asks again, and the lock is taken
    finally:
        mine.close()
        theirs.close()


def test_the_integrity_turn_without_the_database_is_database_unavailable() -> None:
    with pytest.raises(DatabaseUnavailable):
        IntegrityTurn(NOWHERE).mine()
