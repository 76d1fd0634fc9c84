"""Staff routes that run the day's bookings: the list, who may see it, status changes and
table changes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from conftest import made, move_to_status, set_status
from reserve.config import PLACEHOLDER_SECRET
from reserve.db.database import Connection, OperatorDatabase
from reserve.db.venues import VenueSaved, save_venue
from reserve.domain.access import Role
from reserve.services.keys import Principals, create_key, revoke_key
from reserve.services.venues import DEMO_VENUE, read_venue_file

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from conftest import Book, KeyFor, ManualClock, ProblemCheck, WindowsOf


MONDAY = "2026-12-07"
DAY_BOOKINGS = "/v1/restaurants/white-horse/bookings"


def set_tables(
    api: TestClient, staff: dict[str, str], booking: dict[str, Any], tables: list[str]
) -> httpx.Response:
    return api.put(f"/v1/bookings/{booking['id']}/tables", json={"tables": tables}, headers=staff)


# --- the day's bookings and who may see them ---------------------------------------------


def test_staff_list_the_days_bookings_in_order_of_start(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    late = made(book(4, "19:00"))
    early = made(book(2, "12:00"))
    waiting = made(book(13, "19:00"))
    made(book(2, "19:00", date="2026-12-08"))  # another day

    response = api.get(DAY_BOOKINGS, params={"date": MONDAY}, headers=staff)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["date"] == MONDAY
    ids = [booking["id"] for booking in body["bookings"]]
    assert ids[0] == early["id"]
    assert set(ids[1:]) == {late["id"], waiting["id"]}
    assert body["bookings"][0]["guest"]["email"] == "ada@example.com"


def test_staff_list_the_days_bookings_of_some_statuses(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    confirmed = made(book(4, "19:00"))
    pending = made(book(13, "19:00"))

    def listed(*statuses: str) -> set[str]:
        params = {"date": MONDAY, "status": list(statuses)}
        response = api.get(DAY_BOOKINGS, params=params, headers=staff)
        assert response.status_code == 200, response.text
        return {booking["id"] for booking in response.json()["bookings"]}

    assert listed("pending") == {pending["id"]}
    assert listed("confirmed") == {confirmed["id"]}
    assert listed("confirmed", "pending") == {confirmed["id"], pending["id"]}
    assert listed("seated") == set()


def test_an_unknown_status_filter_is_a_validation_problem(
    api: TestClient, staff: dict[str, str], problem: ProblemCheck
) -> None:
    response = api.get(DAY_BOOKINGS, params={"date": MONDAY, "status": "eaten"}, headers=staff)

    problem(response, 422, "validation-error")


def test_the_days_bookings_need_a_key(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    problem(api.get(DAY_BOOKINGS, params={"date": MONDAY}), 401, "unauthorized")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer rsv_no-such-key", "Bearer ", "Basic dXNlcjpwYXNz", "rsv_without_a_scheme"],
)
def test_an_unknown_or_malformed_key_is_unauthorized(
    api: TestClient, white_horse: VenueSaved, problem: ProblemCheck, authorization: str
) -> None:
    response = api.get(
        DAY_BOOKINGS, params={"date": MONDAY}, headers={"Authorization": authorization}
    )

    problem(response, 401, "unauthorized")


def test_a_revoked_key_is_unauthorized_once_the_key_cache_forgets_it(
    api: TestClient, operator: OperatorDatabase, white_horse: VenueSaved, problem: ProblemCheck
) -> None:
    now = [0.0]
    api.app.state.principals = Principals(ttl=10.0, clock=lambda: now[0])
    key, plain = create_key(
        operator, PLACEHOLDER_SECRET, role=Role.STAFF, restaurant="white-horse", name="leaver"
    )
    headers = {"Authorization": f"Bearer {plain}"}
    assert api.get(DAY_BOOKINGS, params={"date": MONDAY}, headers=headers).status_code == 200

    revoke_key(operator, str(key.id))
    now[0] = 9.0
    assert api.get(DAY_BOOKINGS, params={"date": MONDAY}, headers=headers).status_code == 200
    now[0] = 10.5

    problem(api.get(DAY_BOOKINGS, params={"date": MONDAY}, headers=headers), 401, "unauthorized")


def test_another_restaurants_staff_are_told_the_restaurant_does_not_exist(
    api: TestClient,
    admin: Connection,
    white_horse: VenueSaved,
    key_for: KeyFor,
    problem: ProblemCheck,
) -> None:
    save_venue(admin, dataclasses.replace(read_venue_file(DEMO_VENUE), slug="other"))

    response = api.get(DAY_BOOKINGS, params={"date": MONDAY}, headers=key_for("other"))

    problem(response, 404, "not-found")


def test_an_admin_key_lists_any_restaurants_day(
    api: TestClient, white_horse: VenueSaved, key_for: KeyFor
) -> None:
    response = api.get(DAY_BOOKINGS, params={"date": MONDAY}, headers=key_for(None))

    assert response.status_code == 200
    assert response.json() == {"date": MONDAY, "bookings": []}


# --- status ------------------------------------------------------------------------------


def test_a_party_is_seated_then_completed_and_completing_early_frees_the_tables_from_then(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: Any,
    problem: ProblemCheck,
    windows_of: WindowsOf,
) -> None:
    booking = made(book(2, "19:00"))
    [table] = booking["tables"]
    # A walk-in at 19:30 cannot have that table while the first party sits there.
    walk_in = made(book(2, "19:30", headers=staff))
    problem(set_tables(api, staff, walk_in, [table]), 409, "no-availability")
    clock.now = datetime(2026, 12, 7, 19, 30, tzinfo=UTC)

    move_to_status(api, staff, booking, "seated", "completed")

    assert windows_of(api, staff, booking["id"]) == [
        (table, "2026-12-07T19:00:00+00:00", "2026-12-07T19:30:00+00:00")
    ]
    moved = set_tables(api, staff, walk_in, [table])
    assert moved.status_code == 200, moved.text
    assert moved.json()["tables"] == [table]


def test_a_no_show_frees_the_tables_and_undoing_it_seats_the_party_again(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
    windows_of: WindowsOf,
) -> None:
    booking = made(book(4, "19:00"))
    clock.now = datetime(2026, 12, 7, 19, 15, tzinfo=UTC)  # the start and its grace

    no_show = move_to_status(api, staff, booking, "no_show")
    assert no_show["tables"] == []
    assert windows_of(api, staff, booking["id"]) == []

    back = move_to_status(api, staff, booking, "confirmed")
    assert len(back["tables"]) == 1
    assert windows_of(api, staff, booking["id"]) == [
        (back["tables"][0], "2026-12-07T19:00:00+00:00", "2026-12-07T20:20:00+00:00")
    ]


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        (("seated", "completed"), "seated"),
        (("seated", "completed"), "confirmed"),
        (("cancelled",), "confirmed"),
        (("seated",), "no_show"),
        ((), "completed"),
    ],
)
def test_a_transition_the_lifecycle_does_not_allow_is_refused(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
    problem: ProblemCheck,
    path: tuple[str, ...],
    wanted: str,
) -> None:
    booking = made(book(2, "19:00"))
    clock.now = datetime(2026, 12, 7, 19, 30, tzinfo=UTC)  # when any change is on time
    before = move_to_status(api, staff, booking, *path)

    problem(set_status(api, staff, booking, wanted), 409, "invalid-transition")
    after = api.get(f"/v1/bookings/{booking['id']}", headers=staff).json()
    assert (after["status"], after["tables"]) == (before["status"], before["tables"])


def test_staff_approving_a_pending_booking_seats_it(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    windows_of: WindowsOf,
) -> None:
    pending = made(book(13, "19:00"))
    assert (pending["status"], pending["tables"]) == ("pending", [])

    approved = move_to_status(api, staff, pending, "confirmed")

    assert len(approved["tables"]) >= 2  # no single table seats thirteen
    assert approved.get("pending_reason") is None
    assert len(windows_of(api, staff, pending["id"])) == len(approved["tables"])


def test_staff_approve_a_pending_party_at_tables_they_choose_the_allocators_first(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    problem: ProblemCheck,
) -> None:
    pending = made(book(13, "19:00"))
    first = _table_choices(api, staff, pending)
    suggested = first["suggested"]
    assert suggested
    assert first["ways"][0] == suggested
    blocked = api.post(
        "/v1/restaurants/white-horse/blocks",
        json={"tables": [suggested[0]], "date": MONDAY, "start": "18:00", "end": "23:00"},
        headers=staff,
    )
    assert blocked.status_code == 201, blocked.text

    then = _table_choices(api, staff, pending)
    [block] = [t["taken_by"] for t in then["tables"] if t["label"] == suggested[0]]
    assert (block["kind"], block["id"]) == ("block", blocked.json()["id"])
    assert then["ways"]
    assert not any(suggested[0] in way for way in then["ways"])
    # The first suggestion, now blocked in part, is refused and the party stays pending.
    problem(set_tables(api, staff, pending, suggested), 409, "no-availability")
    assert api.get(f"/v1/bookings/{pending['id']}", headers=staff).json()["status"] == "pending"

    chosen = then["ways"][-1]
    approved = set_tables(api, staff, pending, chosen)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["tables"]) == ("confirmed", sorted(chosen))
    steps = api.get(f"/v1/bookings/{pending['id']}/history", headers=staff).json()
    assert [(t["from"], t["to"]) for t in steps["transitions"]][-1] == ("pending", "confirmed")


def _table_choices(
    api: TestClient, staff: dict[str, str], booking: dict[str, Any]
) -> dict[str, Any]:
    response = api.get(f"/v1/bookings/{booking['id']}/tables", headers=staff)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_table_choices_of_a_booking_count_its_own_tables_free(
    api: TestClient, white_horse: VenueSaved, staff: dict[str, str], book: Book
) -> None:
    booking = made(book(2, "19:00"))
    [table] = booking["tables"]

    body = api.get(f"/v1/bookings/{booking['id']}/tables", headers=staff).json()

    [own] = [t for t in body["tables"] if t["label"] == table]
    assert own == {**own, "current": True, "taken_by": None}
    assert [table] in body["ways"]


def test_the_table_choices_are_for_the_venues_staff_only(
    api: TestClient, white_horse: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    booking = made(book(2, "19:00"))

    response = api.get(
        f"/v1/bookings/{booking['id']}/tables",
        headers={"X-Manage-Token": booking["manage_token"]},
    )

    problem(response, 401, "unauthorized")


def test_a_status_change_needs_a_staff_key(
    api: TestClient, white_horse: VenueSaved, book: Book, problem: ProblemCheck
) -> None:
    booking = made(book(2, "19:00"))

    response = api.post(
        f"/v1/bookings/{booking['id']}/status",
        json={"status": "cancelled"},
        headers={"X-Manage-Token": booking["manage_token"]},
    )

    problem(response, 401, "unauthorized")


def test_an_unknown_status_is_a_validation_problem(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    problem: ProblemCheck,
) -> None:
    booking = made(book(2, "19:00"))

    problem(set_status(api, staff, booking, "eaten"), 422, "validation-error")


# --- tables ------------------------------------------------------------------------------


def test_staff_may_seat_a_party_at_an_adjacent_combination(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    windows_of: WindowsOf,
) -> None:
    booking = made(book(4, "19:00"))

    response = set_tables(api, staff, booking, ["MD-02", "MD-01"])

    assert response.status_code == 200, response.text
    assert response.json()["tables"] == ["MD-01", "MD-02"]
    assert sorted(windows_of(api, staff, booking["id"])) == [
        (label, "2026-12-07T19:00:00+00:00", "2026-12-07T20:20:00+00:00")
        for label in ("MD-01", "MD-02")
    ]


def test_moving_a_booking_to_other_tables_marks_it_updated(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    clock: ManualClock,
) -> None:
    booking = made(book(4, "19:00"))
    clock.advance(hours=2)

    response = set_tables(api, staff, booking, ["MD-01", "MD-02"])

    assert response.status_code == 200, response.text
    assert response.json()["created_at"] == "2026-12-01T10:00:00+00:00"
    assert response.json()["updated_at"] == "2026-12-01T12:00:00+00:00"


@pytest.mark.parametrize(
    ("party_size", "tables"),
    [
        (4, ["MD-01"]),  # a two-top
        (8, ["MD-01", "MD-07"]),  # eight seats, but the tables are not adjacent
        (4, ["MD-01", "BA-01"]),  # two zones
        (2, ["MD-03", "MD-04"]),  # one four-top alone seats two
        (2, ["ZZ-99"]),  # no such table
    ],
)
def test_tables_that_cannot_seat_the_party_under_the_venues_rules_are_refused(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    problem: ProblemCheck,
    party_size: int,
    tables: list[str],
    windows_of: WindowsOf,
) -> None:
    booking = made(book(party_size, "19:00"))

    body = problem(set_tables(api, staff, booking, tables), 422, "validation-error")
    assert [item["field"] for item in body["errors"]] == ["tables"]
    assert windows_of(api, staff, booking["id"])[0][0] == booking["tables"][0]


def test_tables_taken_at_that_time_are_refused_and_the_original_tables_kept(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    problem: ProblemCheck,
    windows_of: WindowsOf,
) -> None:
    first = made(book(2, "19:00"))
    second = made(book(2, "19:00"))
    assert first["tables"] != second["tables"]

    problem(set_tables(api, staff, second, first["tables"]), 409, "no-availability")

    kept = api.get(f"/v1/bookings/{second['id']}", headers=staff).json()
    assert kept["tables"] == second["tables"]
    assert [w[0] for w in windows_of(api, staff, second["id"])] == second["tables"]


def test_a_cancelled_booking_has_no_tables_to_change(
    api: TestClient,
    white_horse: VenueSaved,
    staff: dict[str, str],
    book: Book,
    problem: ProblemCheck,
    windows_of: WindowsOf,
) -> None:
    booking = made(book(2, "19:00"))
    move_to_status(api, staff, booking, "cancelled")

    problem(set_tables(api, staff, booking, ["MD-01"]), 422, "validation-error")
    assert windows_of(api, staff, booking["id"]) == []
