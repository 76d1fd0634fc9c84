"""``reserve report day``: a small venue's Monday, its rows written as the booking path
writes them, reported figure by figure, with the optimum worked out by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest

from reserve.db.database import Connection

if TYPE_CHECKING:
    from conftest import Cli

SLUG = "corner"
MONDAY = "2026-12-07"
# Two hours a party, every start from 18:00 to 20:00 on the half hour; London is on UTC in
# December. T2 and T3 push together into an eight.
VENUE = """
slug = "corner"
name = "The Corner"
timezone = "Europe/London"
slot_interval_minutes = 30
hold_ttl_seconds = 120
buffer_minutes = 0
max_online_party_size = 8
booking_horizon_days = 90
adjacent = [["T2", "T3"]]

[services.dinner]
turn_minutes = { 8 = 120 }

[[periods]]
service = "dinner"
weekdays = [1, 2, 3, 4, 5, 6, 7]
start = "18:00"
end = "22:00"

[[zones]]
key = "inside"
name = "Inside"

[[zones]]
key = "terrace"
name = "Terrace"

[[tables]]
label = "T1"
zone = "inside"
capacity = 2
min_party = 1
max_party = 2

[[tables]]
label = "T2"
zone = "inside"
capacity = 4
min_party = 1
max_party = 4

[[tables]]
label = "T3"
zone = "inside"
capacity = 4
min_party = 1
max_party = 4

[[tables]]
label = "P1"
zone = "terrace"
capacity = 6
min_party = 1
max_party = 6
"""


class Day:
    """Rows of the Corner's Monday, written as the database's owner."""

    def __init__(self, admin: Connection, restaurant_id: UUID) -> None:
        self.admin = admin
        self.rid = restaurant_id
        rows = admin.execute(
            "SELECT label, id FROM tables WHERE restaurant_id = %s", (restaurant_id,)
        ).fetchall()
        self.tables = {row["label"]: row["id"] for row in rows}

    def booking(
        self,
        party: int,
        start: str,
        end: str,
        status: str,
        tables: tuple[str, ...] = (),
        source: str = "web",
    ) -> UUID:
        """A booking from ``start`` to ``end`` (HH:MM), at ``tables`` for that window."""
        booking_id = uuid4()
        self.admin.execute(
            """
            INSERT INTO bookings (restaurant_id, id, reference, status, party_size,
                service_date, local_time, start_at, end_at, guest_name, source,
                manage_token_hash)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'Ada', %s, '\\x00')
            """,
            (
                self.rid,
                booking_id,
                booking_id.hex[:8].upper(),
                status,
                party,
                MONDAY,
                start,
                f"{MONDAY} {start}Z",
                f"{MONDAY} {end}Z",
                source,
            ),
        )
        self._allocate("booking_id", booking_id, tables, start, end)
        return booking_id

    def block(self, tables: tuple[str, ...], start: str, end: str) -> None:
        block_id = uuid4()
        self.admin.execute(
            "INSERT INTO blocks (restaurant_id, id, start_at, end_at, created_by)"
            " VALUES (%s, %s, %s, %s, 'staff')",
            (self.rid, block_id, f"{MONDAY} {start}Z", f"{MONDAY} {end}Z"),
        )
        self._allocate("block_id", block_id, tables, start, end)

    def request(self, party: int, at: str, outcome: str, booking_id: UUID | None = None) -> None:
        self.admin.execute(
            """
            INSERT INTO demand_requests (restaurant_id, received_at, service_date, weekday,
                local_time, party_size, kind, source, outcome, booking_id)
            VALUES (%s, now(), %s, 0, %s, %s, 'booking', 'web', %s, %s)
            """,
            (self.rid, MONDAY, at, party, outcome, booking_id),
        )

    def move(self, booking_id: UUID, actor: str) -> None:
        self.admin.execute(
            "INSERT INTO booking_table_moves (restaurant_id, booking_id, from_tables,"
            " to_tables, actor) VALUES (%s, %s, '{T9}', '{T8}', %s)",
            (self.rid, booking_id, actor),
        )

    def _allocate(
        self, owner: str, owner_id: UUID, tables: tuple[str, ...], start: str, end: str
    ) -> None:
        for label in tables:
            self.admin.execute(
                f"INSERT INTO allocations (restaurant_id, table_id, {owner}, service_date,"  # type: ignore[arg-type]
                " occupied) VALUES (%s, %s, %s, %s, tstzrange(%s, %s))",
                (
                    self.rid,
                    self.tables[label],
                    owner_id,
                    MONDAY,
                    f"{MONDAY} {start}Z",
                    f"{MONDAY} {end}Z",
                ),
            )


@pytest.fixture
def day(cli: Cli, admin: Connection, tmp_path: Path) -> Day:
    path = tmp_path / "corner.toml"
    path.write_text(VENUE, encoding="utf-8")
    assert cli("venue", "import", str(path)).code == 0
    row = admin.execute("SELECT id FROM restaurants WHERE slug = %s", (SLUG,)).fetchone()
    assert row is not None
    return Day(admin, row["id"])


@pytest.fixture
def busy_monday(day: Day) -> None:
    """Five bookings at 18:00 to 20:00, two refused as full, one declined, one not offered;
    a walk-in and a block on the floor at 20:00; one move by the allocator and one by staff.

    The optimum, by hand: the terrace's six-top is blocked from 20:00 and T2 is a walk-in's
    from 20:00, so neither can take a party from 19:00 or 20:00, and the six at 20:00 fits
    nowhere. At 18:00 four tables seat four of the five parties asking for 18:00 to 20:00
    (the six on the terrace, the four on T2, the two on T1); from 19:00 T3 seats the four,
    and from 20:00 T1 the two: 6 + 4 + 2 + 4 + 2 = 18 covers."""
    early = day.booking(2, "18:00", "20:00", "completed", ("T2",))
    seated = day.booking(3, "18:00", "20:00", "seated", ("T3",))
    absent = day.booking(6, "18:00", "20:00", "no_show")
    late = day.booking(2, "20:00", "22:00", "confirmed", ("T1",))
    cancelled = day.booking(4, "19:00", "21:00", "cancelled")
    day.booking(2, "20:00", "21:30", "seated", ("T2",), source="walk_in")
    day.block(("P1",), "20:00", "22:00")
    day.request(2, "18:00", "confirmed", early)
    day.request(3, "18:00", "confirmed", seated)
    day.request(6, "18:00", "confirmed", absent)
    day.request(4, "18:00", "full")
    day.request(2, "20:00", "confirmed", late)
    day.request(6, "20:00", "full")
    day.request(4, "21:00", "not_offered")  # two hours from 21:00 is past closing
    day.request(4, "19:00", "confirmed", cancelled)
    day.request(2, "19:00", "declined")
    day.move(early, "system:allocator")
    day.move(late, "staff:0a1b2c3d")


def tally(count: int, covers: int) -> dict[str, int]:
    return {"count": count, "covers": covers}


def report_json(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("report", "day", "--restaurant", SLUG, "--json", *args)
    assert result.code == 0, result.err
    body: dict[str, Any] = json.loads(result.out)
    return body


@pytest.mark.usefixtures("busy_monday")
def test_the_report_counts_every_figure_of_the_day(cli: Cli) -> None:
    body = report_json(cli, "--date", MONDAY)

    assert body["restaurant"] == SLUG
    assert body["date"] == MONDAY
    assert body["requests"] == {
        "total": tally(9, 33),
        "by_outcome": {
            "confirmed": tally(5, 17),
            "pending": tally(0, 0),
            "held": tally(0, 0),
            "full": tally(2, 10),
            "paced": tally(0, 0),
            "declined": tally(1, 2),
            "not_offered": tally(1, 4),
        },
    }
    assert body["seated"] == tally(3, 7)
    assert body["no_shows"] == tally(1, 6)
    assert body["walk_ins"] == tally(1, 2)
    assert body["turned_away"] == {
        "total": tally(4, 16),
        "full": tally(2, 10),
        "paced": tally(0, 0),
        "declined": tally(1, 2),
        "not_offered": tally(1, 4),
    }
    # T2 for two, T3 for three, T1 for two, and the walk-in's two on T2.
    assert body["seat_waste"] == {
        "bookings": 4,
        "seats": 14,
        "covers": 9,
        "wasted": 5,
        "share": pytest.approx(5 / 14),
    }
    assert body["tables_moved"] == {"total": 2, "allocator": 1, "staff": 1}
    best = body["optimum"]
    assert best["requests"] == 8  # all but the one not offered
    assert best["covers_asked"] == 29
    assert (best["covers"], best["bound"], best["proven"]) == (18, 18, True)
    assert best["venue_covers"] == 13  # seated and the no-show
    assert best["share"] == pytest.approx(13 / 18)
    assert best["time_limit_seconds"] == 10.0


@pytest.mark.usefixtures("busy_monday")
def test_the_report_reads_as_tables_for_people(cli: Cli) -> None:
    result = cli("report", "day", "--restaurant", SLUG, "--date", MONDAY)

    assert result.code == 0, result.err
    rows = {
        cells[0]: cells[1:]
        for line in result.out.splitlines()
        if len(cells := [cell.strip() for cell in re.split(r"[│┃]", line)[1:-1]]) > 1
    }
    assert rows["requests in all"] == ["9", "33"]
    assert rows["seated"] == ["3", "7"]
    assert rows["turned away full"] == ["2", "10"]
    assert rows["turned away in all"] == ["4", "16"]
    assert rows["seat waste"] == ["5 of 14 seats (35.7%) over 4 bookings at tables"]
    assert rows["tables moved"] == ["2 (allocator 1, staff 1)"]
    assert rows["optimum"] == ["18 covers of 29 asked in 8 requests"]
    assert rows["venue booked"] == ["13 covers, 72.2% of the optimum"]


@pytest.mark.usefixtures("day")
def test_a_day_without_requests_is_a_report_of_zeros(cli: Cli) -> None:
    body = report_json(cli, "--date", MONDAY)

    assert body["requests"]["total"] == tally(0, 0)
    assert body["seated"] == tally(0, 0)
    assert body["seat_waste"]["share"] is None
    assert body["optimum"] | {"time_limit_seconds": None} == {
        "requests": 0,
        "covers_asked": 0,
        "covers": 0,
        "bound": 0,
        "proven": True,
        "status": "no requests",
        "seconds": 0.0,
        "time_limit_seconds": None,
        "venue_covers": 0,
        "share": None,
        "share_of_bound": None,
    }


@pytest.mark.usefixtures("busy_monday")
def test_the_time_limit_is_the_solvers(cli: Cli) -> None:
    best = report_json(cli, "--date", MONDAY, "--time-limit", "2.5")["optimum"]

    assert best["time_limit_seconds"] == 2.5
    assert best["covers"] == 18


@pytest.mark.usefixtures("day")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--restaurant", "nowhere", "--date", MONDAY), "no restaurant 'nowhere'"),
        (("--restaurant", SLUG, "--date", "2026-13-01"), "is not a date as YYYY-MM-DD"),
        (("--restaurant", SLUG, "--date", "Monday"), "is not a date as YYYY-MM-DD"),
        (("--restaurant", SLUG, "--date", "0001-01-01"), "outside the dates reserve keeps"),
        (("--restaurant", SLUG, "--date", MONDAY, "--time-limit", "0"), "the time limit"),
    ],
    ids=["unknown venue", "no such date", "not a date", "too early", "no time"],
)
def test_bad_input_is_one_line_and_a_failing_exit(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    result = cli("report", "day", *args)

    assert result.code == 1
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith("error: ")
    assert message in result.err
    assert "Traceback" not in result.err
