"""What ``reserve serve`` writes to its log besides uvicorn's own lines."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from processes import command_environment, free_port, next_monday, running

from reserve.db.database import Connection, OperatorDatabase
from reserve.db.venues import save_venue
from reserve.domain.access import Role
from reserve.services.keys import create_key
from reserve.services.venues import DEMO_VENUE, read_venue_file

pytestmark = pytest.mark.e2e

SECRET = "server-log-test-secret"


def book_monday(base_url: str, headers: dict[str, str]) -> httpx.Response:
    """A party of two at 19:00 next Monday, through the JSON API."""
    return httpx.post(
        f"{base_url}/v1/restaurants/white-horse/bookings",
        json={
            "party_size": 2,
            "date": next_monday().isoformat(),
            "time": "19:00",
            "guest": {"name": "Ada", "email": "ada@example.com"},
        },
        headers={**headers, "Idempotency-Key": "k1"},
    )


def test_capacity_profiling_writes_each_allocations_stage_times_to_the_servers_log(
    tmp_path: Path, admin: Connection, database_url: str
) -> None:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    _, key = create_key(
        OperatorDatabase(database_url), SECRET, role=Role.STAFF, restaurant="white-horse", name="t"
    )
    port = free_port()
    environ = command_environment(
        RESERVE_DATABASE_URL=database_url,
        RESERVE_ENV="test",
        RESERVE_SECRET_KEY=SECRET,
        DEBUG_CAPACITY_PROFILING="true",
    )
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(args, environ, tmp_path / "serve.log", port) as server:
        server.wait_until_ready()
        response = book_monday(server.base_url, {"Authorization": f"Bearer {key}"})
        assert response.status_code == 201, response.text
        tables = "+".join(response.json()["tables"])
        deadline = time.monotonic() + 10
        while "candidates_ms" not in server.output() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = server.output()

    lines = [line for line in log.splitlines() if "candidates_ms" in line]
    assert len(lines) == 1, log
    assert f"allocated {tables} for 2 at white-horse " in lines[0]
    assert "lookahead_ms" in lines[0]
    assert "total_ms" in lines[0]


def test_the_servers_log_never_holds_a_manage_token(
    tmp_path: Path, admin: Connection, database_url: str
) -> None:
    """The manage link's token is in its path; at the most verbose log level, visiting the
    page, a page of it that fails and a wrong token leave no trace of it in the log."""
    save_venue(admin, read_venue_file(DEMO_VENUE))
    port = free_port()
    environ = command_environment(
        RESERVE_DATABASE_URL=database_url,
        RESERVE_ENV="test",
        RESERVE_SECRET_KEY=SECRET,
        RESERVE_LOG_LEVEL="debug",
    )
    args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with running(args, environ, tmp_path / "serve.log", port) as server:
        server.wait_until_ready()
        booked = book_monday(server.base_url, {}).json()
        token = booked["manage_token"]
        manage = f"{server.base_url}/b/{booked['id']}/{token}"
        assert httpx.get(manage).status_code == 200
        assert httpx.get(manage + "/calendar.ics").status_code == 200
        assert httpx.post(manage + "/cancel", data={"csrf_token": "x"}).status_code == 403
        assert httpx.get(f"{server.base_url}/b/{booked['id']}/{token[:-1]}").status_code == 404
        log = server.output()

    assert token not in log
    assert token[:12] not in log
