"""The outlook the allocator reads: the demand learned from earlier weeks' records, less the
requests already seen for the day, each kind of party at the window the venue gives it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest

from reserve.db import demand as records
from reserve.db.database import Connection, Database
from reserve.db.venues import save_venue
from reserve.domain.allocator import Expected, Outlook
from reserve.domain.demand import Outcome
from reserve.services.admission import current_limits
from reserve.services.context import Context
from reserve.services.day_limits import STALE_SECONDS, DayLimits
from reserve.services.demand import forecast, remaining_outlook
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # a Tuesday; London keeps GMT in December
MONDAY = date(2026, 12, 7)
EARLIER_MONDAYS = (date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30))


@pytest.fixture
def database(database_url: str, admin: Connection) -> Iterator[Database]:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    database = Database(database_url, min_size=1, max_size=2)
    database.open()
    yield database
    database.close()


def record(
    database: Database,
    day: date,
    at: str,
    party_size: int,
    outcome: Outcome = Outcome.CONFIRMED,
    times: int = 1,
) -> None:
    with database.transaction() as conn:
        state = VenueStates().scoped(conn, "white-horse")
        for _ in range(times):
            records.record(
                conn,
                state.restaurant_id,
                received_at=NOW - timedelta(days=1),
                service_date=day,
                local_time=time.fromisoformat(at),
                party_size=party_size,
                kind="booking",
                source="web",
                outcome=outcome,
            )


def outlook_for(context: Context, day: date = MONDAY) -> Outlook | None:
    with context.database.transaction() as conn:
        state = context.venues.scoped(conn, "white-horse")
        return remaining_outlook(context, conn, state, day)


def at(clock: str) -> float:
    """A Monday instant in epoch seconds."""
    return datetime.fromisoformat(f"{MONDAY}T{clock}+00:00").timestamp()


@pytest.fixture
def history(database: Database) -> None:
    """Three earlier Mondays, each with two requests for a two at 19:00, one for a four at
    20:00 (turned away) and five for 23:00 (not offered, so no demand at all); and on the
    first of them three for a four at 21:30, a start Monday does not offer a four now (it
    stays 75 minutes, past closing at 22:00)."""
    for day in EARLIER_MONDAYS:
        record(database, day, "19:00", 2, times=2)
        record(database, day, "20:00", 4, Outcome.FULL)
        record(database, day, "23:00", 2, Outcome.NOT_OFFERED, times=5)
    record(database, EARLIER_MONDAYS[0], "21:30", 4, Outcome.FULL, times=3)


def context_at(database: Database, now: datetime = NOW) -> Context:
    return Context(database, VenueStates(), "test-secret", clock=lambda: now)


def test_with_no_request_seen_yet_the_whole_usual_day_is_expected(
    database: Database, history: None
) -> None:
    assert outlook_for(context_at(database)) == Outlook(
        (
            Expected(2, at("19:00"), at("20:05"), 2.0),  # 60 minutes and the 5 minute buffer
            Expected(4, at("20:00"), at("21:20"), 1.0),
        )
    )


def test_the_requests_seen_for_the_day_scale_down_what_is_still_expected(
    database: Database, history: None
) -> None:
    # The day usually brings four requests (2 + 1 + 1 for the 21:30 four); two were made.
    record(database, MONDAY, "12:00", 2)
    record(database, MONDAY, "19:00", 4, Outcome.FULL)
    record(database, MONDAY, "23:00", 2, Outcome.NOT_OFFERED, times=4)  # not counted

    outlook = outlook_for(context_at(database))

    assert outlook == Outlook(
        (
            Expected(2, at("19:00"), at("20:05"), pytest.approx(2.0 * 2 / 4)),
            Expected(4, at("20:00"), at("21:20"), pytest.approx(1.0 * 2 / 4)),
        )
    )


def test_a_day_busier_than_usual_expects_nothing_more(database: Database, history: None) -> None:
    record(database, MONDAY, "19:00", 2, times=5)

    assert outlook_for(context_at(database)) == Outlook(())


def test_no_history_is_no_outlook(database: Database) -> None:
    record(database, MONDAY, "19:00", 2)  # the day itself is no history yet
    record(database, date(2026, 9, 7), "19:00", 2)  # nor is a Monday before the eight weeks

    assert outlook_for(context_at(database)) is None


def test_a_forecast_is_learned_once_and_kept(database: Database, history: None) -> None:
    context = context_at(database)
    with database.transaction() as conn:
        state = context.venues.scoped(conn, "white-horse")
        learned = forecast(context, conn, state, MONDAY)
    assert learned is not None
    assert (learned.requests, learned.days, learned.same_weekday) == (4.0, 3, True)

    record(database, EARLIER_MONDAYS[1], "19:00", 2, times=30)

    with database.transaction() as conn:
        assert forecast(context, conn, state, MONDAY) == learned
    with database.transaction() as conn:
        fresh = context_at(database)
        assert forecast(fresh, conn, fresh.venues.scoped(conn, "white-horse"), MONDAY) != learned


def test_without_history_the_limits_are_solved_again_with_no_transaction(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first solve learns there is no forecast; after that a commit on the day asks for
    nothing, and a stale entry is answered from the forecasts kept, not the database."""
    clock = [0.0]
    limits = DayLimits(monotonic=lambda: clock[0])
    context = Context(database, VenueStates(), "test-secret", clock=lambda: NOW, limits=limits)
    with database.transaction() as conn:
        state = context.venues.scoped(conn, "white-horse")
    assert current_limits(context, state, MONDAY) is None
    assert context.limits.settle(10)
    transactions: list[object] = []
    run = database.run
    monkeypatch.setattr(database, "run", lambda *a, **k: transactions.append(a) or run(*a, **k))

    context.limits.changed([f"{state.restaurant_id} {MONDAY.isoformat()}"])
    assert context.limits.settle(10)
    clock[0] = STALE_SECONDS + 1
    assert current_limits(context, state, MONDAY) is None
    assert context.limits.settle(10)

    assert transactions == []
