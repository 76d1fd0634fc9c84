"""The booking path's routes resolve their arguments themselves (``reserve.api.direct``):
every one of them does, and each answers any request as FastAPI's own handling does (the
same status, problem and body), which the app falls back to while it has dependency
overrides."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from tests.api.conftest import MONDAY, booking_payload

from reserve.api import bookings
from reserve.api.direct import DirectRoute, _direct
from reserve.db.venues import VenueSaved

HOLD = "00000000-0000-4000-8000-000000000000"


def test_every_route_of_the_booking_path_is_handled_directly() -> None:
    async def general(request: Any) -> Any:
        raise AssertionError("not used")

    routes = [route for route in bookings.router.routes if isinstance(route, APIRoute)]

    assert routes
    assert all(isinstance(route, DirectRoute) for route in routes)
    assert [r.path for r in routes if _direct(r, general) is None] == []


def _asked(api: TestClient, staff: dict[str, str]) -> list[httpx.Response]:
    """Requests good and bad on every kind of argument: path, query, header, body, key."""
    bookings_url = "/v1/restaurants/white-horse/bookings"
    keyed = {**staff, "Idempotency-Key": "same-key"}
    return [
        api.get(
            "/v1/restaurants/white-horse/availability", params={"date": MONDAY, "party_size": 2}
        ),
        api.get("/v1/restaurants/white-horse/availability", params={"date": "someday"}),
        api.get("/v1/restaurants/nowhere/availability", params={"date": MONDAY, "party_size": 2}),
        api.post(bookings_url, json=booking_payload(), headers=keyed),
        api.post(bookings_url, json=booking_payload(), headers=keyed),  # the replay
        api.post(bookings_url, json=booking_payload(), headers=staff),  # no key
        api.post(bookings_url, json=booking_payload(party_size=0), headers=keyed),
        api.post(bookings_url, content=b'{"party_size": 2,', headers=keyed),
        api.post(
            bookings_url, content=b"\x80\x81", headers={**keyed, "content-type": "application/json"}
        ),
        api.post(
            bookings_url, content=b"party_size=2", headers={**keyed, "content-type": "text/plain"}
        ),
        api.post(
            bookings_url,
            json=booking_payload(),
            headers={"Authorization": "Bearer rsv_wrong", "Idempotency-Key": "k"},
        ),
        api.post(
            "/v1/restaurants/white-horse/holds",
            json={"party_size": 2, "date": MONDAY, "time": "20:00"},
        ),
        api.get(f"/v1/holds/{HOLD}"),
        api.get("/v1/holds/not-a-uuid"),
        api.get(f"/v1/bookings/{HOLD}", headers=staff),
        api.patch(f"/v1/bookings/{HOLD}", json={"party_size": "many"}, headers=staff),
    ]


def _seen(response: httpx.Response) -> tuple[int, Any]:
    """The status, and for a refusal its body (what else is answered depends on what the
    requests before it booked or held)."""
    if response.status_code < 400:
        return response.status_code, None
    body = response.json()
    return response.status_code, {k: v for k, v in body.items() if k != "request_id"}


def test_each_request_is_answered_as_fastapi_answers_it(
    api: TestClient, staff: dict[str, str], white_horse: VenueSaved
) -> None:
    direct = [_seen(r) for r in _asked(api, staff)]
    api.app.dependency_overrides[test_each_request_is_answered_as_fastapi_answers_it] = dict  # type: ignore[attr-defined]
    try:
        general = [_seen(r) for r in _asked(api, staff)]
    finally:
        api.app.dependency_overrides.clear()  # type: ignore[attr-defined]

    assert direct == general
    assert sorted({status for status, _ in direct}) == [200, 201, 400, 401, 404, 422]
