"""Extending a hold against real PostgreSQL: the schema bounds the count as the domain does,
and extensions racing for the last of them never pass the limit (STYLE habit 4: the row
lock is what keeps the answer right, shown with it switched off)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from time import sleep
from typing import Any
from uuid import UUID

import psycopg
import pytest

from reserve.db import holds as store
from reserve.db.database import Connection, Database
from reserve.db.venues import save_venue
from reserve.domain.errors import HoldExtensionLimit, ReserveError, Unstorable
from reserve.domain.limits import MAX_HOLD_EXTENSIONS
from reserve.services.context import Context
from reserve.services.holds import extend_hold, place_hold
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

MONDAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
RACERS = 6
LEFT = 2  # extensions the hold has left when the racers start
READ_TO_WRITE_DELAY = 0.05  # seconds ``slow_reading`` waits after reading the hold


@pytest.fixture
def context(database_url: str, admin: Connection) -> Iterator[Context]:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    database = Database(database_url, min_size=RACERS + 2, max_size=RACERS + 2)
    database.open(wait=True)  # every racer's connection made before the race
    yield Context(database, VenueStates(), "test-secret", clock=lambda: NOW)
    database.close()


def extensions(admin: Connection, hold_id: UUID) -> int:
    row = admin.execute("SELECT extensions FROM holds WHERE id = %s", (hold_id,)).fetchone()
    assert row is not None
    return int(row["extensions"])


def nearly_spent_hold(context: Context, admin: Connection) -> UUID:
    hold_id = place_hold(context, "white-horse", 2, MONDAY, time(19), None).id
    admin.execute(
        "UPDATE holds SET extensions = %s WHERE id = %s", (MAX_HOLD_EXTENSIONS - LEFT, hold_id)
    )
    return hold_id


def slow_reading(patch: pytest.MonkeyPatch, *, lock: bool) -> None:
    """Reading the hold pauses before the extension decides and writes, so that every racer
    reads it before any writes unless the read's lock makes them wait; ``lock=False`` reads
    it as if ``get_hold`` took no lock, and then every racer waits until all have read, so
    that none can see another's write however the threads are scheduled."""
    read = store.get_hold
    all_read = threading.Barrier(RACERS)

    def slowly(*args: Any, **kwargs: Any) -> store.StoredHold | None:
        hold = read(*args, **{**kwargs, "lock": lock})
        if lock:
            sleep(READ_TO_WRITE_DELAY)
        else:
            all_read.wait(timeout=30)
        return hold

    patch.setattr(store, "get_hold", slowly)


def race(context: Context, hold_id: UUID) -> list[str]:
    """``RACERS`` extensions of one hold released together: each one's outcome."""
    start = threading.Barrier(RACERS)

    def one() -> str:
        start.wait()
        try:
            extend_hold(context, hold_id)
        except ReserveError as error:
            return type(error).__name__
        return "extended"

    with ThreadPoolExecutor(RACERS) as pool:
        futures = [pool.submit(one) for _ in range(RACERS)]
        return sorted(future.result(timeout=30) for future in futures)


def outcomes(extended: int, refused: str) -> list[str]:
    return sorted(["extended"] * extended + [refused] * (RACERS - extended))


def test_the_schema_bounds_extensions_as_the_domain_does(
    context: Context, admin: Connection
) -> None:
    hold_id = place_hold(context, "white-horse", 2, MONDAY, time(19), None).id
    admin.execute("UPDATE holds SET extensions = %s WHERE id = %s", (MAX_HOLD_EXTENSIONS, hold_id))

    with pytest.raises(psycopg.errors.CheckViolation) as refused:
        admin.execute(
            "UPDATE holds SET extensions = %s WHERE id = %s", (MAX_HOLD_EXTENSIONS + 1, hold_id)
        )

    assert refused.value.diag.constraint_name == "holds_extensions"


def test_extensions_racing_for_the_last_ones_never_pass_the_limit(
    context: Context, admin: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_id = nearly_spent_hold(context, admin)
    slow_reading(monkeypatch, lock=True)

    assert race(context, hold_id) == outcomes(LEFT, HoldExtensionLimit.__name__)
    assert extensions(admin, hold_id) == MAX_HOLD_EXTENSIONS


def test_without_the_row_lock_racing_extensions_get_past_the_limit_check(
    context: Context, admin: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The negative control: every racer reads the count before any writes, so all of them
    # pass the check; only the schema's CHECK stops the writes past the limit, and those
    # guests get a refusal of the wrong kind (the request "breaks holds_extensions").
    hold_id = nearly_spent_hold(context, admin)
    slow_reading(monkeypatch, lock=False)

    assert race(context, hold_id) == outcomes(LEFT, Unstorable.__name__)
    assert extensions(admin, hold_id) == MAX_HOLD_EXTENSIONS


def test_an_extension_never_shortens_a_hold(context: Context, admin: Connection) -> None:
    # A venue that shortened its hold time since: the hold keeps the later expiry.
    hold_id = place_hold(context, "white-horse", 2, MONDAY, time(19), None).id
    later = NOW + timedelta(minutes=10)
    admin.execute("UPDATE holds SET expires_at = %s WHERE id = %s", (later, hold_id))

    extended = extend_hold(context, hold_id)

    assert extended.expires_at == later
    assert extended.extensions_left == MAX_HOLD_EXTENSIONS - 1
