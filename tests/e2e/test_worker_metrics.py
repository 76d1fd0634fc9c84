"""``/metrics`` under ``reserve serve --workers 2``: whichever worker answers a scrape, it
counts the bookings every worker made, those of a worker killed and replaced included."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from processes import (
    READY_WITHIN_SECONDS,
    Server,
    listens_on,
    next_monday,
    serving_database,
    workers,
)
from prometheus_client.parser import text_string_to_metric_families

from reserve.db.database import Connection
from reserve.db.venues import save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

pytestmark = pytest.mark.e2e

BOOKINGS = 24
SCRAPES = 12


def samples(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """One scrape, on a connection of its own (so the kernel may give it to either worker)."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def bookings_counted(scrape: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
    return sum(
        value for (name, _), value in scrape.items() if name == "reserve_booking_outcomes_total"
    )


def workers_serving(scrape: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> float:
    return scrape[("reserve_workers", ())]


def metrics_directory_of(pid: int) -> Path:
    """Where a worker keeps its metrics, as its environment says."""
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    named = [entry for entry in environ if entry.startswith(b"PROMETHEUS_MULTIPROC_DIR=")]
    assert named, "the worker was not given a metrics directory"
    return Path(named[0].split(b"=", 1)[1].decode())


def eventually(what: Callable[[], bool], server: Server) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {READY_WITHIN_SECONDS:.0f} s:\n{server.output()}")
        time.sleep(0.05)


def test_every_scrape_counts_the_bookings_of_both_workers_and_of_one_replaced(
    database_url: str, admin: Connection, tmp_path: Path
) -> None:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    log = tmp_path / "serve.log"
    with serving_database(database_url, log, workers=2, secret="worker-metrics-test-secret") as (
        server,
        port,
    ):
        eventually(lambda: sum(listens_on(pid, port) for pid in workers(server)) == 2, server)
        day = next_monday().isoformat()
        for number in range(BOOKINGS):  # each on a new connection: both workers get some
            response = httpx.post(
                f"{server.base_url}/v1/restaurants/white-horse/bookings",
                json={
                    "party_size": 2,
                    "date": day,
                    "time": f"{12 + number % 9}:{15 * (number // 9):02d}",
                    "guest": {"name": "Ada", "email": "ada@example.com"},
                },
                headers={"Idempotency-Key": f"worker-metrics-{number}"},
                timeout=10,
            )
            assert response.status_code in (201, 202, 409), response.text
        first = workers(server)
        kept = metrics_directory_of(sorted(first)[0])
        wrote = {int(path.stem.rsplit("_", 1)[1]) for path in kept.glob("counter_*.db")}
        assert first <= wrote, (first, wrote)  # both made bookings, each in files of its own

        for _ in range(SCRAPES):
            scrape = samples(server.base_url)
            assert bookings_counted(scrape) == BOOKINGS
            assert workers_serving(scrape) == 2

        victim = sorted(first)[0]
        os.kill(victim, signal.SIGKILL)
        eventually(
            lambda: (
                victim not in workers(server)
                and sum(listens_on(pid, port) for pid in workers(server)) == 2
            ),
            server,
        )
        eventually(lambda: workers_serving(samples(server.base_url)) == 2, server)
        for _ in range(SCRAPES):
            scrape = samples(server.base_url)
            assert bookings_counted(scrape) == BOOKINGS  # the killed worker's still count
            assert workers_serving(scrape) == 2  # and it is no longer said to serve
    assert not kept.exists()  # serve's own, gone with it
