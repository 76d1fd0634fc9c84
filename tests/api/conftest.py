"""The app under test: built by the factory against a database, driven through its lifespan.

Booking tests drive an app whose use cases read a clock the test sets by hand
(``clock``), on the White Horse's Monday 2026-12-07 as seen from Tuesday 2026-12-01.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from anyio import to_thread
from fastapi.testclient import TestClient

from reserve.api.app import create_app
from reserve.config import PLACEHOLDER_SECRET, Settings
from reserve.db.database import Connection, Database, OperatorDatabase
from reserve.db.venues import VenueSaved, save_venue
from reserve.domain.access import Role
from reserve.services.context import Context
from reserve.services.keys import create_key
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

ClientFor = Callable[[str], AbstractContextManager[TestClient]]

PROBLEM_JSON = "application/problem+json"
# The White Horse opens Monday to Friday 12:00-22:00; London keeps GMT in December.
MONDAY = "2026-12-07"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
# High enough that no test but the rate limit's own ever meets the limit.
UNLIMITED = 1_000_000


@contextmanager
def _client_for(url: str) -> Iterator[TestClient]:
    """A client of an app whose pool points at ``url``; leaving the block closes the pool."""
    settings = Settings(database_url=url, env="test")
    app = create_app(settings, Database(url, min_size=1, max_size=4, timeout=1.0))
    with TestClient(app) as client:  # runs the lifespan, which opens and closes the pool
        yield client


@pytest.fixture
def client_for() -> ClientFor:
    """Build an app against any database URL (unreachable ones included)."""
    return _client_for


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """A client of the app against the worker's migrated test database."""
    with _client_for(database_url) as client:
        yield client


@pytest.fixture
def white_horse(admin: Connection) -> VenueSaved:
    """The demo venue, loaded as it ships."""
    return save_venue(admin, read_venue_file(DEMO_VENUE))


# --- booking over HTTP -------------------------------------------------------------------


class ManualClock:
    """The booking service's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


ApiFor = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def api_for(database_url: str, clock: ManualClock) -> ApiFor:
    """Build the app against the test database, its use cases on ``clock``."""

    @contextmanager
    def build(*, public_rate_limit: int = UNLIMITED) -> Iterator[TestClient]:
        settings = Settings(
            database_url=database_url,
            env="test",
            secret_key=PLACEHOLDER_SECRET,
            public_rate_limit=public_rate_limit,
        )
        database = Database(database_url, min_size=1, max_size=8, timeout=2)
        context = Context(
            database, VenueStates(), settings.secret_key.get_secret_value(), clock=clock
        )
        app = create_app(settings, database, context, background=False)
        with TestClient(app) as client:
            yield client

    return build


@pytest.fixture
def api(api_for: ApiFor) -> Iterator[TestClient]:
    """The app on the test clock, with no practical rate limit."""
    with api_for() as client:
        yield client


Ask = Callable[..., httpx.Response]
BusyThreads = Callable[[TestClient], AbstractContextManager[Ask]]


@pytest.fixture
def every_thread_busy() -> BusyThreads:
    """Inside ``with every_thread_busy(client) as ask:`` every request thread of the app is
    taken, as by requests waiting on the database; ``ask(method, url, **kwargs)`` sends a
    request and fails the test if no answer comes within ten seconds."""

    @contextmanager
    def hold(client: TestClient) -> Iterator[Ask]:
        portal = client.portal
        assert portal is not None
        limiter = portal.call(to_thread.current_default_thread_limiter)
        borrowers = [object() for _ in range(int(limiter.total_tokens))]
        for borrower in borrowers:
            portal.call(limiter.acquire_on_behalf_of_nowait, borrower)
        pool = ThreadPoolExecutor(1)

        def ask(method: str, url: str, **kwargs: Any) -> httpx.Response:
            return pool.submit(client.request, method, url, **kwargs).result(timeout=10)

        try:
            yield ask
        finally:
            for borrower in borrowers:  # lets a request stuck waiting for a thread finish
                portal.call(limiter.release_on_behalf_of, borrower)
            pool.shutdown()

    return hold


KeyFor = Callable[..., dict[str, str]]


@pytest.fixture
def key_for(operator: OperatorDatabase) -> KeyFor:
    """Headers carrying a new key: ``key_for("white-horse")`` (staff) or ``key_for(None)``
    (admin)."""

    def make(restaurant: str | None) -> dict[str, str]:
        role = Role.ADMIN if restaurant is None else Role.STAFF
        _, key = create_key(
            operator,
            PLACEHOLDER_SECRET,
            role=role,
            restaurant=restaurant,
            name="t",
        )
        return {"Authorization": f"Bearer {key}"}

    return make


@pytest.fixture
def staff(white_horse: VenueSaved, key_for: KeyFor) -> dict[str, str]:
    """Headers of a staff key of the White Horse."""
    return key_for("white-horse")


def booking_payload(
    party_size: int = 2, time: str = "19:00", date: str = MONDAY, **extra: Any
) -> dict[str, Any]:
    return {
        "party_size": party_size,
        "date": date,
        "time": time,
        "guest": {"name": "Ada Lovelace", "email": "ada@example.com"},
        **extra,
    }


Book = Callable[..., httpx.Response]


@pytest.fixture
def book(api: TestClient) -> Book:
    """POST a booking of the White Horse (``slug=`` another), each with a fresh
    Idempotency-Key unless ``key=`` is given; other keywords go into the body."""

    def post(
        party_size: int = 2,
        time: str = "19:00",
        date: str = MONDAY,
        *,
        slug: str = "white-horse",
        key: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        return api.post(
            f"/v1/restaurants/{slug}/bookings",
            json=booking_payload(party_size, time, date, **extra),
            headers={"Idempotency-Key": key or str(uuid4()), **(headers or {})},
        )

    return post


ProblemCheck = Callable[[httpx.Response, int, str], dict[str, Any]]


def assert_problem(response: httpx.Response, status: int, problem_type: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem of this status and type; its body is returned."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["type"] == problem_type, body
    assert body["status"] == status
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


@pytest.fixture
def problem() -> ProblemCheck:
    """``problem(response, 409, "no-availability")`` checks the problem and returns its body."""
    return assert_problem


WindowsOf = Callable[..., list[tuple[str, ...]]]


@pytest.fixture
def windows_of() -> WindowsOf:
    """``windows_of(api, staff, booking_id)``: the booking's allocations on Monday's
    timeline (``day=`` another's), as (table, start, end)."""

    def read(
        api: TestClient, staff: dict[str, str], booking_id: str, day: str = MONDAY
    ) -> list[tuple[str, ...]]:
        response = api.get(
            "/v1/restaurants/white-horse/timeline", params={"date": day}, headers=staff
        )
        assert response.status_code == 200, response.text
        return [
            (table["label"], allocation["start_at"], allocation["end_at"])
            for table in response.json()["tables"]
            for allocation in table["allocations"]
            if allocation.get("booking_id") == booking_id
        ]

    return read


# --- a booking's lifecycle through the staff API ----------------------------------------


def made(response: httpx.Response) -> dict[str, Any]:
    """The booking a request made (confirmed or pending)."""
    assert response.status_code in (201, 202), response.text
    booking: dict[str, Any] = response.json()
    return booking


def set_status(
    api: TestClient, staff: dict[str, str], booking: dict[str, Any], status: str
) -> httpx.Response:
    return api.post(f"/v1/bookings/{booking['id']}/status", json={"status": status}, headers=staff)


def move_to_status(
    api: TestClient, staff: dict[str, str], booking: dict[str, Any], *statuses: str
) -> dict[str, Any]:
    """The booking moved through ``statuses`` in turn, each change accepted."""
    body = booking
    for status in statuses:
        response = set_status(api, staff, booking, status)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == status
    return body
