"""Retention: confirmation results older than 30 days, expired holds and demand records
older than ``RESERVE_DEMAND_RETENTION_DAYS`` go, the rest stays; by ``reserve prune``, and by
the server every ``RESERVE_PRUNE_SECONDS``."""

from __future__ import annotations

import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import pytest
import typer
from fastapi.testclient import TestClient

from reserve.api.app import create_app
from reserve.cli import integrity as integrity_cli
from reserve.cli import main as cli_main
from reserve.cli import prune as prune_cli
from reserve.config import Settings
from reserve.db import demand
from reserve.db.database import Connection, Database, OperatorDatabase
from reserve.db.venues import save_venue
from reserve.domain.booking import Guest
from reserve.domain.demand import Outcome
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, record_key
from reserve.services.booking import book as make_booking
from reserve.services.context import Context
from reserve.services.holds import extend_hold, place_hold
from reserve.services.prune import PruneResult, prune
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from conftest import Cli

SECRET = "test-secret"
MONDAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def database(database_url: str, admin: Connection) -> Iterator[Database]:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    database = Database(database_url, min_size=1, max_size=2)
    database.open()
    yield database
    database.close()


def context_at(database: Database, now: datetime) -> Context:
    return Context(database, VenueStates(), SECRET, clock=lambda: now)


def book(context: Context, key: str, at: int) -> None:
    request = BookingRequest(2, MONDAY, time(at), Guest("Ada", "ada@example.com"))
    make_booking(context, "white-horse", request, key, Caller())


def hold(context: Context, at: int) -> UUID:
    return place_hold(context, "white-horse", 2, MONDAY, time(at), None).id


def keys(admin: Connection) -> set[str]:
    """The idempotency keys whose records remain (of those the tests use)."""
    rows = admin.execute("SELECT idempotency_key FROM booking_confirmation_results").fetchall()
    kept = {row["idempotency_key"] for row in rows}
    return {key for key in ("old", "recent", "new") if record_key(SECRET, key) in kept}


def holds(admin: Connection) -> set[UUID]:
    return {row["id"] for row in admin.execute("SELECT id FROM holds").fetchall()}


def hold_allocations(admin: Connection, hold_id: UUID) -> int:
    row = admin.execute(
        "SELECT count(*) AS n FROM allocations WHERE hold_id = %s", (hold_id,)
    ).fetchone()
    assert row is not None
    return int(row["n"])


def age_result(admin: Connection, key: str, created: datetime) -> None:
    admin.execute(
        "UPDATE booking_confirmation_results SET created_at = %s WHERE idempotency_key = %s",
        (created, record_key(SECRET, key)),
    )


def expire_hold(admin: Connection, hold_id: UUID, at: datetime) -> None:
    admin.execute("UPDATE holds SET expires_at = %s WHERE id = %s", (at, hold_id))


@pytest.fixture
def stocked(database: Database, admin: Connection) -> tuple[UUID, UUID]:
    """Three bookings made at NOW, one result made 31 days before and one 29; a hold that
    expires 2 minutes after NOW and one 2 hours after."""
    context = context_at(database, NOW)
    for key, at in (("old", 12), ("recent", 13), ("new", 14)):
        book(context, key, at)
    age_result(admin, "old", NOW - timedelta(days=31))
    age_result(admin, "recent", NOW - timedelta(days=29))
    age_result(admin, "new", NOW)
    expired, live = hold(context, 19), hold(context, 20)
    expire_hold(admin, live, NOW + timedelta(hours=2))
    return expired, live


def test_old_results_and_expired_holds_go_and_the_rest_stays(
    admin: Connection, operator: OperatorDatabase, stocked: tuple[UUID, UUID]
) -> None:
    expired, live = stocked
    assert hold_allocations(admin, expired) == 1

    result = prune(operator, NOW + timedelta(minutes=30))

    assert result == PruneResult(results_deleted=1, holds_deleted=1)
    assert keys(admin) == {"recent", "new"}
    assert holds(admin) == {live}
    assert hold_allocations(admin, expired) == 0
    assert hold_allocations(admin, live) == 1


def test_a_shorter_retention_takes_more(
    admin: Connection, operator: OperatorDatabase, stocked: tuple[UUID, UUID]
) -> None:
    result = prune(operator, NOW, timedelta(days=10))

    assert result.results_deleted == 2
    assert keys(admin) == {"new"}


def test_the_application_role_can_prune_every_restaurant_unscoped(
    database: Database, admin: Connection, stocked: tuple[UUID, UUID]
) -> None:
    # The server's pruner runs as reserve_app with no restaurant set: row-level security
    # would show it nothing, so the deletes go through reserve_prune.
    with database.transaction() as conn:
        assert conn.execute("SELECT count(*) AS n FROM holds").fetchone() == {"n": 0}
    result = prune(database, NOW + timedelta(minutes=30))

    assert result == PruneResult(results_deleted=1, holds_deleted=1)
    assert holds(admin) == {stocked[1]}


def test_an_extended_hold_is_pruned_at_its_new_expiry_not_its_first(
    database: Database, admin: Connection, operator: OperatorDatabase
) -> None:
    placed = hold(context_at(database, NOW), 19)  # expires 120 s after NOW
    extend_hold(context_at(database, NOW + timedelta(seconds=100)), placed)  # now 220 s

    assert prune(operator, NOW + timedelta(seconds=150)) == PruneResult(0, 0)
    assert holds(admin) == {placed}
    assert hold_allocations(admin, placed) == 1

    assert prune(operator, NOW + timedelta(seconds=220)) == PruneResult(0, 1)
    assert holds(admin) == set()


def test_nothing_to_prune_removes_nothing(operator: OperatorDatabase, database: Database) -> None:
    assert prune(operator, NOW) == PruneResult(0, 0)


def record_demand(database: Database, received_at: datetime) -> None:
    with database.transaction() as conn:
        state = VenueStates().scoped(conn, "white-horse")
        demand.record(
            conn,
            state.restaurant_id,
            received_at=received_at,
            service_date=received_at.date(),
            local_time=time(19),
            party_size=2,
            kind="booking",
            source="web",
            outcome=Outcome.FULL,
        )


def demand_received(admin: Connection) -> list[datetime]:
    rows = admin.execute("SELECT received_at FROM demand_requests ORDER BY received_at")
    return [row["received_at"] for row in rows]


def test_demand_records_go_once_older_than_their_retention(
    database: Database, admin: Connection, operator: OperatorDatabase
) -> None:
    kept = [NOW - timedelta(days=400), NOW - timedelta(days=399), NOW - timedelta(days=1)]
    for received_at in [NOW - timedelta(days=401), *kept]:
        record_demand(database, received_at)

    # By default, for 400 days: a year of the same weekday. Nothing else is touched.
    assert prune(database, NOW) == PruneResult(0, 0, demand_deleted=1)
    assert demand_received(admin) == kept

    assert prune(operator, NOW, demand_retention=timedelta(days=2)).demand_deleted == 2
    assert demand_received(admin) == kept[2:]


# --- the command ---------------------------------------------------------------------------


@pytest.fixture
def reserve(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``reserve`` with these commands registered as ``reserve.cli.main`` registers them."""
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    app.command()(integrity_cli.integrity)
    app.command()(prune_cli.prune)
    monkeypatch.setattr(cli_main, "app", app)
    return cli


def test_the_command_says_what_it_removed(
    reserve: Cli, admin: Connection, stocked: tuple[UUID, UUID]
) -> None:
    expired, live = stocked
    # The command prunes as of now, by the clock of this machine.
    now = datetime.now(UTC)
    age_result(admin, "old", now - timedelta(days=31))
    age_result(admin, "recent", now - timedelta(days=29))
    age_result(admin, "new", now)
    expire_hold(admin, expired, now - timedelta(minutes=1))
    expire_hold(admin, live, now + timedelta(hours=1))

    result = reserve("prune")

    assert result.code == 0, result.err
    assert result.out.strip() == (
        "removed 1 confirmation results older than 30 days, 1 expired holds and 0 demand "
        "records older than 400 days"
    )
    assert keys(admin) == {"recent", "new"}
    assert holds(admin) == {live}

    again = reserve("prune", "--retention-days", "0")

    assert again.code == 0, again.err
    assert "removed 2 confirmation results older than 0 days, 0 expired holds" in again.out
    assert keys(admin) == set()


def test_the_command_keeps_demand_records_as_long_as_the_setting_says(
    reserve: Cli, env: pytest.MonkeyPatch, database: Database, admin: Connection
) -> None:
    now = datetime.now(UTC)
    record_demand(database, now - timedelta(days=31))
    record_demand(database, now - timedelta(days=29))
    env.setenv("RESERVE_DEMAND_RETENTION_DAYS", "30")

    result = reserve("prune")

    assert result.code == 0, result.err
    assert "and 1 demand records older than 30 days" in result.out
    assert len(demand_received(admin)) == 1


def test_a_negative_retention_is_refused(reserve: Cli, database_url: str) -> None:
    result = reserve("prune", "--retention-days", "-1")

    assert result.code == 2
    assert "--retention-days" in result.err


# --- the server ----------------------------------------------------------------------------


def test_the_server_prunes_in_the_background(
    database_url: str, admin: Connection, stocked: tuple[UUID, UUID]
) -> None:
    expired, live = stocked
    settings = Settings(
        database_url=database_url, env="test", prune_seconds=0.05, demand_retention_days=10
    )
    database = Database(database_url, min_size=1, max_size=2)
    context = Context(database, VenueStates(), SECRET, clock=lambda: NOW + timedelta(minutes=30))
    # The three bookings and two holds were recorded as demand at NOW; the holds' records
    # are made older than the ten days kept.
    admin.execute(
        "UPDATE demand_requests SET received_at = %s WHERE kind = 'hold'",
        (NOW - timedelta(days=11),),
    )
    app = create_app(settings, database, context)

    with TestClient(app):
        deadline = clock.monotonic() + 10
        while expired in holds(admin) and clock.monotonic() < deadline:
            clock.sleep(0.05)

    assert holds(admin) == {live}
    assert keys(admin) == {"recent", "new"}
    assert demand_received(admin) == [NOW] * 3
