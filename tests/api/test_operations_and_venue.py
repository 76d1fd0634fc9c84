"""Operations endpoints, the public venue, and problem responses, through the ASGI app."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import httpx
import pytest
from anyio import to_thread

from reserve.db import migrations
from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:  # imported for real by the conftest, which silences its httpx2 warning
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from fastapi.testclient import TestClient

    from conftest import BusyThreads

    ClientFor = Callable[[str], AbstractContextManager[TestClient]]

PROBLEM_JSON = "application/problem+json"
UNREACHABLE_URL = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"
HH_MM = re.compile(r"^\d{2}:\d{2}$")


def assert_problem(response: httpx.Response, status: int, problem_type: str) -> dict[str, object]:
    """The response is an RFC 9457 problem of this status and type; its body is returned."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, object] = response.json()
    assert body["type"] == problem_type
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    return body


# --- operations --------------------------------------------------------------------------


def test_healthz_says_the_process_is_up(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_healthz_does_not_depend_on_the_database(client_for: ClientFor) -> None:
    with client_for(UNREACHABLE_URL) as client:
        assert client.get("/healthz").status_code == 200


def test_readyz_reports_the_latest_migration(client: TestClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "schema_revision": migrations.head_revision(),
    }


def test_readyz_is_503_when_the_database_is_unreachable(client_for: ClientFor) -> None:
    with client_for(UNREACHABLE_URL) as client:
        response = client.get("/readyz")

    body = assert_problem(response, 503, "not-ready")
    assert "unreachable" in str(body["detail"])


def test_a_venue_request_is_a_quick_503_when_the_database_is_unreachable(
    client_for: ClientFor,
) -> None:
    with client_for(UNREACHABLE_URL) as client:
        response = client.get("/v1/restaurants/white-horse")

    assert_problem(response, 503, "service-unavailable")
    assert response.headers["retry-after"] == "5"


def test_readyz_is_503_when_the_schema_is_behind(
    client_for: ClientFor, fresh_database_url: str
) -> None:
    # At base the function /readyz asks does not exist at all: that is "not migrated",
    # not a server error.
    migrations.downgrade(fresh_database_url, "base")

    with client_for(fresh_database_url) as client:
        response = client.get("/readyz")

    body = assert_problem(response, 503, "not-ready")
    assert migrations.head_revision() in str(body["detail"])


# --- the public venue --------------------------------------------------------------------


def test_the_white_horse_lists_its_zones_tables_and_service_periods(
    client: TestClient, white_horse: VenueSaved
) -> None:
    response = client.get("/v1/restaurants/white-horse")

    assert response.status_code == 200
    venue = response.json()
    assert venue["slug"] == "white-horse"
    assert venue["name"] == "The White Horse"
    assert len(venue["zones"]) == 5
    assert len(venue["tables"]) == 40
    zone_keys = {zone["key"] for zone in venue["zones"]}
    for table in venue["tables"]:
        assert isinstance(table["label"], str)
        assert table["zone"] in zone_keys
        assert isinstance(table["capacity"], int)
        assert table["capacity"] > 0
    assert len({table["label"] for table in venue["tables"]}) == 40
    assert sum(table["capacity"] for table in venue["tables"]) == 210
    assert [period["service"] for period in venue["service_periods"]] == [
        "lunch",
        "drinks",
        "dinner",
    ]
    for period in venue["service_periods"]:
        assert HH_MM.match(period["start"])
        assert HH_MM.match(period["end"])
    assert (venue["service_periods"][0]["start"], venue["service_periods"][-1]["end"]) == (
        "12:00",
        "22:00",
    )


def test_an_inactive_table_is_not_listed(client: TestClient, admin: Connection) -> None:
    venue = read_venue_file(DEMO_VENUE)
    retired = venue.tables[0].label
    tables = tuple(
        replace(table, active=False) if table.label == retired else table for table in venue.tables
    )
    save_venue(admin, replace(venue, tables=tables))

    listed = client.get("/v1/restaurants/white-horse").json()["tables"]
    labels = [table["label"] for table in listed]

    assert retired not in labels
    assert len(labels) == 39


def test_an_unknown_restaurant_is_a_not_found_problem(client: TestClient) -> None:
    response = client.get("/v1/restaurants/no-such-place")

    body = assert_problem(response, 404, "not-found")
    assert "no-such-place" in str(body["detail"])


def test_an_unknown_route_is_a_not_found_problem(client: TestClient) -> None:
    assert_problem(client.get("/v1/nowhere"), 404, "not-found")


def test_a_wrong_method_is_a_problem(client: TestClient, white_horse: VenueSaved) -> None:
    response = client.delete("/v1/restaurants/white-horse")

    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize(
    "slug",
    [
        "x" * 10_000,
        "café-🍺-東京",
        "%00",
        "white-horse%00",
        "..",
        "%2e%2e",
        "%2F..%2F..%2Fetc%2Fpasswd",
        "%FF%FE",
        "'; DROP TABLE restaurants; --",
        "%20",
        "white-horse%0A",
    ],
)
def test_no_slug_however_odd_causes_a_server_error(
    client: TestClient, white_horse: VenueSaved, slug: str
) -> None:
    response = client.get(f"/v1/restaurants/{slug}")

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert client.get("/v1/restaurants/white-horse").status_code == 200


# --- documentation -----------------------------------------------------------------------


def test_the_docs_are_served_with_nothing_fetched_from_elsewhere(client: TestClient) -> None:
    response = client.get("/docs")

    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert sources
    assert all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_the_openapi_document_states_credentials_and_problems(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    schemes = document["components"]["securitySchemes"]
    assert schemes["StaffKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["StaffKey"]["description"],
    }
    assert schemes["ManageToken"]["in"] == "header"
    assert schemes["ManageToken"]["name"] == "X-Manage-Token"
    booking = document["paths"]["/v1/bookings/{booking_id}"]["get"]
    assert booking["security"] == [{"StaffKey": []}, {"ManageToken": []}]
    staff_only = document["paths"]["/v1/restaurants/{slug}/timeline"]["get"]
    assert staff_only["security"] == [{"StaffKey": []}]
    public = document["paths"]["/v1/restaurants/{slug}/availability"]["get"]
    assert public["security"] == [{}, {"StaffKey": []}]
    headers = [p["name"].lower() for p in booking.get("parameters", []) if p["in"] == "header"]
    assert "x-manage-token" not in headers
    assert "authorization" not in headers
    made = document["paths"]["/v1/restaurants/{slug}/bookings"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "410", "422", "429", "503"} <= set(made)
    assert made["409"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert made["429"]["headers"]["Retry-After"]["required"] is True


def test_the_openapi_document_lists_the_routes(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/healthz", "/readyz", "/v1/restaurants/{slug}"} <= set(paths)
    assert "get" in paths["/v1/restaurants/{slug}"]


def test_endpoints_run_on_no_more_threads_than_the_pool_has_connections(
    client: TestClient,
) -> None:
    # The client's pool has 4 connections (conftest); anyio would otherwise allow 40.
    tokens = client.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens)  # type: ignore[union-attr]
    assert tokens == 4


def test_healthz_and_metrics_answer_while_every_request_thread_is_busy(
    client: TestClient, every_thread_busy: BusyThreads
) -> None:
    with every_thread_busy(client) as ask:
        codes = [ask("GET", path).status_code for path in ("/healthz", "/metrics")]

    assert codes == [200, 200]
