"""``reserve serve``'s log as an operator's collector reads it: piped, every line a JSON
object, one for each request, never a key, token, guest contact or path; and as text when
asked, from every worker."""

from __future__ import annotations

import json
import re
import time
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from processes import Server, command_environment, free_port, next_monday, running

from reserve.db.database import Connection, OperatorDatabase
from reserve.db.venues import save_venue
from reserve.domain.access import Role
from reserve.services.keys import create_key
from reserve.services.venues import DEMO_VENUE, read_venue_file

pytestmark = pytest.mark.e2e

SECRET = "serve-logs-test-secret"
ISO_UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
REQUEST_FIELDS = {"time", "level", "logger", "message", "request_id", "method", "route"}
REQUEST_FIELDS |= {"status", "duration_ms"}


def staff_key(database_url: str) -> str:
    _, key = create_key(
        OperatorDatabase(database_url), SECRET, role=Role.STAFF, restaurant="white-horse", name="t"
    )
    return key


def serve(
    database_url: str, tmp_path: Path, workers: int, **settings: str
) -> AbstractContextManager[Server]:
    port = free_port()
    environ = command_environment(
        RESERVE_DATABASE_URL=database_url,
        RESERVE_ENV="test",
        RESERVE_SECRET_KEY=SECRET,
        **settings,
    )
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    return running(args, environ, tmp_path / "serve.log", port)


def wait_for_lines(server: Server, ids: set[str]) -> None:
    """Until the log names every request of ``ids`` (each worker writes as it answers, and
    the log is read from outside)."""
    deadline = time.monotonic() + 10
    while not all(one in server.output() for one in ids) and time.monotonic() < deadline:
        time.sleep(0.1)


def test_piped_every_line_is_json_and_each_request_is_one_line_that_keeps_its_secrets(
    tmp_path: Path, admin: Connection, database_url: str
) -> None:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    key = staff_key(database_url)
    email, phone = "katherine.johnson@example.org", "+1 757 555 0142"
    with serve(database_url, tmp_path, workers=2) as server:
        server.wait_until_ready()
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            booked = client.post(
                "/v1/restaurants/white-horse/bookings",
                json={
                    "party_size": 2,
                    "date": next_monday().isoformat(),
                    "time": "19:00",
                    "guest": {"name": "Katherine Johnson", "email": email, "phone": phone},
                },
                headers={"Idempotency-Key": "serve-logs-1", "X-Request-ID": "booking-1"},
            )
            assert booked.status_code == 201, booked.text
            booking = booked.json()
            token = booking["manage_token"]
            answers = [
                booked,
                client.get(f"/b/{booking['id']}/{token}"),
                client.get(f"/v1/bookings/{booking['id']}", headers={"X-Manage-Token": token}),
                client.get(
                    "/v1/restaurants/white-horse/timeline",
                    params={"date": next_monday().isoformat()},
                    headers={"Authorization": f"Bearer {key}"},
                ),
                client.get(f"/nowhere/{token}", params={"email": email}),
            ]
        assert [answer.status_code for answer in answers] == [201, 200, 200, 200, 404]
        ids = {answer.headers["X-Request-ID"] for answer in answers}
        assert len(ids) == len(answers)
        wait_for_lines(server, ids)

    written = server.output()  # stopped: its last lines too
    lines = [json.loads(line) for line in written.splitlines()]  # each one must parse
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)
    assert all(ISO_UTC_MS.fullmatch(line["time"]) for line in lines)
    started = [line for line in lines if line["message"].startswith("Started server process")]
    assert [line["logger"] for line in started] == ["uvicorn.error"] * 2  # from each worker
    requests = {line["request_id"]: line for line in lines if line["logger"] == "reserve.access"}
    mine = [line for line in lines if line["logger"] == "reserve.access"]
    assert len(mine) == len(requests)  # one line a request
    assert ids <= set(requests)
    first = requests["booking-1"]
    assert set(first) == REQUEST_FIELDS | {"restaurant"}
    assert first["method"] == "POST"
    assert first["route"] == "/v1/restaurants/{slug}/bookings"
    assert first["status"] == 201
    assert first["restaurant"] == "white-horse"
    assert first["duration_ms"] > 0
    routes = {requests[answer.headers["X-Request-ID"]]["route"] for answer in answers[1:]}
    assert routes == {
        "/b/{booking_id}/{token}",
        "/v1/bookings/{booking_id}",
        "/v1/restaurants/{slug}/timeline",
        "unmatched",
    }
    for secret in (key, key[:12], token, token[:12], email, phone, "serve-logs-1"):
        assert secret not in written, secret
    assert f"/b/{booking['id']}" not in written


@pytest.mark.parametrize("workers", [1, 2])
def test_asked_for_text_every_worker_writes_text(
    tmp_path: Path, database_url: str, workers: int
) -> None:
    with serve(database_url, tmp_path, workers=workers, RESERVE_LOG_FORMAT="text") as server:
        server.wait_until_ready()
        answers = [httpx.get(f"{server.base_url}/healthz") for _ in range(10)]
        ids = {answer.headers["X-Request-ID"] for answer in answers}
        wait_for_lines(server, ids)
    written = server.output()

    for one in ids:
        (line,) = [line for line in written.splitlines() if f"request_id={one}" in line]
        assert re.search(r" INFO +reserve\.access: GET /healthz 200 [0-9.]+ ms request_id=", line)
    started = [line for line in written.splitlines() if "Started server process" in line]
    assert len(started) == workers, written
    assert all(
        re.match(r"\d{4}-\d\d-\d\d \d\d:\S+ INFO +uvicorn\.error: ", line) for line in started
    )
    assert not [line for line in written.splitlines() if line.startswith("{")], written
