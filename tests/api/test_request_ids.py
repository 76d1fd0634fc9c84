"""Every answer names its request (``X-Request-ID``, and ``request_id`` in a problem), and
each request is one line of the log that says its route, never its path, headers or body."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.browser.served import serving

from conftest import (
    MONDAY,
    Book,
    ClientFor,
    ManualClock,
    ProblemCheck,
    booking_payload,
)
from reserve import logs
from reserve.api.app import create_app
from reserve.config import Settings
from reserve.db.database import Database
from reserve.db.venues import VenueSaved

UNREACHABLE_URL = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1"
HEX_ID = re.compile(r"[0-9a-f]{32}")
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
VENUE = "/v1/restaurants/white-horse"
ACCESS_FIELDS = {
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "method",
    "route",
    "status",
    "duration_ms",
}

Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    """Every line of the product's loggers (``reserve.*``) during the test, at its most
    verbose, through the server's JSON formatter; ``log_lines()`` parses each."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    logger = logging.getLogger("reserve")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def requests_of(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "reserve.access"]


# --- the header ------------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["abc-123", "trace:0f6e.span_1", "A" * 128])
def test_a_sane_request_id_comes_back_as_sent(client: TestClient, given: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given})

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == given


@pytest.mark.parametrize("given", ["", "A" * 129, "two words", "<script>", "a/b", "caf\u00e9"])
def test_any_other_request_id_is_replaced_not_echoed(client: TestClient, given: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": given.encode()})

    assert HEX_ID.fullmatch(response.headers["X-Request-ID"])
    assert response.headers.get_list("X-Request-ID") == [response.headers["X-Request-ID"]]


def test_a_request_without_one_gets_an_id_of_its_own(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(5)}

    assert len(ids) == 5
    assert all(HEX_ID.fullmatch(one) for one in ids)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/healthz", 200),
        ("GET", "/readyz", 200),
        ("GET", "/metrics", 200),
        ("GET", "/docs", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/static/site.css", 200),
        ("GET", "/static/missing.css", 404),
        ("GET", "/r/white-horse", 200),
        ("GET", "/r/nowhere", 404),
        ("GET", VENUE, 200),
        ("GET", "/v1/restaurants/nowhere", 404),
        ("GET", "/no/such/route", 404),
        ("DELETE", "/healthz", 405),
        ("GET", f"{VENUE}/availability?date=not-a-date", 422),
        ("GET", f"{VENUE}/timeline?date={MONDAY}", 401),
    ],
)
def test_every_kind_of_answer_carries_the_request_id(
    client: TestClient, white_horse: VenueSaved, method: str, path: str, status: int
) -> None:
    given = f"kind-{uuid4().hex}"

    response = client.request(method, path, headers={"X-Request-ID": given})

    assert response.status_code == status, response.text
    assert response.headers.get_list("X-Request-ID") == [given]
    if response.headers["content-type"].startswith("application/problem+json"):
        assert response.json()["request_id"] == given


def test_a_problem_names_the_request_it_answers(
    book: Book, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    response = book(2, "03:00", headers={"X-Request-ID": "too-early-42"})

    body = problem(response, 422, "outside-service-hours")
    assert body["request_id"] == "too-early-42"
    assert response.headers["X-Request-ID"] == "too-early-42"


def test_a_503_while_the_database_is_away_names_its_request(
    client_for: ClientFor, problem: ProblemCheck
) -> None:
    with client_for(UNREACHABLE_URL) as client:
        response = client.get(VENUE, headers={"X-Request-ID": "db-away-1"})

    body = problem(response, 503, "service-unavailable")
    assert body["request_id"] == "db-away-1"
    assert response.headers["X-Request-ID"] == "db-away-1"


def test_a_failure_nobody_handled_is_a_500_problem_with_its_request_id_in_both_places(
    database_url: str, log_lines: Lines, problem: ProblemCheck
) -> None:
    """Starlette answers such a failure outside every middleware; the id is still the
    request's, in the answer and on every line of it, the traceback's too."""
    app = create_app(
        Settings(database_url=database_url, env="test"),
        Database(database_url, min_size=1, max_size=2, timeout=2),
        background=False,
    )

    def broken() -> None:  # a plain function: run in a thread, as the endpoints are
        logging.getLogger("reserve.test").info("about to fail")
        raise RuntimeError("the fryer caught fire")

    app.add_api_route("/broken/{slug}", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken/white-horse", headers={"X-Request-ID": "fire-1"})

    body = problem(response, 500, "internal-error")
    assert body["request_id"] == "fire-1"
    assert response.headers["X-Request-ID"] == "fire-1"
    mine = [line for line in log_lines() if line.get("request_id") == "fire-1"]
    assert [line["logger"] for line in mine] == ["reserve.test", "reserve.access", "reserve.api"]
    said, request, failure = mine
    assert said["message"] == "about to fail"
    assert request["status"] == 500
    assert request["route"] == "/broken/{slug}"
    assert request["restaurant"] == "white-horse"
    assert failure["message"] == "unhandled error on GET /broken/{slug}"
    assert "RuntimeError: the fryer caught fire" in failure["exception"]


def test_the_host_stands_stream_carries_its_request_id(
    database_url: str, clock: ManualClock, white_horse: VenueSaved, staff: dict[str, str]
) -> None:
    key = staff["Authorization"].removeprefix("Bearer ")
    with serving(database_url, clock) as site, httpx.Client(base_url=site.url) as browser:
        found = CSRF.search(browser.get("/host/sign-in").text)
        assert found
        signed = browser.post("/host/sign-in", data={"csrf_token": found.group(1), "key": key})
        assert signed.status_code == 303, signed.text
        events = f"/host/r/white-horse/events?date={MONDAY}"
        with browser.stream("GET", events, headers={"X-Request-ID": "stream-7"}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers["X-Request-ID"] == "stream-7"


def test_the_problem_schema_has_the_request_id(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Problem"]

    assert schema["properties"]["request_id"]["type"] == "string"
    assert "request_id" in schema["required"]


# --- the log ---------------------------------------------------------------------------------


def test_each_request_is_one_line_with_its_route_template_status_and_restaurant(
    book: Book, white_horse: VenueSaved, log_lines: Lines
) -> None:
    booked = book(2, "19:00", headers={"X-Request-ID": "book-1"})
    assert booked.status_code == 201, booked.text

    (line,) = [line for line in requests_of(log_lines()) if line["request_id"] == "book-1"]
    assert set(line) == ACCESS_FIELDS | {"restaurant"}
    assert line["level"] == "info"
    assert line["method"] == "POST"
    assert line["route"] == "/v1/restaurants/{slug}/bookings"
    assert line["status"] == 201
    assert line["restaurant"] == "white-horse"
    assert 0 < line["duration_ms"] < 60_000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])


def test_a_request_no_route_takes_is_unmatched_and_its_path_is_not_said(
    client: TestClient, log_lines: Lines
) -> None:
    client.get("/no/such/route/s3cr3t-path-part?q=s3cr3t-query", headers={"X-Request-ID": "u-1"})

    (line,) = [line for line in requests_of(log_lines()) if line["request_id"] == "u-1"]
    assert line["route"] == "unmatched"
    assert line["status"] == 404
    assert set(line) == ACCESS_FIELDS
    assert "s3cr3t" not in json.dumps(log_lines())


def test_lines_written_during_a_request_carry_its_id(
    api: TestClient,
    book: Book,
    white_horse: VenueSaved,
    staff: dict[str, str],
    log_lines: Lines,
) -> None:
    """The allocator logs from the request's thread, not the event loop's."""
    answer = api.put(f"{VENUE}/flags", json={"debug.capacity_profiling": True}, headers=staff)
    assert answer.status_code == 200, answer.text
    assert book(4, "19:00", headers={"X-Request-ID": "alloc-1"}).status_code == 201

    allocator = [line for line in log_lines() if line["logger"] == "reserve.allocator"]
    assert [line.get("request_id") for line in allocator] == ["alloc-1"]


def test_the_log_never_holds_a_key_token_guest_contact_or_path(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], log_lines: Lines
) -> None:
    """A booking with the guest's email and phone, read and changed with its manage token
    (in a header and in the manage link's path), and the day read with a staff key; every
    request has its line, and none of what they carried is in any line."""
    email, phone = "grace.hopper@example.org", "+44 20 7946 0123"
    payload = booking_payload(2, "19:00")
    payload["guest"] = {"name": "Grace Hopper", "email": email, "phone": phone}
    booked = api.post(
        f"{VENUE}/bookings", json=payload, headers={"Idempotency-Key": "idem-secret-key"}
    )
    assert booked.status_code == 201, booked.text
    booking = booked.json()
    token = booking["manage_token"]
    manage = {"X-Manage-Token": token}
    key = staff["Authorization"].removeprefix("Bearer ")
    sent = [
        api.get(f"/v1/bookings/{booking['id']}", headers=manage),
        api.patch(
            f"/v1/bookings/{booking['id']}",
            json={"guest": {"phone": "+44 20 7946 0999"}},
            headers=manage,
        ),
        api.get(f"/b/{booking['id']}/{token}"),
        api.get(f"/b/{booking['id']}/{token}?token={token}"),
        api.get(f"/b/{booking['id']}/{token[:-1]}"),
        api.get(f"{VENUE}/timeline", params={"date": MONDAY}, headers=staff),
        api.get(f"{VENUE}/timeline", params={"date": MONDAY, "email": email}),
    ]
    assert [answer.status_code for answer in sent] == [200, 200, 200, 200, 404, 200, 401]

    lines = log_lines()
    ids = {answer.headers["X-Request-ID"] for answer in [booked, *sent]}
    assert ids <= {line["request_id"] for line in requests_of(lines)}
    written = "\n".join(json.dumps(line) for line in lines)
    for secret in (key, key[:12], token, token[:12], email, phone, "7946 0999", "idem-secret"):
        assert secret not in written, secret
    for path in (f"/b/{booking['id']}", f"/v1/bookings/{booking['id']}"):
        assert path not in written  # never a path, only its route's template
    assert "/b/{booking_id}/{token}" in {line["route"] for line in requests_of(lines)}


def test_the_openapi_document_names_the_request_id_on_every_response(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    responses = [
        (path, method, status, response)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status, response in operation["responses"].items()
    ]
    assert len(responses) > 50
    missing = [
        (path, method, status)
        for path, method, status, response in responses
        if "X-Request-ID" not in response.get("headers", {})
    ]
    assert missing == []
    answered = client.get("/v1/restaurants/nowhere")
    header = document["paths"]["/v1/restaurants/{slug}"]["get"]["responses"]["404"]["headers"]
    assert re.fullmatch(
        header["X-Request-ID"]["schema"]["pattern"], answered.headers["x-request-id"]
    )
