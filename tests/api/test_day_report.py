"""The day's report over HTTP: a small venue's Monday booked through the API, reported
figure by figure for its staff, with the optimum worked out by hand; the same report as
the command line prints; and who may read it."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time
from typing import TYPE_CHECKING, Any

import pytest

from conftest import made
from reserve.db.database import Connection
from reserve.db.venues import VenueSaved, save_venue
from reserve.domain.venue import Service, ServicePeriod, Table, TurnBand, Venue, Zone
from reserve.planning import optimum
from reserve.services import report

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, Cli, KeyFor, ProblemCheck

MONDAY = "2026-12-07"
REPORT = "/v1/restaurants/corner/reports/day"
# Two hours a party, every start from 18:00 to 20:00 on the half hour; London is on UTC in
# December. T2 and T3 push together into an eight.
CORNER = Venue(
    slug="corner",
    name="The Corner",
    timezone="Europe/London",
    slot_interval_minutes=30,
    zones=(Zone("inside", "Inside"), Zone("terrace", "Terrace")),
    tables=(
        Table("T1", "inside", 2, 1, 2),
        Table("T2", "inside", 4, 1, 4),
        Table("T3", "inside", 4, 1, 4),
        Table("P1", "terrace", 6, 1, 6),
    ),
    adjacency=frozenset({frozenset({"T2", "T3"})}),
    services=(Service("dinner", (TurnBand(8, 120),)),),
    periods=(ServicePeriod("dinner", (1, 2, 3, 4, 5, 6, 7), time(18), time(22)),),
)


@pytest.fixture
def corner(admin: Connection) -> VenueSaved:
    return save_venue(admin, CORNER)


@pytest.fixture
def staff(corner: VenueSaved, key_for: KeyFor) -> dict[str, str]:
    return key_for("corner")


@pytest.fixture
def booked_monday(
    api: TestClient, staff: dict[str, str], book: Book, problem: ProblemCheck
) -> dict[str, Any]:
    """Four parties at 18:00 fill the four tables, so a second four is refused as full; a
    party asking to start at 21:00 would stay past closing and is not offered; a two at
    20:00 is moved by staff from T1 to T2. The bookings, by name."""
    parties = {
        name: made(book(party, "18:00", MONDAY, slug="corner"))
        for name, party in (("two", 2), ("four", 4), ("three", 3), ("six", 6))
    }
    problem(book(4, "18:00", MONDAY, slug="corner"), 409, "no-availability")
    problem(book(4, "21:00", MONDAY, slug="corner"), 422, "outside-service-hours")
    parties["late"] = made(book(2, "20:00", MONDAY, slug="corner"))
    moved = api.put(
        f"/v1/bookings/{parties['late']['id']}/tables", json={"tables": ["T2"]}, headers=staff
    )
    assert moved.status_code == 200, moved.text
    return parties


def tally(count: int, covers: int) -> dict[str, int]:
    return {"count": count, "covers": covers}


def test_staff_read_the_days_figures_and_the_optimum(
    api: TestClient, staff: dict[str, str], booked_monday: dict[str, Any]
) -> None:
    tables = {name: booking["tables"] for name, booking in booked_monday.items()}
    assert tables["two"] == ["T1"]
    assert tables["six"] == ["P1"]
    assert sorted([*tables["four"], *tables["three"]]) == ["T2", "T3"]

    response = api.get(REPORT, params={"date": MONDAY}, headers=staff)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["restaurant"], body["date"]) == ("corner", MONDAY)
    assert body["requests"] == {
        "total": tally(7, 25),
        "by_outcome": {
            "confirmed": tally(5, 17),
            "pending": tally(0, 0),
            "held": tally(0, 0),
            "full": tally(1, 4),
            "paced": tally(0, 0),
            "declined": tally(0, 0),
            "not_offered": tally(1, 4),
        },
    }
    assert body["seated"] == tally(5, 17)
    assert body["no_shows"] == tally(0, 0)
    assert body["walk_ins"] == tally(0, 0)
    assert body["turned_away"]["total"] == tally(2, 8)
    # One seat spare at the three's four-top, two at the four-top the late two was moved to.
    assert body["seat_waste"] == {
        "bookings": 5,
        "seats": 20,
        "covers": 17,
        "wasted": 3,
        "share": pytest.approx(3 / 20),
    }
    assert body["tables_moved"] == {"total": 1, "allocator": 0, "staff": 1}
    # At 18:00 only T1 takes the two, and the three others take three of the four, three
    # and six: the optimum seats the second four where the venue seated the three.
    best = body["optimum"]
    assert (best["requests"], best["covers_asked"]) == (6, 21)
    assert (best["covers"], best["bound"], best["proven"]) == (18, 18, True)
    assert best["venue_covers"] == 17
    assert best["share"] == pytest.approx(17 / 18)
    assert best["share_of_bound"] == pytest.approx(17 / 18)


def test_the_command_line_prints_the_report_the_api_sends(
    api: TestClient, staff: dict[str, str], booked_monday: dict[str, Any], cli: Cli
) -> None:
    sent = api.get(REPORT, params={"date": MONDAY}, headers=staff).json()

    result = cli("report", "day", "--restaurant", "corner", "--date", MONDAY, "--json")

    assert result.code == 0, result.err
    shown = json.loads(result.out)
    for body in (sent, shown):
        body["optimum"].pop("seconds")  # each solved the day afresh
    assert shown == sent


def test_the_optimum_is_solved_holding_no_connection_of_the_pool(
    api: TestClient,
    staff: dict[str, str],
    booked_monday: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = api.app.state.database
    took, holding, held_while_solving = set(), set(), []
    real_connection, real_solve = database._connection, optimum.solve

    @contextmanager
    def connection(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with real_connection(*args, **kwargs) as conn:
            took.add(threading.get_ident())
            holding.add(threading.get_ident())
            try:
                yield conn
            finally:
                holding.discard(threading.get_ident())

    def solve(*args: Any, **kwargs: Any) -> optimum.Optimum:
        held_while_solving.append(threading.get_ident() in holding)
        assert threading.get_ident() in took  # the thread that read the day
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(database, "_connection", connection)
    monkeypatch.setattr(optimum, "solve", solve)

    assert api.get(REPORT, params={"date": MONDAY}, headers=staff).status_code == 200
    assert held_while_solving == [False]


def test_a_report_asked_while_another_is_solved_is_refused_for_now(
    api: TestClient, staff: dict[str, str], booked_monday: dict[str, Any], problem: ProblemCheck
) -> None:
    with report.SOLVING:
        response = api.get(REPORT, params={"date": MONDAY}, headers=staff)

    problem(response, 503, "service-unavailable")
    assert response.headers["Retry-After"] == "1"
    assert api.get(REPORT, params={"date": MONDAY}, headers=staff).status_code == 200


def test_a_day_without_requests_reports_zeros(api: TestClient, staff: dict[str, str]) -> None:
    response = api.get(REPORT, params={"date": MONDAY}, headers=staff)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["requests"]["total"] == tally(0, 0)
    assert body["optimum"]["status"] == "no requests"
    assert body["optimum"]["share"] is None


def test_the_report_needs_a_staff_key(
    api: TestClient, corner: VenueSaved, problem: ProblemCheck
) -> None:
    problem(api.get(REPORT, params={"date": MONDAY}), 401, "unauthorized")
    wrong = {"Authorization": "Bearer rsv_no-such-key"}
    problem(api.get(REPORT, params={"date": MONDAY}, headers=wrong), 401, "unauthorized")


def test_another_restaurants_staff_are_told_the_restaurant_does_not_exist(
    api: TestClient, admin: Connection, corner: VenueSaved, key_for: KeyFor, problem: ProblemCheck
) -> None:
    save_venue(admin, dataclasses.replace(CORNER, slug="other"))

    response = api.get(REPORT, params={"date": MONDAY}, headers=key_for("other"))

    problem(response, 404, "not-found")


def test_an_admin_reads_any_restaurants_report(
    api: TestClient, corner: VenueSaved, key_for: KeyFor
) -> None:
    response = api.get(REPORT, params={"date": MONDAY}, headers=key_for(None))

    assert response.status_code == 200, response.text


def test_an_unknown_restaurant_is_not_found(
    api: TestClient, staff: dict[str, str], problem: ProblemCheck
) -> None:
    response = api.get(
        "/v1/restaurants/nowhere/reports/day", params={"date": MONDAY}, headers=staff
    )

    problem(response, 404, "not-found")


@pytest.mark.parametrize("date", ["2026-13-01", "Monday", "", "0001-01-01", "9999-12-31"])
def test_a_bad_date_is_a_validation_problem(
    api: TestClient, staff: dict[str, str], problem: ProblemCheck, date: str
) -> None:
    body = problem(api.get(REPORT, params={"date": date}, headers=staff), 422, "validation-error")

    assert [error["field"].removeprefix("query.") for error in body["errors"]] == ["date"]


def test_the_report_is_a_staff_operation_of_the_openapi_document(api: TestClient) -> None:
    operation = api.get("/openapi.json").json()["paths"]["/v1/restaurants/{slug}/reports/day"]

    get = operation["get"]
    assert get["tags"] == ["staff"]
    assert get["security"] == [{"StaffKey": []}]
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DayReportOut"
    }
    for status in ("401", "404", "422", "503"):
        assert "application/problem+json" in get["responses"][status]["content"]
