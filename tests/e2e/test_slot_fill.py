"""``reserve slot-fill`` against ``reserve serve`` on the test database: a White Horse lunch
filled over HTTP, the figures checked against the database, the summary's conclusion, seat-
waste anomalies and errors, an interrupted run resumed, and malformed flags refused.

The command runs in this process (Typer's test runner); the server is a real process, with
one worker to start quickly.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from processes import Server, free_port, next_monday, running
from typer.testing import CliRunner

from reserve.cli.slotfill import slot_fill
from reserve.db.database import Connection, OperatorDatabase
from reserve.db.venues import save_venue
from reserve.domain.access import Role
from reserve.loadtest import engine
from reserve.loadtest.client import Attempt, attempt, fetch_venue, new_client
from reserve.loadtest.log import Outcome, Record
from reserve.loadtest.plan import PlannedRequest
from reserve.loadtest.waste import Anomalies, half_empty
from reserve.services.keys import create_key
from reserve.services.venues import DEMO_VENUE, read_venue_file

pytestmark = pytest.mark.e2e

SLUG = "white-horse"
SECRET = "slot-fill-test-secret"
WAIT_LONGER_THAN_ANY_RUN = 30.0
LUNCH_REQUESTS = 12 * 10  # 12:00 to 15:00 every 15 minutes, 10 a slot


@dataclass(frozen=True)
class Served:
    base_url: str
    key: str
    process: Server


@pytest.fixture
def server(
    tmp_path: Path, admin: Connection, database_url: str, env: pytest.MonkeyPatch
) -> Iterator[Served]:
    """``reserve serve`` on the test database with the White Horse loaded and a staff key;
    the environment names the same database, where slot-fill reads its integrity report."""
    save_venue(admin, read_venue_file(DEMO_VENUE))
    _, key = create_key(
        OperatorDatabase(database_url), SECRET, role=Role.STAFF, restaurant=SLUG, name="slot-fill"
    )
    env.setenv("RESERVE_SECRET_KEY", SECRET)
    port = free_port()
    environ = {
        **os.environ,
        "RESERVE_LOG_LEVEL": "warning",
        # Bookings left pending under load are retried every second, not every 30.
        "RESERVE_PENDING_RETRY_SECONDS": "1",
    }
    with running(["serve", "--port", str(port)], environ, tmp_path / "serve.log", port) as serve:
        serve.wait_until_ready()
        yield Served(serve.base_url, key, serve)
    assert "Traceback" not in serve.output(), serve.output()


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def run(*args: str, key: str = "unused", base_url: str = "http://127.0.0.1:9") -> Ran:
    """``reserve slot-fill ARGS`` in this process: the command in a Typer app of its own (as
    the only command, it takes no name)."""
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)
    app.command("slot-fill")(slot_fill)
    result = CliRunner().invoke(
        app, ["--api-key", key, "--base-url", base_url, *args], env={"COLUMNS": "240"}
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def lunch(served: Served, logs: Path, day: date, *extra: str) -> Ran:
    return run(
        "--restaurant",
        SLUG,
        "--date",
        day.isoformat(),
        "--start",
        "12:00",
        "--end",
        "15:00",
        "--seed",
        "11",
        "--log-dir",
        str(logs),
        *extra,
        key=served.key,
        base_url=served.base_url,
    )


def log_records(logs: Path) -> list[Record]:
    return [Record.of_line(line) for line in (logs / "slot-fill.jsonl").read_text().splitlines()]


def metrics_of(logs: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((logs / "slot-fill-metrics.json").read_text())
    return data


def confirmed_in_database(admin: Connection, day: date) -> tuple[int, int]:
    """(bookings, covers) of the day's confirmed load-test bookings."""
    row = admin.execute(
        "SELECT count(*) AS n, coalesce(sum(party_size), 0) AS covers FROM bookings"
        " WHERE service_date = %s AND status = 'confirmed' AND source = 'load_test'",
        (day,),
    ).fetchone()
    assert row is not None
    return int(row["n"]), int(row["covers"])


def test_a_weekday_lunch_adds_up_at_each_concurrency(
    server: Served, admin: Connection, tmp_path: Path
) -> None:
    day = next_monday()
    logs = tmp_path / "logs"

    ran = lunch(server, logs, day, "--concurrency", "1,8")

    assert ran.code == 0, ran.out + ran.err
    metrics = metrics_of(logs)
    first, last = metrics["levels"]
    for level in (first, last):
        counts = {name: outcome["count"] for name, outcome in level["outcomes"].items()}
        assert sum(counts.values()) == level["requests"] == LUNCH_REQUESTS
        assert counts["error"] == 0
        assert counts["confirmed_inline"] > 0
        assert level["integrity"]["checked"]
        assert level["integrity"]["violations"] == 0
        assert level["integrity"]["report"]["violations"] == 0
        assert sum(row["requests"] for row in level["slots"]) == level["requests"]
    # Level 8 started on a day cleared of level 1's bookings; the database holds its own.
    assert last["cleared"]["bookings"] == first["bookings"]
    assert confirmed_in_database(admin, day) == (last["bookings"], last["covers_booked"])
    assert [row["concurrency"] for row in metrics["comparison"]] == [1, 8]
    assert metrics["integrity"] == {"checked": True, "violations": 0}
    assert metrics["passed"]

    records = log_records(logs)
    assert len(records) == 2 * LUNCH_REQUESTS
    assert Counter((r.concurrency, r.slot, r.request) for r in records).most_common(1)[0][1] == 1
    assert all(r.seat_waste is not None and r.seat_waste >= 0 for r in records if r.tables)
    waste = sum(r.seat_waste or 0 for r in records if r.concurrency == 8 and r.outcome.booked)
    assert waste == last["seat_waste"]["total"]
    assert "clean" in ran.out
    # The same run, read for its summary (one lunch at two levels is the costly part).
    the_summary_concludes_from_the_figures_and_draws_the_lunch_in_80_columns(ran, logs)


def words(text: str) -> str:
    """The output's words, however the summary wrapped them."""
    return " ".join(text.split())


def the_summary_concludes_from_the_figures_and_draws_the_lunch_in_80_columns(
    ran: Ran, logs: Path
) -> None:
    """What a lunch at 1 and 8 clients summed up says: the day-lock wait measured, every
    half-empty booking an anomaly, the sentences, the pictures within 80 columns."""
    metrics = metrics_of(logs)
    records = log_records(logs)
    for level in metrics["levels"]:
        # The server's day-lock histogram moved by the level's allocations, and says so.
        lock = level["day_lock_wait"]
        assert lock["measured"], lock
        assert 0 < lock["waits"] <= level["requests"] + level["bookings"]
        assert lock["seconds"] >= 0
        assert 0 <= lock["share_of_submit_time"] <= 1
        # Every half-empty booking of the log is an anomaly, and the server was asked
        # about the free tables of each.
        anomalies = level["seat_waste_anomalies"]
        assert anomalies["fit_check"] == "made"
        half = {
            (r.slot, r.request)
            for r in records
            if r.concurrency == level["concurrency"]
            and r.outcome.booked
            and half_empty(r.seats or 0, r.seat_waste or 0)
        }
        listed = {(a["slot"], a["request"]) for a in anomalies["bookings"]}
        assert half <= listed
        assert all(a["least_free_waste"] is not None for a in anomalies["bookings"])
        # The first slot's seats are the bookings made for it.
        first = [r for r in records if r.concurrency == level["concurrency"] and r.slot == "12:00"]
        (at_noon, *_) = level["seats_by_slot"]["slots"]
        assert at_noon["covers"] == sum(r.party_size for r in first if r.outcome.booked)
        assert level["seats_by_slot"]["floor_seats"] == 210
        assert sum(b["count"] for b in level["submit_distribution_ms"]) == level["requests"]
    floor, time = metrics["conclusion"]
    assert floor.startswith("Seat waste per booking ")
    assert time.startswith("Submit p50 ")
    assert "the wait for the day's lock per request, as the server measured it," in time
    assert [row["seat_waste_anomalies"] for row in metrics["comparison"]] == [
        level["seat_waste_anomalies"]["count"] for level in metrics["levels"]
    ]

    assert floor in words(ran.out)
    assert time in words(ran.out)
    assert "Outcomes: none answered pending, none left pending, no errors." in ran.out
    # The pictures keep to 80 columns on a console 240 wide: a line a slot, none wrapped.
    lines = ran.out.splitlines()
    chart = lines[lines.index(next(line for line in lines if line.startswith("Seats at "))) :]
    slots = [line[:5] for line in chart if re.match(r"\d\d:\d\d ", line)]
    assert slots == [f"{h}:{m}" for h in ("12", "13", "14") for m in ("00", "15", "30", "45")]
    assert max(len(line) for line in chart if not line.startswith(("log ", "metrics "))) <= 80


def test_a_booking_moved_to_a_table_twice_its_size_is_an_anomaly_while_a_fitting_one_is_free(
    server: Served,
) -> None:
    """Bookings made as slot-fill makes them; then staff move one party of two to a four-top
    (and a party of four to a six-top) while two-tops (and four-tops) stay free. The server's
    free ways for each make them anomalies; the party left at its two-top is none."""

    async def scenario() -> Anomalies:
        async with new_client(server.base_url, server.key, 4) as client:
            venue = await fetch_venue(client, SLUG)
            context = Attempt(
                client=client,
                venue=venue,
                day=next_monday(),
                run="moved",
                segment="s1",
                seed=11,
                concurrency=1,
                two_phase=False,
                poll_timeout=5.0,
            )
            good, twice, four = [
                await attempt(context, PlannedRequest("12:00", index, party))
                for index, party in enumerate((2, 2, 4))
            ]
            assert (good.seats, twice.seats, four.seats) == (2, 2, 4)
            taken = {*good.tables, *twice.tables, *four.tables}

            def free_table(seats: int, party: int) -> str:
                return next(
                    label
                    for label, capacity in venue.capacities.items()
                    if capacity == seats
                    and label not in taken
                    and venue.parties[label][0] <= party <= venue.parties[label][1]
                )

            moved = []
            for record, table in ((twice, free_table(4, 2)), (four, free_table(6, 4))):
                response = await client.put(
                    f"/v1/bookings/{record.booking_id}/tables", json={"tables": [table]}
                )
                assert response.status_code == 200, response.text
                seats = venue.capacities[table]
                # As the log would hold it had the allocator seated it there.
                moved.append(
                    replace(
                        record,
                        tables=[table],
                        seats=seats,
                        seat_waste=seats - record.party_size,
                    )
                )
            return await engine.seat_waste_anomalies(client, venue, [good, *moved], two_phase=False)

    anomalies = asyncio.run(scenario())

    assert anomalies.fit_check is None
    assert [(a.party_size, a.seats, a.least_free_waste) for a in anomalies.found] == [
        (2, 4, 0),
        (4, 6, 0),
    ]
    assert all(a.better_fit_free for a in anomalies.found)
    assert not anomalies.found[1].half_empty  # two of six: only the free four-top tells


def test_errors_and_an_unread_lock_wait_stand_out_in_the_summary(
    server: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stops after the first two bookings: the other four requests end in error,
    and neither /metrics nor the free tables can be read after the level."""
    logs = tmp_path / "logs"
    send = engine.attempt

    async def stopping(context: Attempt, request: PlannedRequest) -> Record:
        if request.index == 2:
            server.process.stop()
        return await send(context, request)

    monkeypatch.setattr(engine, "attempt", stopping)
    ran = lunch(server, logs, next_monday(), "--end", "12:15", "--stress-max", "6")

    assert ran.code == 1
    assert "4 requests ended in error" in ran.err
    out = words(ran.out)
    assert "Ended in error: 4 at 1 client" in out
    assert "none left pending" not in out
    records = log_records(logs)
    assert [r.outcome.booked for r in records] == [True, True, False, False, False, False]
    # The first three, each with its line in the log and the line itself.
    for number, record in enumerate(records[2:5], start=3):
        assert record.outcome is Outcome.ERROR
        assert f"log line {number}: 1 client, 12:00 #{record.request}, party of" in out
        assert "    " + record.to_line().strip() in ran.out.splitlines()
    assert "log line 6:" not in out
    # Said to be unknown, not made up.
    assert "At 1 client the wait for the day's lock is not known (GET /metrics failed" in out
    assert "The better-fit comparison was not made: cannot reach" in out
    (level,) = metrics_of(logs)["levels"]
    assert level["outcome_states"]["error"]["count"] == 4
    assert [item["line"] for item in level["outcome_states"]["error"]["first"]] == [3, 4, 5]
    assert not level["day_lock_wait"]["measured"]
    assert level["day_lock_wait"]["share_of_submit_time"] is None
    assert level["seat_waste_anomalies"]["fit_check"].startswith("not made: cannot reach")


def test_two_phase_books_through_holds_and_leaves_none_behind(
    server: Served, admin: Connection, tmp_path: Path
) -> None:
    day = next_monday()
    logs = tmp_path / "logs"

    ran = lunch(server, logs, day, "--concurrency", "8", "--two-phase")

    assert ran.code == 0, ran.out + ran.err
    (level,) = metrics_of(logs)["levels"]
    assert level["outcomes"]["error"]["count"] == 0
    records = log_records(logs)
    assert all(r.hold_ms is not None for r in records)
    assert sum(r.outcome.booked for r in records) == level["bookings"] > 0
    assert confirmed_in_database(admin, day) == (level["bookings"], level["covers_booked"])
    holds = admin.execute("SELECT count(*) AS n FROM holds").fetchone()
    assert holds == {"n": 0}
    assert level["integrity"]["violations"] == 0


def test_a_resumed_run_continues_after_the_last_completed_slot(
    server: Served, admin: Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = next_monday()
    logs = tmp_path / "logs"
    send = engine.attempt

    async def interrupted(context: Attempt, request: PlannedRequest) -> Record:
        if request.slot == "13:00":  # Ctrl+C as the run reaches 13:00
            signal.raise_signal(signal.SIGINT)
            await asyncio.sleep(WAIT_LONGER_THAN_ANY_RUN)  # cancelled by the interruption
        return await send(context, request)

    monkeypatch.setattr(engine, "attempt", interrupted)
    ran = lunch(server, logs, day, "--concurrency", "8")
    assert ran.code == 130, ran.out + ran.err
    assert "--resume" in ran.err
    before = log_records(logs)
    per_slot = Counter(r.slot for r in before)
    assert "13:00" not in per_slot
    # Requests finish out of order (eight in flight, some polled): the run continues from
    # the first slot not complete in the log.
    slots = ["12:00", "12:15", "12:30", "12:45", "13:00"]
    first_incomplete = next(slot for slot in slots if per_slot[slot] < 10)

    monkeypatch.setattr(engine, "attempt", send)
    ran = lunch(server, logs, day, "--concurrency", "8", "--resume")

    assert ran.code == 0, ran.out + ran.err
    after = log_records(logs)
    resumed = after[len(before) :]
    assert after[: len(before)] == before
    assert {r.segment for r in resumed}.isdisjoint({r.segment for r in before})
    # Exactly after the last completed slot: nothing of a completed slot is sent again, and
    # nothing already logged either.
    assert min(r.slot for r in resumed) == first_incomplete
    assert {r.key for r in resumed}.isdisjoint({r.key for r in before})
    assert len({r.key for r in after}) == len(after) == LUNCH_REQUESTS
    metrics = metrics_of(logs)
    (level,) = metrics["levels"]
    assert metrics["resumed"]
    assert sum(o["count"] for o in level["outcomes"].values()) == LUNCH_REQUESTS
    assert level["outcomes"]["error"]["count"] == 0
    assert confirmed_in_database(admin, day) == (level["bookings"], level["covers_booked"])
    assert metrics["integrity"] == {"checked": True, "violations": 0}


def test_resuming_another_runs_log_is_refused(
    env: pytest.MonkeyPatch, admin: Connection, tmp_path: Path
) -> None:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    logs = tmp_path / "logs"
    logs.mkdir()
    day = next_monday()
    logged = Record(
        run="r1",
        segment="s1",
        restaurant=SLUG,
        date=day.isoformat(),
        seed=11,
        two_phase=False,
        concurrency=8,
        slot="12:00",
        request=0,
        party_size=2,
        idempotency_key="k",
        started_at="2026-12-07T12:00:00+00:00",
        outcome=Outcome.REJECTED_NO_AVAILABILITY,
        http_status=409,
    )
    (logs / "slot-fill.jsonl").write_text(logged.to_line())
    resume = ("--restaurant", SLUG, "--log-dir", str(logs), "--resume")

    for extra, message in [
        (("--two-phase",), "the interrupted run was without --two-phase"),
        (("--seed", "12"), "the interrupted run used --seed 11"),
        (("--date", (day + timedelta(days=1)).isoformat()), f"the interrupted run filled {day}"),
    ]:
        ran = run(*resume, *extra)
        assert ran.code == 1, ran.err
        assert ran.err.startswith(f"error: {message}"), ran.err
    ran = run("--restaurant", SLUG, "--resume", "--log-dir", str(tmp_path / "none"))
    assert ran.code == 1
    assert "nothing to resume" in ran.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "No such option: --bogus"),
        (["--start", "25:00"], "Invalid value for '--start': '25:00' is not a time of day"),
        (["--start", "15:00", "--end", "12:00"], "the window must start before it ends"),
        (["--interval", "0"], "Invalid value for '--interval'"),
        (["--stress-max", "-1"], "Invalid value for '--stress-max'"),
        (["--min-party-size", "6", "--max-party-size", "2"], "the smallest party (6)"),
        (["--concurrency", "1,x"], "Invalid value for '--concurrency'"),
        (["--concurrency", "0"], "Invalid value for '--concurrency'"),
        (["--date", "2026-02-30"], "'2026-02-30' is not a date as YYYY-MM-DD"),
        (["--poll-timeout", "soon"], "Invalid value for '--poll-timeout'"),
        (["--base-url", "localhost:8000"], "is not an http:// or https:// URL"),
    ],
)
def test_malformed_and_unknown_flags_are_refused(args: list[str], message: str) -> None:
    ran = run("--restaurant", SLUG, *args)
    assert ran.code == 2
    assert message in " ".join(re.sub(r"[│╭╮╰╯─]", " ", ran.err).split())


def test_an_unreachable_server_is_one_line(env: pytest.MonkeyPatch, admin: Connection) -> None:
    save_venue(admin, read_venue_file(DEMO_VENUE))
    ran = run("--restaurant", SLUG, base_url=f"http://127.0.0.1:{free_port()}")
    assert ran.code == 1
    assert ran.err.startswith("error: cannot reach http://127.0.0.1:")
    assert len(ran.err.strip().splitlines()) == 1
