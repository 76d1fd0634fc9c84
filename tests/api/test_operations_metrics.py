"""``/metrics`` as an operator reads it: every declared metric present, the database's figures
as of the scrape, the confirmation results' hit rate, the pool, and the background rounds'
results (the pruner's last success, the scheduled integrity pass)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

from reserve import metrics
from reserve.api.app import create_app
from reserve.config import Settings
from reserve.db.database import Database
from reserve.db.venues import VenueSaved
from reserve.services.integrity_report import CHECKS

if TYPE_CHECKING:
    from conftest import Book


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def declared() -> set[str]:
    """The names of every metric ``reserve.metrics`` declares."""
    return {
        family.name
        for thing in vars(metrics).values()
        if isinstance(thing, MetricWrapperBase)
        for family in thing.describe()
    }


def families(client: TestClient) -> set[str]:
    return {family.name for family in text_string_to_metric_families(client.get("/metrics").text)}


def test_every_declared_metric_and_the_database_figures_are_exposed(
    api: TestClient, white_horse: VenueSaved
) -> None:
    assert len(declared()) > 20
    assert declared() - families(api) == set()
    samples = scrape(api)
    assert value(samples, "reserve_database_up") == 1.0
    for name in ("holds_live", "pending_bookings", "confirmation_results_rows"):
        assert value(samples, f"reserve_{name}") == 0.0, name
    assert value(samples, "reserve_confirmation_results_bytes") > 0  # type: ignore[operator]
    # Counters exist before their first event (earlier tests of this process may have had
    # some), so that a rate sees the first.
    assert value(samples, "reserve_exclusion_violations_total") is not None
    assert value(samples, "reserve_booking_outcomes_total", outcome="no-availability") is not None


def test_a_replay_counts_as_a_hit_and_a_booking_as_a_result_stored(
    api: TestClient, white_horse: VenueSaved, book: Book
) -> None:
    before = scrape(api)
    book(2, "19:00", key="hit-rate")
    made = scrape(api)
    book(2, "19:00", key="hit-rate")
    replayed = scrape(api)

    stored, replays = (
        "reserve_confirmation_results_stored_total",
        "reserve_idempotent_replays_total",
    )
    assert made[(stored, ())] == before[(stored, ())] + 1
    assert made[(replays, ())] == before[(replays, ())]
    assert replayed[(stored, ())] == made[(stored, ())]
    assert replayed[(replays, ())] == made[(replays, ())] + 1
    assert value(replayed, "reserve_confirmation_results_rows") == 1.0
    assert value(replayed, "reserve_day_lock_wait_seconds_count") > value(  # type: ignore[operator]
        before, "reserve_day_lock_wait_seconds_count"
    )


@pytest.fixture
def busy_server(database_url: str, white_horse: VenueSaved) -> Iterator[TestClient]:
    """The app with its background rounds every tenth of a second."""
    settings = Settings(
        database_url=database_url,
        env="test",
        prune_seconds=0.1,
        integrity_seconds=0.1,
        pending_retry_seconds=0.1,
    )
    app = create_app(settings, Database(database_url, min_size=1, max_size=4))
    with TestClient(app) as client:
        yield client


def eventually(client: TestClient, done: object, within: float = 15.0) -> Samples:
    deadline = time.monotonic() + within
    while True:
        samples = scrape(client)
        if done(samples):  # type: ignore[operator]
            return samples
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)


def test_the_server_exports_its_prune_and_integrity_rounds_and_its_pool(
    busy_server: TestClient,
) -> None:
    began = time.time()

    def rounds_done(samples: Samples) -> bool:
        pruned = value(samples, "reserve_prune_last_success_timestamp_seconds") or 0
        checked = value(samples, "reserve_integrity_last_success_timestamp_seconds") or 0
        return pruned >= began and checked >= began

    samples = eventually(busy_server, rounds_done)
    for check in CHECKS:
        assert value(samples, "reserve_integrity_violations", check=check) == 0.0, check
    assert value(samples, "reserve_integrity_duration_seconds") > 0  # type: ignore[operator]
    assert value(samples, "reserve_pool_max_connections") == 4.0
    in_use = value(samples, "reserve_pool_connections", state="in_use")
    idle = value(samples, "reserve_pool_connections", state="idle")
    assert in_use is not None
    assert idle is not None
    assert 1 <= in_use + idle <= 4  # the pool has opened its least, and no more than it may
    assert value(samples, "reserve_workers") == 1.0
