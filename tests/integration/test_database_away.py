"""While the database is away, stopped or frozen, every request answers 503 with Retry-After
(pages as pages) without waiting past its deadline, /healthz stays 200 and /readyz says 503;
once the database is back the pool serves again within a second or so, and no connection the
outage broke is handed to a request. On a server of the tests' own (``private_server``), on
its Unix socket as the embedded one is, and on TCP as an external one."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.e2e.processes import free_port
from tests.integration.private_server import PrivateServer

from reserve.api.app import create_app
from reserve.config import Settings
from reserve.db.database import Connection, Database, connect
from reserve.db.venues import save_venue
from reserve.domain.errors import DatabaseUnavailable
from reserve.services.live import FloorFeed
from reserve.services.venues import DEMO_VENUE, read_venue_file

PROBLEM_JSON = "application/problem+json"
STATEMENT_TIMEOUT_MS = 1_000
DEADLINE = STATEMENT_TIMEOUT_MS / 1000 + 1.0  # the default: the statement timeout and a second
POOL_TIMEOUT = 5.0
ANSWERED_AWAY_WITHIN = 0.75  # once the pool knows, it waits 0.2 s for a connection
RECOVERED_WITHIN = 1.5  # from the server accepting connections to a request served
MARGIN = 0.75
VENUE = "/v1/restaurants/white-horse"


def _server(data_dir: Path, tcp_port: int | None = None) -> Iterator[PrivateServer]:
    server = PrivateServer(data_dir, tcp_port=tcp_port)
    with connect(server.url, autocommit=True) as conn:
        save_venue(conn, read_venue_file(DEMO_VENUE))
        conn.execute("CREATE TABLE probe (n int)")
        conn.execute("GRANT SELECT, INSERT ON probe TO reserve_app")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def on_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateServer]:
    yield from _server(tmp_path_factory.mktemp("socket-server"))


@pytest.fixture(scope="module")
def on_tcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateServer]:
    yield from _server(tmp_path_factory.mktemp("tcp-server"), free_port())


@pytest.fixture(params=["socket", "tcp"])
def server(request: pytest.FixtureRequest) -> Iterator[PrivateServer]:
    """Each test on both servers; whatever it did, the next finds the server up."""
    private: PrivateServer = request.getfixturevalue(f"on_{request.param}")
    private.ensure_up()
    with connect(private.url, autocommit=True) as conn:
        conn.execute("TRUNCATE probe")
    yield private
    private.ensure_up()


@pytest.fixture
def database(server: PrivateServer) -> Iterator[Database]:
    database = Database(
        server.url, min_size=2, max_size=4, timeout=POOL_TIMEOUT,
        statement_timeout_ms=STATEMENT_TIMEOUT_MS,
    )  # fmt: skip
    database.open()
    yield database
    database.close()


@pytest.fixture
def client(server: PrivateServer, database: Database) -> Iterator[TestClient]:
    settings = Settings(
        database_url=server.url, env="test", statement_timeout_ms=STATEMENT_TIMEOUT_MS
    )
    with TestClient(create_app(settings, database, background=False)) as client:
        yield client


def timed(call: Callable[[], Any], within: float) -> tuple[Any, float]:
    """``call()`` and how long it took; failed (not hung) when it takes more than ``within``
    seconds (it goes on in its thread, and ends when the test thaws the server)."""
    outcome: list[Any] = []
    raised: list[BaseException] = []

    def calling() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # handed to the test's thread
            raised.append(error)

    began = time.monotonic()
    thread = threading.Thread(target=calling, daemon=True)
    thread.start()
    thread.join(within)
    took = time.monotonic() - began
    assert not thread.is_alive(), f"still waiting after {took:.1f} s"
    if raised:
        raise raised[0]
    return outcome[0], took


def served_again(client: TestClient) -> float:
    """Seconds until the venue is served again, asking as a client would, once a tenth."""
    began = time.monotonic()
    while client.get(VENUE).status_code != 200:
        assert time.monotonic() - began < 10, "not served again within 10 s"
        time.sleep(0.1)
    return time.monotonic() - began


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == "service-unavailable"
    assert int(response.headers["retry-after"]) > 0


def select_one(conn: Connection) -> object:
    return conn.execute("SELECT 1 AS one").fetchone()


def test_while_the_database_is_stopped_every_request_answers_503_at_once(
    server: PrivateServer, client: TestClient
) -> None:
    assert client.get(VENUE).status_code == 200
    server.stop()

    first, took_first = timed(lambda: client.get(VENUE), POOL_TIMEOUT)
    assert_unavailable(first)
    assert took_first < ANSWERED_AWAY_WITHIN
    then, took = timed(lambda: client.get(VENUE), POOL_TIMEOUT)
    assert_unavailable(then)
    assert took < ANSWERED_AWAY_WITHIN
    page, took = timed(lambda: client.get("/r/white-horse"), POOL_TIMEOUT)
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert int(page.headers["retry-after"]) > 0
    assert took < ANSWERED_AWAY_WITHIN
    assert client.get("/healthz").status_code == 200
    ready, took = timed(lambda: client.get("/readyz"), POOL_TIMEOUT)
    assert ready.status_code == 503
    assert took < ANSWERED_AWAY_WITHIN

    server.start()
    assert served_again(client) < RECOVERED_WITHIN
    assert client.get("/readyz").status_code == 200


def test_after_a_long_outage_the_pool_serves_within_a_second_of_the_restart(
    server: PrivateServer, client: TestClient
) -> None:
    """psycopg_pool alone would wait 1, 2, 4, 8 s... between attempts: 16 s by now."""
    assert client.get(VENUE).status_code == 200
    server.stop()
    outage = time.monotonic() + 12
    while time.monotonic() < outage:
        assert_unavailable(client.get(VENUE))
        time.sleep(0.5)

    server.start()
    assert served_again(client) < RECOVERED_WITHIN


def test_no_connection_broken_by_a_restart_is_handed_to_a_request(
    server: PrivateServer, database: Database, client: TestClient
) -> None:
    """Restarted while the pool sat idle: every idle connection is dead, and none may fail
    the requests that come after."""
    assert database.pool.get_stats()["pool_available"] == 2
    server.stop()
    server.start()
    statuses = [client.get(VENUE).status_code for _ in range(12)]
    assert statuses == [200] * 12


def test_while_the_database_is_frozen_a_request_answers_503_at_its_deadline(
    server: PrivateServer, client: TestClient
) -> None:
    assert client.get(VENUE).status_code == 200
    server.freeze()
    try:
        first, took = timed(lambda: client.get(VENUE), DEADLINE + POOL_TIMEOUT)
        assert_unavailable(first)
        assert took < DEADLINE + MARGIN
        assert client.get("/healthz").status_code == 200
        ready, took = timed(lambda: client.get("/readyz"), DEADLINE + POOL_TIMEOUT)
        assert ready.status_code == 503
        assert took < DEADLINE + MARGIN
        page, took = timed(lambda: client.get("/r/white-horse"), DEADLINE + POOL_TIMEOUT)
        assert page.status_code == 503
        assert int(page.headers["retry-after"]) > 0
        assert took < DEADLINE + MARGIN
    finally:
        server.thaw()

    assert served_again(client) < RECOVERED_WITHIN
    statuses = [client.get(VENUE).status_code for _ in range(12)]
    assert statuses == [200] * 12  # no connection the freeze broke comes back


def test_a_statement_the_frozen_server_never_answered_leaves_nothing_behind(
    server: PrivateServer, database: Database
) -> None:
    def insert(conn: Connection) -> None:
        server.freeze()
        conn.execute("INSERT INTO probe VALUES (1)")

    try:
        with pytest.raises(DatabaseUnavailable, match="no answer"):
            timed(lambda: database.run(insert), DEADLINE + MARGIN)
    finally:
        server.thaw()
    time.sleep(0.5)  # the backend, awake, finds its client gone and rolls back
    with connect(server.url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) AS n FROM probe").fetchone() == {"n": 0}


def test_a_commit_sent_to_a_frozen_server_may_land_when_it_thaws(
    server: PrivateServer, database: Database
) -> None:
    """The client gave up (503: not done as far as it knows), yet the server had the COMMIT
    and carries it out when it wakes. Hence the retry contract: the same Idempotency-Key
    either books now or answers with what the first attempt did."""

    def insert_then_freeze(conn: Connection) -> None:
        conn.execute("INSERT INTO probe VALUES (1)")
        server.freeze()  # the COMMIT goes out after this

    try:
        with pytest.raises(DatabaseUnavailable, match="no answer"):
            timed(lambda: database.run(insert_then_freeze), DEADLINE + MARGIN)
    finally:
        server.thaw()
    deadline = time.monotonic() + 5
    while True:
        with connect(server.url, autocommit=True) as conn:
            row = conn.execute("SELECT count(*) AS n FROM probe").fetchone()
        if row == {"n": 1} or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert row == {"n": 1}
    assert database.run(select_one) == {"one": 1}


def test_the_floor_listener_hears_again_within_a_second_of_a_restart(
    on_socket: PrivateServer,
) -> None:
    """Its pause between attempts grows to a second, not to ten (which it had reached by
    the end of this outage)."""
    on_socket.ensure_up()

    async def scenario() -> float:
        feed = FloorFeed(Database(on_socket.url).conninfo)
        feed.start()
        try:
            await until(lambda: feed.connections == 1)
            await asyncio.to_thread(on_socket.stop)
            await asyncio.sleep(12)
            await asyncio.to_thread(on_socket.start)
            began = time.monotonic()
            await until(lambda: feed.connections == 2)
            return time.monotonic() - began
        finally:
            await feed.stop()

    try:
        assert asyncio.run(scenario()) < RECOVERED_WITHIN
    finally:
        on_socket.ensure_up()


async def until(test: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not test():
        assert time.monotonic() < deadline, "waited in vain"
        await asyncio.sleep(0.02)


def test_the_deadline_is_the_statement_timeout_and_a_second_unless_set() -> None:
    url = "postgresql://reserve@127.0.0.1:1/reserve"
    default = Database.from_settings(Settings(database_url=url, statement_timeout_ms=2_500))
    chosen = Database.from_settings(Settings(database_url=url, request_deadline_ms=8_000))
    assert (default.deadline, chosen.deadline) == (3.5, 8.0)
