"""Schema-driven fuzzing: every operation of the OpenAPI document, valid and malformed.

Schemathesis generates requests from the app's own OpenAPI document (positive cases that
follow the schema and negative ones that break it) and sends them in process to the app,
built on the test database with the White Horse loaded. Whatever arrives, the answer is
never a 5xx, and every 4xx is an RFC 9457 problem (DESIGN section 6).

Random slugs and ids only ever reach "not found", so half the cases are pointed at things
that exist (the White Horse, a real booking, hold, waitlist entry and block), and half
carry an admin key, so the fuzzer also gets past authentication into the staff routes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode, checks

from reserve.api.app import create_app
from reserve.config import Settings
from reserve.db.database import Connection, Database, OperatorDatabase
from reserve.db.venues import save_venue
from reserve.domain.access import Role
from reserve.domain.booking import Guest
from reserve.services import blocks, waitlist
from reserve.services.authorisation import Caller
from reserve.services.booking import BookingRequest, book
from reserve.services.context import Context
from reserve.services.holds import place_hold
from reserve.services.keys import create_key
from reserve.services.venue_state import VenueStates
from reserve.services.venues import DEMO_VENUE, read_venue_file

PROBLEM_JSON = "application/problem+json"
# DESIGN section 6's stable codes of client errors (with the extend route's limit), and 405
# for a method a route lacks.
PROBLEM_TYPES = {
    "validation-error",
    "not-found",
    "unauthorized",
    "forbidden",
    "no-availability",
    "hold-expired",
    "invalid-transition",
    "too-early",
    "idempotency-key-reused",
    "idempotency-key-in-use",
    "hold-extension-limit",
    "rate-limited",
    "outside-service-hours",
    "party-too-large",
    "too-late",
    "too-far-ahead",
    "method-not-allowed",
}
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
SECRET = "fuzz-test-secret"
MAX_EXAMPLES = 30  # per operation; with the schema's own examples and boundary cases
UNUSED_URL = "postgresql://nobody@127.0.0.1:9/unused"


def _document() -> dict[str, Any]:
    """The OpenAPI document (building it touches no database)."""
    app = create_app(Settings(database_url=UNUSED_URL, env="test"), background=False)
    return app.openapi()


schema = schemathesis.openapi.from_dict(_document())
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES
)


@dataclass(frozen=True)
class Target:
    """The app under test and the things that exist in its database."""

    app: Any
    staff_key: str
    admin_key: str
    day: date
    booking_id: UUID
    hold_id: UUID
    entry_id: UUID  # a party on the waitlist
    block_id: UUID


@pytest.fixture
def target(admin: Connection, database_url: str) -> Iterator[Target]:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    operator = OperatorDatabase(database_url)
    _, staff_key = create_key(
        operator, SECRET, role=Role.STAFF, restaurant="white-horse", name="fuzz"
    )
    _, admin_key = create_key(operator, SECRET, role=Role.ADMIN, restaurant=None, name="fuzz")
    config = Settings(
        database_url=database_url, env="test", secret_key=SECRET, public_rate_limit=1_000_000
    )
    database = Database(database_url, min_size=1, max_size=4, timeout=5.0)
    database.open()
    try:
        context = Context(database, VenueStates(), SECRET)
        monday = _next_monday()
        booked = book(
            context,
            "white-horse",
            BookingRequest(4, monday, time(19, 0), Guest("Ada", "ada@example.com")),
            str(uuid4()),
            Caller(),
        )
        hold = place_hold(context, "white-horse", 2, monday, time(20, 0), None)
        staff = Caller(system="fuzz")
        entry = waitlist.add(context, "white-horse", staff, "Grace", 2)
        block = blocks.block(
            context, "white-horse", ["MD-01"], monday, time(12, 0), time(13, 0), "", staff
        )
        app = create_app(config, database, context, background=False)
        yield Target(
            _without_lifespan(app),
            staff_key,
            admin_key,
            monday,
            booked.booking.id,
            hold.id,
            entry.id,
            block.id,
        )
    finally:
        database.close()


def _next_monday() -> date:
    """A day the White Horse opens, a few days ahead (the service runs on the real clock)."""
    day = date.today() + timedelta(days=3)
    return day + timedelta(days=-day.weekday() % 7)


def _without_lifespan(app: Any) -> Any:
    """The app for requests only: the fixture opens and closes its pool, so the lifespan
    (which schemathesis would otherwise keep running until the process exits) is skipped."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return  # not asking for a message: "no lifespan support"
        await app(scope, receive, send)

    return asgi


def _draw(case: schemathesis.Case, salt: str, sides: int = 2) -> int:
    """A fair die derived from the case itself (``@schema.given`` would cost the boundary
    cases of schemathesis's coverage phase)."""
    seen = repr((salt, case.path_parameters, case.query, case.headers, case.body))
    return hashlib.blake2b(seen.encode(errors="replace"), digest_size=1).digest()[0] % sides


@schema.parametrize()
# One app and database serve all of an operation's examples; nothing is saved between runs.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None, database=None)
def test_every_answer_is_what_the_document_says(case: schemathesis.Case, target: Target) -> None:
    """No 5xx, and every status, content type, body and header as the OpenAPI document
    describes, with the staff key, an admin key or whatever credential the fuzzer made."""
    aim_at_real_things = _draw(case, "aim") == 0
    key = [None, target.staff_key, target.admin_key][_draw(case, "key", 3)]
    if aim_at_real_things and case.path_parameters:
        real = {
            "slug": "white-horse",
            "booking_id": str(target.booking_id),
            "hold_id": str(target.hold_id),
            "entry_id": str(target.entry_id),
            "block_id": str(target.block_id),
        }
        for name in case.path_parameters:
            if name in real:
                case.path_parameters[name] = real[name]
    if aim_at_real_things and isinstance(case.body, dict):
        # A date and time the venue offers, so bookings and holds reach the allocator.
        for name, value in (("date", target.day.isoformat()), ("time", "19:00")):
            if name in case.body:
                case.body[name] = value
    if key is not None:  # else whatever Authorization the fuzzer made up, or none
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = {**headers, "Authorization": f"Bearer {key}"}

    response = case.call(app=target.app)

    case.validate_response(response, checks=CHECKS)

    assert response.status_code < 500, response.text
    if 400 <= response.status_code < 500:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith(PROBLEM_JSON), (response.status_code, response.text)
        problem = response.json()
        assert problem["type"] in PROBLEM_TYPES, problem
        assert isinstance(problem["title"], str)
        assert problem["title"]
        assert problem["status"] == response.status_code
        assert isinstance(problem["detail"], str)
        assert problem["detail"]
