"""``reserve integrity``: a database the booking path wrote is clean, and every check finds
the damage planted for it by hand (after dropping a constraint where the schema forbids it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

import pytest
import typer
from typer.testing import CliRunner

from reserve.cli import integrity as integrity_cli
from reserve.cli import main as cli_main
from reserve.cli import prune as prune_cli
from reserve.db import integrity as store
from reserve.db.database import Connection, Database, OperatorDatabase, connect
from reserve.db.venues import save_venue
from reserve.domain.access import Principal, Role
from reserve.domain.booking import Guest
from reserve.domain.errors import ConfigurationError, NotFound
from reserve.services import integrity_report as integrity
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book
from reserve.services.changes import cancel
from reserve.services.context import Context
from reserve.services.flags import set_override
from reserve.services.integrity import check_integrity
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from conftest import Cli

MONDAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
VENUE = read_venue_file(DEMO_VENUE)
ZONE_OF = {table.label: table.zone for table in VENUE.tables}


@dataclass(frozen=True)
class Booked:
    """The White Horse with a few bookings made the ordinary way: lunch alone at 12:00 (the
    one the tests damage, with every other table free around it) and three at 19:00."""

    url: str
    restaurant_id: UUID
    lunch: UUID
    lunch_table: str
    dinner_for_twelve: UUID


def populate(url: str) -> Booked:
    with connect(url, autocommit=True) as admin:
        restaurant_id = save_venue(admin, VENUE).restaurant_id
    database = Database(url, min_size=1, max_size=2)
    database.open()
    try:
        context = Context(database, VenueStates(), "test-secret", clock=lambda: NOW)
        ids = {}
        for key, party, at in (("lunch", 2, 12), ("d2", 2, 19), ("d4", 4, 19), ("d12", 12, 19)):
            request = BookingRequest(party, MONDAY, time(at), Guest("Ada", "ada@example.com"))
            ids[key] = book(context, "white-horse", request, key, Caller()).booking.id
        cancelled = BookingRequest(6, MONDAY, time(20), Guest("Bo", "bo@example.com"))
        gone = book(context, "white-horse", cancelled, "c6", Caller()).booking.id
        staff = Caller(Principal(uuid4(), Role.STAFF, restaurant_id))
        cancel(context, gone, staff)
    finally:
        database.close()
    with connect(url) as conn:
        table = conn.execute(
            "SELECT t.label FROM allocations a JOIN tables t ON t.id = a.table_id"
            " WHERE a.booking_id = %s",
            (ids["lunch"],),
        ).fetchone()
    assert table is not None
    return Booked(url, restaurant_id, ids["lunch"], table["label"], ids["d12"])


@pytest.fixture
def booked(database_url: str) -> Booked:
    return populate(database_url)


@pytest.fixture
def booked_fresh(env: pytest.MonkeyPatch, fresh_database_url: str) -> Booked:
    """``booked`` in a database of the test's own (its constraints may be dropped), which the
    command line points at."""
    env.setenv("RESERVE_DATABASE_URL", fresh_database_url)
    return populate(fresh_database_url)


@pytest.fixture
def reserve(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``reserve`` with these commands registered as ``reserve.cli.main`` registers them, its
    error handling included."""
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    app.command()(integrity_cli.integrity)
    app.command()(prune_cli.prune)
    monkeypatch.setattr(cli_main, "app", app)
    return cli


@pytest.fixture
def operator(booked: Booked) -> Iterator[Connection]:
    with connect(booked.url, autocommit=True) as conn:
        yield conn


def report(url: str, restaurant: str | None = None) -> integrity.IntegrityReport:
    return check_integrity(OperatorDatabase(url), restaurant)


def failing(found: integrity.IntegrityReport) -> dict[str, int]:
    return {check.name: len(check.violations) for check in found.checks if not check.ok}


def is_free(conn: Connection, label: str) -> bool:
    """Whether table ``label`` has no allocation at all."""
    used = conn.execute(
        "SELECT FROM allocations a JOIN tables t ON t.id = a.table_id WHERE t.label = %s",
        (label,),
    ).fetchone()
    return used is None


def free_table(conn: Connection, *, zone: str | None = None, not_zone: str | None = None) -> str:
    """A table with no allocation at all, in ``zone`` or outside ``not_zone``."""
    for table in VENUE.tables:
        if zone in (None, table.zone) and table.zone != not_zone and is_free(conn, table.label):
            return table.label
    raise AssertionError("no free table")


def seat_also(conn: Connection, booking: UUID, label: str) -> None:
    """Give ``booking`` one more table, for the same window as its others."""
    conn.execute(
        """
        INSERT INTO allocations (restaurant_id, table_id, booking_id, service_date, occupied)
        SELECT a.restaurant_id, t.id, a.booking_id, a.service_date, a.occupied
          FROM allocations a JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.label = %s
         WHERE a.booking_id = %s LIMIT 1
        """,
        (label, booking),
    )


def block(conn: Connection, restaurant_id: UUID, label: str, window: str | None) -> None:
    """A staff block owning one allocation of ``label`` for ``window`` (range text)."""
    block_id = uuid4()
    conn.execute(
        "INSERT INTO blocks (restaurant_id, id, start_at, end_at, created_by)"
        " VALUES (%s, %s, '2026-12-07 12:00Z', '2026-12-07 14:00Z', 'test')",
        (restaurant_id, block_id),
    )
    conn.execute(
        """
        INSERT INTO allocations (restaurant_id, table_id, block_id, service_date, occupied)
        SELECT %s, id, %s, '2026-12-07', %s::tstzrange FROM tables WHERE label = %s
        """,
        (restaurant_id, block_id, window, label),
    )


# --- a clean database --------------------------------------------------------------------


def test_bookings_made_by_the_booking_path_have_no_violations(booked: Booked) -> None:
    found = report(booked.url)

    assert found.ok, failing(found)
    assert found.violations == 0
    assert found.restaurants == ("white-horse",)
    assert [check.name for check in found.checks] == list(integrity.CHECKS)


def test_the_command_says_so_and_exits_0(reserve: Cli, booked: Booked) -> None:
    result = reserve("integrity")

    assert result.code == 0, result.out + result.err
    for name in integrity.CHECKS:
        assert name in result.out
    assert "no violations (white-horse)" in result.out


def test_json_has_every_check_and_the_counts(reserve: Cli, booked: Booked) -> None:
    result = reserve("integrity", "--restaurant", "white-horse", "--json")

    assert result.code == 0, result.err
    body = json.loads(result.out)
    assert body["restaurants"] == ["white-horse"]
    assert body["violations"] == 0
    assert set(body["checks"]) == set(integrity.CHECKS)
    assert all(c == {"ok": True, "count": 0, "violations": []} for c in body["checks"].values())


def test_an_unknown_restaurant_is_one_line_and_exit_1(reserve: Cli, booked: Booked) -> None:
    result = reserve("integrity", "--restaurant", "unknown")

    assert result.code == 1
    assert result.err.strip() == "error: no restaurant 'unknown'"
    assert result.out == ""
    with pytest.raises(NotFound):
        check_integrity(OperatorDatabase(booked.url), "unknown")


def test_a_database_without_restaurants_is_clean(database_url: str) -> None:
    found = report(database_url)

    assert found.ok
    assert found.restaurants == ()


def test_the_application_role_is_refused_rather_than_shown_an_empty_database(
    booked: Booked,
) -> None:
    database = Database(booked.url, min_size=1, max_size=1)
    database.open()
    try:
        with pytest.raises(ConfigurationError, match="owns"):
            check_integrity(database)
    finally:
        database.close()


# --- each check finds its own damage -------------------------------------------------------


def test_overlapping_allocations_are_found_once_the_constraint_is_gone(
    reserve: Cli, booked_fresh: Booked
) -> None:
    with connect(booked_fresh.url, autocommit=True) as conn:
        conn.execute("ALTER TABLE allocations DROP CONSTRAINT allocations_no_overlap")
        block(
            conn,
            booked_fresh.restaurant_id,
            booked_fresh.lunch_table,
            "[2026-12-07 12:30Z, 2026-12-07 13:30Z)",
        )

    found = report(booked_fresh.url)

    assert failing(found) == {integrity.OVERLAPPING_ALLOCATIONS: 1}
    (violation,) = found.check(integrity.OVERLAPPING_ALLOCATIONS).violations
    assert violation.restaurant == "white-horse"
    assert violation.details["table"] == booked_fresh.lunch_table
    first, second = violation.details["first"], violation.details["second"]
    assert isinstance(first, dict)
    assert isinstance(second, dict)
    assert {first["owner"], second["owner"]} == {"booking", "block"}
    assert "overlaps" in violation.summary
    result = reserve("integrity")
    assert result.code == 1
    assert integrity.OVERLAPPING_ALLOCATIONS in result.out
    assert "1 violation (white-horse)" in result.out


# Windows on one table, every way two can meet: apart, touching, sharing one instant at
# inclusive ends, nested, equal, starting together, unbounded, empty.
AWKWARD_WINDOWS = (
    "[2026-12-07 12:00Z, 2026-12-07 13:00Z)",
    "[2026-12-07 13:00Z, 2026-12-07 14:00Z)",  # touches the first: no overlap
    "[2026-12-07 14:00Z, 2026-12-07 15:00Z]",
    "[2026-12-07 15:00Z, 2026-12-07 15:30Z)",  # shares 15:00 with the one before
    "(2026-12-07 15:30Z, 2026-12-07 16:00Z)",
    "[2026-12-07 16:00Z, 2026-12-07 16:30Z)",  # after an exclusive end: no overlap
    "[2026-12-07 17:00Z, 2026-12-07 20:00Z)",
    "[2026-12-07 17:30Z, 2026-12-07 18:00Z)",  # inside the one before
    "[2026-12-07 18:30Z, 2026-12-07 19:00Z)",  # inside it too, not the one before
    "[2026-12-07 18:30Z, 2026-12-07 19:00Z)",  # the same window twice
    "[2026-12-08 12:00Z,)",
    "[2026-12-09 12:00Z, 2026-12-09 13:00Z)",  # inside the unbounded one
    "(,2026-12-06 12:00Z)",
    "(,2026-12-05 12:00Z)",
    "empty",
    "[2026-12-10 12:00Z, 2026-12-10 12:00Z]",  # one instant
    "[2026-12-10 12:00Z, 2026-12-10 13:00Z)",  # which it starts
)


def test_the_overlaps_found_are_every_pair_that_overlaps_and_no_other(
    booked_fresh: Booked,
) -> None:
    with connect(booked_fresh.url, autocommit=True) as conn:
        for constraint in ("no_overlap", "window_bounded", "window_short"):
            conn.execute(f"ALTER TABLE allocations DROP CONSTRAINT allocations_{constraint}")
        conn.execute("DELETE FROM allocations")
        for window in AWKWARD_WINDOWS:
            block(conn, booked_fresh.restaurant_id, booked_fresh.lunch_table, window)
        every_pair = conn.execute(
            """
            SELECT a.id AS first, o.id AS second
              FROM allocations a JOIN allocations o
                ON o.table_id = a.table_id AND a.id < o.id AND a.occupied && o.occupied
            """
        ).fetchall()
        found = store.overlapping_allocations(conn, [booked_fresh.restaurant_id])

    assert len(every_pair) == 10
    assert {(pair.first.id, pair.second.id) for pair in found} == {
        (row["first"], row["second"]) for row in every_pair
    }
    assert len(found) == len(every_pair)


def test_null_empty_and_unbounded_windows_are_found_once_the_check_is_gone(
    reserve: Cli, booked_fresh: Booked
) -> None:
    with connect(booked_fresh.url, autocommit=True) as conn:
        conn.execute("ALTER TABLE allocations DROP CONSTRAINT allocations_window_bounded")
        conn.execute("ALTER TABLE allocations ALTER COLUMN occupied DROP NOT NULL")
        tables = [t.label for t in VENUE.tables if t.zone == "garden"]
        block(conn, booked_fresh.restaurant_id, tables[0], None)
        block(conn, booked_fresh.restaurant_id, tables[1], "empty")
        block(conn, booked_fresh.restaurant_id, tables[2], "[2026-12-07 12:00Z,)")

    found = report(booked_fresh.url)

    assert failing(found) == {integrity.BAD_WINDOWS: 3}
    problems = {v.details["problem"] for v in found.check(integrity.BAD_WINDOWS).violations}
    assert problems == {"null", "empty", "unbounded"}
    result = reserve("integrity", "--json")
    assert result.code == 1
    body = json.loads(result.out)
    assert body["violations"] == 3
    assert body["checks"][integrity.BAD_WINDOWS]["count"] == 3
    assert body["checks"][integrity.BAD_WINDOWS]["ok"] is False


def test_a_confirmed_booking_without_tables_is_found(
    reserve: Cli, booked: Booked, operator: Connection
) -> None:
    operator.execute("DELETE FROM allocations WHERE booking_id = %s", (booked.lunch,))

    found = report(booked.url)

    assert failing(found) == {integrity.BOOKINGS_WITHOUT_TABLES: 1}
    (violation,) = found.check(integrity.BOOKINGS_WITHOUT_TABLES).violations
    assert violation.details["booking_id"] == str(booked.lunch)
    assert violation.details["start_at"] == "2026-12-07T12:00:00+00:00"
    result = reserve("integrity")
    assert result.code == 1
    assert integrity.BOOKINGS_WITHOUT_TABLES in result.out
    assert f"booking {violation.details['booking']}" in result.out


@pytest.mark.parametrize("status", ["cancelled", "no_show", "pending"])
def test_tables_still_held_by_a_freed_or_pending_booking_are_found(
    reserve: Cli, booked: Booked, operator: Connection, status: str
) -> None:
    operator.execute(
        "UPDATE bookings SET status = %s, pending_reason = %s WHERE id = %s",
        (status, "approval" if status == "pending" else None, booked.lunch),
    )

    found = report(booked.url)

    assert failing(found) == {integrity.TABLES_OF_FREED_BOOKINGS: 1}
    (violation,) = found.check(integrity.TABLES_OF_FREED_BOOKINGS).violations
    assert violation.details["tables"] == [booked.lunch_table]
    assert violation.details["status"] == status
    result = reserve("integrity")
    assert result.code == 1
    assert integrity.TABLES_OF_FREED_BOOKINGS in result.out


def test_a_window_that_disagrees_with_its_booking_is_found(
    reserve: Cli, booked: Booked, operator: Connection
) -> None:
    operator.execute(
        "UPDATE allocations SET occupied = tstzrange(lower(occupied),"
        " upper(occupied) + interval '15 minutes') WHERE booking_id = %s",
        (booked.lunch,),
    )

    found = report(booked.url)

    assert failing(found) == {integrity.WINDOWS_DISAGREEING: 1}
    (violation,) = found.check(integrity.WINDOWS_DISAGREEING).violations
    assert violation.details["table"] == booked.lunch_table
    expected, window = violation.details["expected"], violation.details["window"]
    assert isinstance(expected, dict)
    assert isinstance(window, dict)
    assert expected["end"] == "2026-12-07T13:05:00+00:00"  # lunch for 2: an hour, then 5
    assert window["end"] == "2026-12-07T13:20:00+00:00"
    result = reserve("integrity")
    assert result.code == 1
    assert integrity.WINDOWS_DISAGREEING in result.out


@pytest.mark.parametrize(
    "window",
    [
        "tstzrange(lower(occupied) + interval '15 minutes', upper(occupied))",
        "tstzrange(lower(occupied), upper(occupied), '[]')",
        "tstzrange(lower(occupied), upper(occupied) - interval '5 minutes')",
    ],
    ids=["starting-late", "closed", "without-buffer"],
)
def test_any_window_but_the_bookings_own_disagrees(
    booked: Booked, operator: Connection, window: str
) -> None:
    operator.execute(
        f"UPDATE allocations SET occupied = {window} WHERE booking_id = %s",  # type: ignore[arg-type]
        (booked.lunch,),
    )

    assert failing(report(booked.url)) == {integrity.WINDOWS_DISAGREEING: 1}


def test_a_completed_booking_may_end_early_but_not_late(
    booked: Booked, operator: Connection
) -> None:
    operator.execute("UPDATE bookings SET status = 'completed' WHERE id = %s", (booked.lunch,))
    operator.execute(
        "UPDATE allocations SET occupied = tstzrange(lower(occupied), lower(occupied)"
        " + interval '40 minutes') WHERE booking_id = %s",
        (booked.lunch,),
    )
    assert report(booked.url).ok

    operator.execute(
        "UPDATE allocations SET occupied = tstzrange(lower(occupied), lower(occupied)"
        " + interval '3 hours') WHERE booking_id = %s",
        (booked.lunch,),
    )
    assert failing(report(booked.url)) == {integrity.WINDOWS_DISAGREEING: 1}


def test_a_completed_booking_whose_party_left_before_its_start_keeps_a_mark(
    booked: Booked, operator: Connection
) -> None:
    # Seated early, gone before the window began: a microsecond ending when it was completed.
    operator.execute("UPDATE bookings SET status = 'completed' WHERE id = %s", (booked.lunch,))
    operator.execute(
        "UPDATE allocations SET occupied = tstzrange(lower(occupied) - interval '10 minutes'"
        " - interval '1 microsecond', lower(occupied) - interval '10 minutes')"
        " WHERE booking_id = %s",
        (booked.lunch,),
    )
    assert report(booked.url).ok

    operator.execute(
        "UPDATE allocations SET occupied = tstzrange(lower(occupied) - interval '1 second',"
        " upper(occupied)) WHERE booking_id = %s",
        (booked.lunch,),
    )
    assert failing(report(booked.url)) == {integrity.WINDOWS_DISAGREEING: 1}


def test_a_combination_across_zones_is_found(
    reserve: Cli, booked: Booked, operator: Connection
) -> None:
    other = free_table(operator, not_zone=ZONE_OF[booked.lunch_table])
    seat_also(operator, booked.lunch, other)

    found = report(booked.url)

    assert failing(found) == {integrity.BROKEN_COMBINATIONS: 1}
    (violation,) = found.check(integrity.BROKEN_COMBINATIONS).violations
    assert violation.details["tables"] == sorted([booked.lunch_table, other])
    assert "different zones" in violation.summary
    result = reserve("integrity")
    assert result.code == 1
    assert integrity.BROKEN_COMBINATIONS in result.out


def not_adjacent(conn: Connection, label: str) -> str:
    """A free table of ``label``'s zone that cannot be pushed against it."""
    for table in VENUE.tables:
        pair = frozenset((label, table.label))
        if (
            table.zone == ZONE_OF[label]
            and table.label != label
            and pair not in VENUE.adjacency
            and is_free(conn, table.label)
        ):
            return table.label
    raise AssertionError(f"every free table of {ZONE_OF[label]} is adjacent to {label}")


def test_tables_that_are_not_adjacent_break_the_adjacency_mode_unless_it_is_off(
    booked: Booked, operator: Connection
) -> None:
    apart = not_adjacent(operator, booked.lunch_table)
    seat_also(operator, booked.lunch, apart)

    (violation,) = report(booked.url).check(integrity.BROKEN_COMBINATIONS).violations
    assert violation.details["problems"] == ["not connected (allocator.adjacency_mode)"]

    operator_database = OperatorDatabase(booked.url)
    set_override(operator_database, "white-horse", "allocator.require_adjacency", "false")
    assert report(booked.url).check(integrity.BROKEN_COMBINATIONS).ok


def test_more_tables_than_allocator_max_tables_are_found(
    booked: Booked, operator: Connection
) -> None:
    zone = ZONE_OF[booked.lunch_table]
    for _ in range(3):
        seat_also(operator, booked.lunch, free_table(operator, zone=zone))

    (violation,) = report(booked.url).check(integrity.BROKEN_COMBINATIONS).violations
    assert "4 tables, more than allocator.max_tables (3)" in violation.summary


def test_a_real_combination_is_not_broken(booked: Booked, operator: Connection) -> None:
    tables = operator.execute(
        "SELECT count(*) AS n FROM allocations WHERE booking_id = %s", (booked.dinner_for_twelve,)
    ).fetchone()
    assert tables is not None
    assert tables["n"] >= 2
    assert report(booked.url).check(integrity.BROKEN_COMBINATIONS).ok


def test_a_party_above_its_table_is_found(
    reserve: Cli, booked: Booked, operator: Connection
) -> None:
    operator.execute("UPDATE bookings SET party_size = 9 WHERE id = %s", (booked.lunch,))

    found = report(booked.url)

    assert failing(found) == {integrity.OVER_CAPACITY: 1}
    (violation,) = found.check(integrity.OVER_CAPACITY).violations
    assert violation.details["party_size"] == 9
    assert violation.details["tables"] == [booked.lunch_table]
    result = reserve("integrity")
    assert result.code == 1
    assert integrity.OVER_CAPACITY in result.out


def test_a_party_above_the_seats_of_its_combination_is_found(
    booked: Booked, operator: Connection
) -> None:
    seats = operator.execute(
        "SELECT sum(t.capacity) AS seats FROM allocations a JOIN tables t ON t.id = a.table_id"
        " WHERE a.booking_id = %s",
        (booked.dinner_for_twelve,),
    ).fetchone()
    assert seats is not None
    operator.execute(
        "UPDATE bookings SET party_size = %s WHERE id = %s",
        (seats["seats"] + 1, booked.dinner_for_twelve),
    )

    (violation,) = report(booked.url).check(integrity.OVER_CAPACITY).violations
    assert violation.details["booking_id"] == str(booked.dinner_for_twelve)
    assert violation.details["capacity"] == seats["seats"]


def test_an_expired_hold_still_present_is_found(
    reserve: Cli, booked: Booked, operator: Connection
) -> None:
    hold_id = uuid4()
    operator.execute(
        """
        INSERT INTO holds (restaurant_id, id, party_size, service_date, local_time, start_at,
            end_at, expires_at)
        VALUES (%s, %s, 2, '2026-12-07', '12:00', '2026-12-07 12:00Z', '2026-12-07 13:30Z',
            now() - interval '1 hour')
        """,
        (booked.restaurant_id, hold_id),
    )
    label = free_table(operator)
    operator.execute(
        """
        INSERT INTO allocations (restaurant_id, table_id, hold_id, service_date, occupied)
        SELECT restaurant_id, id, %s, '2026-12-07', '[2026-12-07 12:00Z, 2026-12-07 13:35Z)'
          FROM tables WHERE label = %s
        """,
        (hold_id, label),
    )

    found = report(booked.url)

    assert failing(found) == {integrity.EXPIRED_HOLDS: 1}
    (violation,) = found.check(integrity.EXPIRED_HOLDS).violations
    assert violation.details["hold_id"] == str(hold_id)
    assert violation.details["tables"] == [label]
    result = reserve("integrity")
    assert result.code == 1
    assert integrity.EXPIRED_HOLDS in result.out

    assert reserve("prune").code == 0
    assert reserve("integrity").code == 0


def test_a_hold_expired_within_the_servers_purge_interval_is_not_a_violation(
    reserve: Cli, booked: Booked, operator: Connection, env: pytest.MonkeyPatch
) -> None:
    operator.execute(
        """
        INSERT INTO holds (restaurant_id, id, party_size, service_date, local_time, start_at,
            end_at, expires_at)
        VALUES (%s, %s, 2, '2026-12-07', '12:00', '2026-12-07 12:00Z', '2026-12-07 13:30Z',
            now() - interval '10 seconds')
        """,
        (booked.restaurant_id, uuid4()),
    )

    assert reserve("integrity").code == 0  # the server purges it within a minute

    env.setenv("RESERVE_PRUNE_SECONDS", "5")
    result = reserve("integrity")
    assert result.code == 1
    assert integrity.EXPIRED_HOLDS in result.out


def test_one_restaurant_is_checked_alone(booked: Booked, operator: Connection) -> None:
    operator.execute("DELETE FROM allocations WHERE booking_id = %s", (booked.lunch,))
    save_venue(operator, replace(VENUE, slug="the-other"))

    assert report(booked.url, "the-other").ok
    assert report(booked.url, "the-other").restaurants == ("the-other",)
    assert not report(booked.url, "white-horse").ok
    assert report(booked.url).restaurants == ("the-other", "white-horse")


# --- the Typer app on its own ----------------------------------------------------------------


def test_the_typer_app_runs_on_its_own(
    env: pytest.MonkeyPatch, booked: Booked, operator: Connection
) -> None:
    runner = CliRunner()
    assert runner.invoke(integrity_cli.app, []).exit_code == 0

    operator.execute("DELETE FROM allocations WHERE booking_id = %s", (booked.lunch,))
    result = runner.invoke(integrity_cli.app, ["--json"])

    assert result.exit_code == 1
    assert json.loads(result.stdout)["checks"][integrity.BOOKINGS_WITHOUT_TABLES]["count"] == 1
