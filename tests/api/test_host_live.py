"""The host stand's live updates over real HTTP (uvicorn on a free port): a host's event
stream hears every change of its venue within two seconds, nothing of another venue's,
ends when the key is revoked, and is refused without a session; the migration's
downgrade takes the triggers away."""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from uuid import uuid4

import httpx
import pytest
from tests.browser.served import Site, serving

from conftest import MONDAY, KeyFor, ManualClock, booking_payload
from reserve.db import migrations
from reserve.db.database import Connection, OperatorDatabase, connect
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.keys import list_keys, revoke_key
from reserve.services.venues import DEMO_VENUE, read_venue_file
from reserve.web import live

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
EVENTS = f"/host/r/white-horse/events?date={MONDAY}"
PROMPTLY = 2.0


class Stream:
    """An event stream read in a thread of its own: each event as (event, data), the
    moment it came, and whether the server has ended the stream."""

    def __init__(self, client: httpx.Client, path: str) -> None:
        self.events: queue.Queue[tuple[float, str, str]] = queue.Queue()
        self.ended = threading.Event()
        self.opened = threading.Event()
        self.status = 0
        self.headers: httpx.Headers = httpx.Headers()
        self._thread = threading.Thread(target=self._read, args=(client, path), daemon=True)
        self._thread.start()
        assert self.opened.wait(5), "the stream did not open"

    def _read(self, client: httpx.Client, path: str) -> None:
        try:
            with client.stream("GET", path, timeout=httpx.Timeout(5, read=None)) as response:
                self.status = response.status_code
                self.headers = response.headers
                self.opened.set()
                event, data = "message", ""
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line.removeprefix("event:").strip()
                    elif line.startswith("data:"):
                        data = line.removeprefix("data:").strip()
                    elif line == "" and data:
                        self.events.put((time.monotonic(), event, data))
                        event, data = "message", ""
        except httpx.HTTPError:
            pass
        finally:
            self.opened.set()
            self.ended.set()

    def next(self, timeout: float = PROMPTLY) -> tuple[float, str, str]:
        return self.events.get(timeout=timeout)

    def quiet_for(self, seconds: float) -> bool:
        try:
            self.events.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


@pytest.fixture
def site(database_url: str, clock: ManualClock, white_horse: VenueSaved) -> Iterator[Site]:
    with serving(database_url, clock) as served:
        yield served


@contextmanager
def signed_in(site: Site, key: str) -> Iterator[httpx.Client]:
    """A browser of its own (cookies and all) signed in to the host stand with ``key``."""
    with httpx.Client(base_url=site.url) as client:
        found = CSRF.search(client.get("/host/sign-in").text)
        assert found
        answer = client.post("/host/sign-in", data={"csrf_token": found.group(1), "key": key})
        assert answer.status_code == 303, answer.text
        yield client


def key_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def booked(site: Site, slug: str = "white-horse", time_of_day: str = "19:00") -> float:
    """Book through the public API; when its answer came."""
    answer = httpx.post(
        site.at(f"/v1/restaurants/{slug}/bookings"),
        json=booking_payload(2, time_of_day),
        headers={"Idempotency-Key": str(uuid4())},
    )
    assert answer.status_code == 201, answer.text
    return time.monotonic()


def test_a_booking_through_the_api_reaches_the_hosts_stream_within_two_seconds(
    site: Site, staff: dict[str, str]
) -> None:
    with signed_in(site, key_of(staff)) as client:
        stream = Stream(client, EVENTS)
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-store"
        assert stream.headers["x-accel-buffering"] == "no"

        answered = booked(site)

        came, event, data = stream.next()
        assert (event, data) == ("floor", MONDAY)
        assert came - answered < PROMPTLY


def test_a_change_of_another_venue_or_day_sends_nothing(
    site: Site, admin: Connection, staff: dict[str, str]
) -> None:
    save_venue(admin, replace(read_venue_file(DEMO_VENUE), slug="black-swan", name="Swan"))
    with signed_in(site, key_of(staff)) as client:
        stream = Stream(client, EVENTS)
        booked(site, "black-swan")
        answer = httpx.post(
            site.at("/v1/restaurants/white-horse/bookings"),
            json=booking_payload(2, "19:00", "2026-12-08"),
            headers={"Idempotency-Key": str(uuid4())},
        )
        assert answer.status_code == 201
        assert stream.quiet_for(1.5)


def test_a_stream_without_a_day_hears_every_day_and_a_rolled_back_change_sends_nothing(
    site: Site, staff: dict[str, str], database_url: str
) -> None:
    with signed_in(site, key_of(staff)) as client:
        stream = Stream(client, "/host/r/white-horse/events")
        with connect(database_url) as conn:
            conn.execute("UPDATE bookings SET notes = 'x'")  # none yet: a change of nothing
            conn.execute("UPDATE restaurants SET updated_at = now()")
            conn.rollback()
        assert stream.quiet_for(1.0)
        booked(site)
        assert stream.next()[2] == MONDAY


def test_the_stream_is_refused_without_a_session_and_404_for_another_venues_host(
    site: Site, admin: Connection, key_for: KeyFor
) -> None:
    refused = httpx.get(site.at(EVENTS))
    assert refused.status_code == 401
    assert not refused.headers["content-type"].startswith("text/event-stream")
    assert "location" not in refused.headers

    save_venue(admin, replace(read_venue_file(DEMO_VENUE), slug="black-swan", name="Swan"))
    with signed_in(site, key_of(key_for("black-swan"))) as client:
        assert client.get(EVENTS).status_code == 404


def test_the_stream_ends_when_the_key_is_revoked(
    site: Site, staff: dict[str, str], operator: OperatorDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.3)
    with signed_in(site, key_of(staff)) as client:
        stream = Stream(client, EVENTS)
        assert not stream.ended.wait(1.0)  # comments keep it open
        for key in list_keys(operator):
            revoke_key(operator, key.prefix)
        assert stream.ended.wait(PROMPTLY)
        assert client.get(EVENTS).status_code == 401


def test_stopping_the_server_ends_open_streams_promptly(
    database_url: str, clock: ManualClock, white_horse: VenueSaved, staff: dict[str, str]
) -> None:
    with serving(database_url, clock) as served, signed_in(served, key_of(staff)) as client:
        stream = Stream(client, EVENTS)
        began = time.monotonic()
    assert stream.ended.wait(PROMPTLY)
    assert time.monotonic() - began < 5


def test_the_downgrade_removes_the_triggers_and_the_upgrade_restores_them(
    fresh_database_url: str,
) -> None:
    def triggers() -> set[str]:
        with connect(fresh_database_url) as conn:
            rows = conn.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
                ("%floor_changed",),
            ).fetchall()
        return {row["tgname"] for row in rows}

    assert "bookings_floor_changed" in triggers()
    migrations.downgrade(fresh_database_url, "0012")
    assert triggers() == set()
    migrations.upgrade(fresh_database_url)
    assert {"bookings_floor_changed", "allocations_floor_changed"} <= triggers()
