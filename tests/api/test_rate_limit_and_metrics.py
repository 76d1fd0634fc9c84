"""The per-client rate limit of the public endpoints, and the Prometheus metrics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import httpx
import pytest

from reserve.db.venues import VenueSaved

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, BusyThreads, ProblemCheck

ApiFor = Callable[..., AbstractContextManager["TestClient"]]

MONDAY = "2026-12-07"
AVAILABILITY = "/v1/restaurants/white-horse/availability"
LIMIT = 5


@pytest.fixture
def limited(api_for: ApiFor, white_horse: VenueSaved) -> Iterator[TestClient]:
    """The app allowing each client five public requests a minute."""
    with api_for(public_rate_limit=LIMIT) as client:
        yield client


def look(client: TestClient, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.get(AVAILABILITY, params={"date": MONDAY, "party_size": 2}, headers=headers)


def test_the_request_after_the_limit_is_refused_with_retry_after(
    limited: TestClient, problem: ProblemCheck
) -> None:
    for _ in range(LIMIT):
        assert look(limited).status_code == 200

    response = look(limited)

    problem(response, 429, "rate-limited")
    assert int(response.headers["Retry-After"]) >= 1


def test_refusals_need_no_request_thread(
    limited: TestClient, every_thread_busy: BusyThreads, problem: ProblemCheck
) -> None:
    # Who is calling is settled on the event loop, so a flood of refused requests never
    # queues behind (or in front of) requests waiting on the database.
    for _ in range(LIMIT):
        look(limited)

    with every_thread_busy(limited) as ask:
        over_limit = ask("GET", AVAILABILITY, params={"date": MONDAY, "party_size": 2})
        malformed_key = ask("GET", AVAILABILITY, headers={"Authorization": "Basic eDp5"})

    problem(over_limit, 429, "rate-limited")
    problem(malformed_key, 429, "rate-limited")  # not a key: a public request like any


def test_a_credential_of_another_scheme_is_no_key_and_the_request_is_public(
    limited: TestClient,
) -> None:
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}  # a proxy's, say

    assert look(limited, basic).status_code == 200
    for _ in range(LIMIT - 1):
        look(limited)
    assert look(limited, basic).status_code == 429  # and it counts towards the limit


def test_refused_keys_count_towards_the_clients_limit(
    limited: TestClient, problem: ProblemCheck
) -> None:
    for number in range(LIMIT):
        wrong = {"Authorization": f"Bearer rsv_wrong-{number}"}
        problem(look(limited, wrong), 401, "unauthorized")

    # Refused as often as the limit allows: another made-up key is not even looked up, and
    # public requests from the same client wait too.
    problem(look(limited, {"Authorization": "Bearer rsv_wrong-again"}), 429, "rate-limited")
    problem(look(limited), 429, "rate-limited")


def test_a_known_key_is_never_limited_even_when_its_client_is(
    limited: TestClient, staff: dict[str, str], problem: ProblemCheck
) -> None:
    for _ in range(LIMIT):
        look(limited)
    problem(look(limited), 429, "rate-limited")

    for _ in range(2 * LIMIT):
        assert look(limited, staff).status_code == 200


def test_every_public_endpoint_counts_towards_the_limit(
    limited: TestClient, problem: ProblemCheck
) -> None:
    guest = {"name": "Ada Lovelace", "email": "ada@example.com"}
    booking = limited.post(
        "/v1/restaurants/white-horse/bookings",
        json={"party_size": 2, "date": MONDAY, "time": "19:00", "guest": guest},
        headers={"Idempotency-Key": "once"},
    ).json()
    token = {"X-Manage-Token": booking["manage_token"]}
    hold = limited.post(
        "/v1/restaurants/white-horse/holds",
        json={"party_size": 2, "date": MONDAY, "time": "12:00"},
    )
    assert hold.status_code == 201
    assert limited.get(f"/v1/bookings/{booking['id']}", headers=token).status_code == 200
    assert limited.get("/v1/restaurants/white-horse").status_code == 200
    assert look(limited).status_code == 200

    problem(limited.get("/v1/restaurants/white-horse"), 429, "rate-limited")
    problem(limited.delete(f"/v1/holds/{hold.json()['id']}"), 429, "rate-limited")


def test_requests_with_a_staff_key_are_never_limited(
    limited: TestClient, staff: dict[str, str], problem: ProblemCheck
) -> None:
    for _ in range(LIMIT):
        look(limited)
    problem(look(limited), 429, "rate-limited")

    answers = [look(limited, headers=staff).status_code for _ in range(3 * LIMIT)]

    assert answers == [200] * (3 * LIMIT)


def test_operations_endpoints_are_not_limited(limited: TestClient) -> None:
    for _ in range(LIMIT):
        look(limited)

    assert limited.get("/healthz").status_code == 200
    assert limited.get("/readyz").status_code == 200
    assert limited.get("/metrics").status_code == 200


def metric_names(exposition: str) -> set[str]:
    return {line.split()[2] for line in exposition.splitlines() if line.startswith("# TYPE ")}


def sample(exposition: str, series: str) -> float:
    """The value of one series (``name{labels}``), 0 when it has none yet."""
    for line in exposition.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0.0


def test_metrics_expose_every_reserve_metric_and_nothing_else(
    api: TestClient, white_horse: VenueSaved, book: Book
) -> None:
    hold = api.post(
        "/v1/restaurants/white-horse/holds",
        json={"party_size": 2, "date": MONDAY, "time": "19:00"},
    ).json()
    book(2, "19:00", hold_id=hold["id"], key="k")
    book(2, "19:00", hold_id=hold["id"], key="k")

    response = api.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    names = metric_names(response.text)
    assert {
        "reserve_booking_outcomes_total",
        "reserve_allocation_seconds",
        "reserve_request_seconds",
        "reserve_allocation_conflicts_total",
        "reserve_holds_total",
        "reserve_idempotent_replays_total",
    } <= names
    assert sorted(name for name in names if not name.startswith("reserve_")) == []
    assert sample(response.text, 'reserve_booking_outcomes_total{outcome="confirmed"}') >= 1
    assert sample(response.text, 'reserve_holds_total{event="confirmed"}') >= 1
    assert sample(response.text, "reserve_idempotent_replays_total") >= 1


def test_refused_requests_are_counted(limited: TestClient) -> None:
    before = sample(limited.get("/metrics").text, "reserve_rate_limited_total")
    for _ in range(LIMIT + 2):
        look(limited)

    after = sample(limited.get("/metrics").text, "reserve_rate_limited_total")

    assert after - before == 2
