"""slot-fill's summary: seat-waste anomalies, the outcomes a clean run has none of, the
sentences that conclude a comparison of levels, the day lock's wait read from /metrics, and
the pictures, at 80 columns."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from pathlib import Path

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from rich.console import Console

from reserve.loadtest.chart import latency_chart, seats_chart
from reserve.loadtest.client import VenueInfo
from reserve.loadtest.compare import Figures, conclude
from reserve.loadtest.engine import Integrity, LevelResult, Result
from reserve.loadtest.lock import LockWait, Reading, parse_lock_wait
from reserve.loadtest.log import Outcome, Record
from reserve.loadtest.metrics import level_metrics
from reserve.loadtest.report import print_summary, tally
from reserve.loadtest.waste import find_anomalies, is_anomaly

# Some of the White Horse's tables: two-tops for one or two, four-tops from two, and so on.
CAPACITY = {
    "MD-01": 2,
    "MD-02": 2,
    "MD-03": 4,
    "MD-04": 4,
    "MD-07": 6,
    "BA-05": 10,
    "PR-01": 4,  # extended, it seats up to six
}
VENUE = VenueInfo(
    slug="white-horse",
    name="The White Horse",
    capacities=CAPACITY,
    parties={
        "MD-01": (1, 2),
        "MD-02": (1, 2),
        "MD-03": (2, 4),
        "MD-04": (2, 4),
        "MD-07": (3, 6),
        "BA-05": (5, 10),
        "PR-01": (2, 6),
    },
    open_weekdays=frozenset({1, 2, 3, 4, 5}),
    max_online_party_size=12,
)
least_alone = VENUE.best_alone
DAY = "2026-12-07"


def booking(
    slot: str,
    index: int,
    party_size: int,
    tables: tuple[str, ...],
    *,
    outcome: Outcome = Outcome.CONFIRMED_INLINE,
    concurrency: int = 8,
    submit_ms: float = 5.0,
    end_at: str | None = None,
) -> Record:
    booked = outcome.booked
    seats = sum(CAPACITY[label] for label in tables) if booked else None
    return Record(
        run="r1",
        segment="s1",
        restaurant="white-horse",
        date=DAY,
        seed=7,
        two_phase=False,
        concurrency=concurrency,
        slot=slot,
        request=index,
        party_size=party_size,
        idempotency_key=f"slot-fill:r1:c{concurrency}:{slot}:{index}",
        started_at=f"{DAY}T12:00:00+00:00",
        outcome=outcome,
        http_status={
            Outcome.CONFIRMED_INLINE: 201,
            Outcome.CONFIRMED_POLL: 202,
            Outcome.PENDING_TIMEOUT: 202,
            Outcome.ERROR: 500,
        }.get(outcome, 409),
        problem="internal-error" if outcome is Outcome.ERROR else None,
        detail="the server failed" if outcome is Outcome.ERROR else None,
        booking_id=f"b-{slot}-{index}" if booked else None,
        submit_ms=submit_ms,
        poll_ms=60_000.0 if outcome is Outcome.PENDING_TIMEOUT else None,
        total_ms=submit_ms,
        tables=list(tables) if booked else [],
        seats=seats,
        seat_waste=None if seats is None else max(seats - party_size, 0),
        end_at=end_at,
    )


def refused(slot: str, index: int, outcome: Outcome, concurrency: int = 8) -> Record:
    return booking(slot, index, 4, (), outcome=outcome, concurrency=concurrency)


# --- seat-waste anomalies ------------------------------------------------------------------


def test_a_party_at_a_table_twice_its_size_while_a_fitting_one_was_free_is_an_anomaly() -> None:
    two_at_a_four_top = booking("12:00", 0, 2, ("MD-03",))

    (anomaly,) = find_anomalies([two_at_a_four_top], {("12:00", 0): 0}, least_alone).found

    assert anomaly.better_fit_free
    assert anomaly.half_empty
    assert (anomaly.slot, anomaly.party_size, anomaly.tables, anomaly.waste) == (
        "12:00",
        2,
        ("MD-03",),
        2,
    )
    assert anomaly.why == "a fit leaving 0 empty was free"


def test_a_good_fit_is_no_anomaly() -> None:
    two_at_a_two_top = booking("12:00", 0, 2, ("MD-01",))
    three_at_a_four_top = booking("12:00", 1, 3, ("MD-03",))
    nine_at_ten = booking("12:00", 2, 9, ("BA-05",))

    found = find_anomalies(
        [two_at_a_two_top, three_at_a_four_top, nine_at_ten],
        {("12:00", 0): 0, ("12:00", 1): 1, ("12:00", 2): 1},
        least_alone,
    ).found

    assert found == []
    assert not any(map(is_anomaly, [two_at_a_two_top, three_at_a_four_top, nine_at_ten]))


def test_a_better_fit_left_free_flags_a_table_less_than_half_empty() -> None:
    four_at_a_six_top = booking("12:00", 0, 4, ("MD-07",))

    assert not is_anomaly(four_at_a_six_top)  # two of six empty: not half
    assert find_anomalies([four_at_a_six_top], {}, least_alone).found == []
    (anomaly,) = find_anomalies([four_at_a_six_top], {("12:00", 0): 0}, least_alone).found
    assert anomaly.better_fit_free
    assert not anomaly.half_empty


def test_a_half_empty_table_says_whether_the_floor_has_a_smaller_one() -> None:
    one_at_a_two_top = booking("12:00", 0, 1, ("MD-01",))
    two_at_a_four_top = booking("12:00", 1, 2, ("MD-03",))

    found = find_anomalies([one_at_a_two_top, two_at_a_four_top], {}, least_alone).found

    assert [(a.party_size, a.why) for a in found] == [
        (2, "half empty; a 2-top can seat 2"),
        (1, "half empty; no smaller table fits"),
    ]
    (five,) = find_anomalies([booking("12:00", 2, 5, ("BA-05",))], {}, least_alone).found
    assert five.why == "half empty; a 4-top can seat 5"  # the extended one


def test_anomalies_come_the_most_avoidable_first() -> None:
    records = [
        booking("12:00", 0, 1, ("MD-01",)),  # half empty, nothing smaller
        booking("12:15", 0, 2, ("MD-03",)),  # half empty, two-tops on the floor
        booking("12:30", 0, 4, ("MD-07",)),  # a four-top was free
    ]
    found = find_anomalies(records, {("12:30", 0): 0}, least_alone).found
    assert [a.slot for a in found] == ["12:30", "12:15", "12:00"]


def test_the_progress_line_counts_anomalies() -> None:
    counts = Counter({Outcome.CONFIRMED_INLINE: 3, Outcome.REJECTED_NO_AVAILABILITY: 1})
    assert tally(counts, 2) == "booked 3 refused 1 errors 0 anomalies 2"


# --- what a comparison concludes ------------------------------------------------------------


def figures(
    concurrency: int,
    waste: float,
    *,
    covers: int = 1000,
    p50: float = 10.0,
    p99: float = 20.0,
    submit_ms: float = 10.0,
    lock_ms: float | None = 0.1,
    lock_error: str | None = None,
    pending: int = 0,
    still: int = 0,
) -> Figures:
    """A level of 400 requests; ``submit_ms`` and ``lock_ms`` are per request."""
    return Figures(
        concurrency=concurrency,
        requests=400,
        seat_waste_per_booking=waste,
        covers=covers,
        submit_p50_ms=p50,
        submit_p99_ms=p99,
        submit_total_ms=submit_ms * 400,
        lock_wait_ms=None if lock_ms is None else lock_ms * 400,
        lock_error=lock_error,
        answered_pending=pending,
        still_pending=still,
    )


def test_the_level_with_the_most_waste_is_named() -> None:
    floor, _ = conclude(
        [figures(1, 0.80), figures(8, 0.95, covers=990), figures(64, 0.81, covers=1010)]
    )
    assert floor.startswith(
        "Seat waste per booking was highest at 8 clients (0.95) and lowest at 1 client (0.80)"
    )
    assert "covers barely moved (1,000 to 1,010)" in floor


def test_waste_rising_with_concurrency_names_the_last_level_as_the_most() -> None:
    floor, _ = conclude(
        [
            figures(64, 0.94, covers=1026),
            figures(1, 0.80, covers=1082),
            figures(8, 0.82, covers=1050),
        ]
    )
    assert floor == (
        "Seat waste per booking rose from 0.80 at 1 client to 0.94 at 64 clients, "
        "and covers fell from 1,082 to 1,026."
    )


def test_figures_that_barely_move_are_said_to_hold() -> None:
    floor, _ = conclude([figures(1, 0.80), figures(8, 0.81)])
    assert floor == "Seat waste per booking barely moved (0.80 to 0.81), and covers held at 1,000."


def test_when_submitting_slows_by_queueing_for_the_lock_the_conclusion_says_so() -> None:
    _, time = conclude(
        [
            figures(1, 0.8, p50=11.6, p99=17.9, submit_ms=12.0, lock_ms=0.1),
            figures(64, 0.9, p50=480.1, p99=701.4, submit_ms=490.0, lock_ms=420.0),
        ]
    )
    assert time.startswith(
        "Submit p50 rose from 11.6 ms at 1 client to 480.1 ms at 64 clients and p99 rose "
        "from 17.9 ms to 701.4 ms; the wait for the day's lock per request, as the server "
        "measured it, rose from 0.10 ms to 420.0 ms, 86% of the submit time at 64 clients"
    )
    assert time.endswith(
        ": most of the submit time added from 1 client to 64 clients (88%) is that queue."
    )


def test_when_the_lock_is_a_small_part_of_the_slowing_the_conclusion_says_so() -> None:
    _, time = conclude(
        [
            figures(1, 0.8, submit_ms=12.0, lock_ms=0.0),
            figures(64, 0.8, submit_ms=812.0, lock_ms=40.0),
        ]
    )
    assert time.endswith(
        ": that queue is 5% of the submit time added from 1 client to 64 clients, the rest is "
        "spent elsewhere."
    )


def test_an_unread_lock_wait_is_said_to_be_unknown() -> None:
    unread = "GET /metrics answered 404"
    _, time = conclude(
        [figures(1, 0.8, lock_ms=None, lock_error=unread), figures(8, 0.8, lock_ms=None)]
    )
    assert time.endswith("; the wait for the day's lock is not known (GET /metrics answered 404).")
    assert "%" not in time


def test_bookings_left_pending_are_part_of_the_conclusion() -> None:
    *_, pending = conclude([figures(1, 0.8), figures(64, 0.8, pending=12, still=3)])
    assert pending == (
        "Bookings answered pending (202) rose from 0 at 1 client to 12 at 64 clients; "
        "3 were still pending at the poll timeout, 3 at 64 clients."
    )


# --- the day lock's wait, from /metrics -----------------------------------------------------


def test_the_lock_wait_is_read_from_the_servers_histogram() -> None:
    registry = CollectorRegistry()
    waits = Histogram("reserve_day_lock_wait_seconds", "wait", registry=registry)
    for seconds in (0.001, 0.002, 0.5):
        waits.observe(seconds)

    reading = parse_lock_wait(generate_latest(registry).decode())

    assert reading.waits == 3
    assert round(reading.seconds, 6) == 0.503
    level = LockWait.between(Reading(0.003, 2), reading)
    assert level.waits == 1
    assert level.mean_ms == 500.0


def test_a_server_that_went_back_is_not_a_negative_wait() -> None:
    assert LockWait.between(Reading(5.0, 100), Reading(0.1, 2)).error is not None


# --- the summary ------------------------------------------------------------------------------


def result(*levels: LevelResult) -> Result:
    return Result(
        date.fromisoformat(DAY),
        7,
        list(levels),
        Path("logs/slot-fill.jsonl"),
        Path("logs/slot-fill-metrics.json"),
    )


def level(
    concurrency: int,
    records: list[Record],
    slots: list[str],
    lock: LockWait | None = None,
) -> LevelResult:
    lines = {record.key: number for number, record in enumerate(records, start=1)}
    metrics = level_metrics(concurrency, records, slots, VENUE.seats, lines)
    return LevelResult(
        metrics,
        None,
        Integrity(0, {}),
        find_anomalies(records, {}, least_alone),
        lock or LockWait(0.01, len(records)),
    )


def rendered(run: Result, width: int = 80) -> list[str]:
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    print_summary(console, "slot-fill white-horse", run)
    return console.export_text().splitlines()


def prose(lines: list[str]) -> str:
    """The summary's words, however they were wrapped."""
    return " ".join(" ".join(lines).split())


def test_pending_and_error_outcomes_stand_out_in_the_summary() -> None:
    records = [
        booking("12:00", 0, 2, ("MD-01",)),
        refused("12:00", 1, Outcome.PENDING_TIMEOUT),
        refused("12:00", 2, Outcome.ERROR),
        booking("12:00", 3, 2, ("MD-02",), outcome=Outcome.CONFIRMED_POLL),
    ]
    text = prose(rendered(result(level(8, records, ["12:00"]))))

    assert "Still pending at the poll timeout: 1 at 8 clients" in text
    assert "Ended in error: 1 at 8 clients" in text
    assert "Answered pending (202), confirmed while polling: 1 at 8 clients" in text
    # Each listed with its line in the log, and the line itself.
    assert "log line 2: 8 clients, 12:00 #1, party of 4, HTTP 202, polled 60.0 s" in text
    assert "log line 3: 8 clients, 12:00 #2, party of 4, HTTP 500, internal-error" in text
    assert '"idempotency_key":"slot-fill:r1:c8:12:00:2"' in text
    assert "none left pending" not in text


def test_a_clean_run_says_it_is_clean() -> None:
    records = [
        booking("12:00", 0, 2, ("MD-01",)),
        refused("12:00", 1, Outcome.REJECTED_NO_AVAILABILITY),
    ]
    text = prose(rendered(result(level(1, records, ["12:00"]))))
    assert "Outcomes: none answered pending, none left pending, no errors." in text


def test_the_summary_lists_anomalies_under_the_table() -> None:
    records = [booking("12:00", 0, 1, ("MD-01",)), booking("12:15", 0, 2, ("MD-03",))]
    lines = rendered(result(level(8, records, ["12:00", "12:15"])))
    text = prose(lines)
    assert "1 of the 2 sat at the smallest table of the floor that fits the party." in text
    assert any(line.split()[:5] == ["8", "12:15", "2", "MD-03", "2"] for line in lines)
    assert "half empty; a 2-top can seat 2" in text
    assert lines.index(next(line for line in lines if "waste anomalies" in line)) < next(
        i for i, line in enumerate(lines) if line.startswith("Seat-waste anomalies")
    )


def a_full_day(concurrency: int) -> list[Record]:
    """Forty slots from 12:00 to 21:45, with big parties on the floor at each."""
    records = []
    for minutes in range(12 * 60, 22 * 60, 15):
        slot = f"{minutes // 60:02d}:{minutes % 60:02d}"
        leaves = minutes + 90
        end = f"{DAY}T{leaves // 60:02d}:{leaves % 60:02d}:00+00:00"
        for index in range(4):
            records.append(booking(slot, index, 9, ("BA-05",), concurrency=concurrency, end_at=end))
        records.append(
            booking(slot, 4, 1, ("MD-01",), concurrency=concurrency, submit_ms=900.0, end_at=end)
        )
    return records


def test_the_charts_render_at_80_columns_without_wrapping() -> None:
    slots = [f"{m // 60:02d}:{m % 60:02d}" for m in range(12 * 60, 22 * 60, 15)]
    levels = [level(c, a_full_day(c), slots) for c in (1, 8, 64)]
    for width in (80, 1000):  # a pipe is 1000 wide: the pictures stay at 80
        console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
        console.print(seats_chart([lv.metrics for lv in levels]), width=min(width, 80))
        console.print(latency_chart([lv.metrics for lv in levels]), width=min(width, 80))
        lines = console.export_text().splitlines()
        assert max(len(line) for line in lines) <= 80
        # One line a slot: none wrapped onto a second.
        assert [line[:5] for line in lines if line[:5] in slots] == slots
        # Legend and header, a row a slot; legend and header, a row a bucket from 5 to 1000 ms.
        assert len(lines) == 2 + len(slots) + 2 + 7

    whole = rendered(result(*levels), width=1000)
    assert max(len(line) for line in whole if not line.startswith("    {")) <= 80


def test_the_seats_chart_counts_a_booking_from_its_start_until_its_guests_leave() -> None:
    records = [
        booking("12:00", 0, 9, ("BA-05",), end_at=f"{DAY}T12:30:00+00:00"),
        booking("12:15", 0, 1, ("MD-01",), end_at=f"{DAY}T13:00:00+00:00"),
    ]
    metrics = level_metrics(8, records, ["12:00", "12:15", "12:30", "12:45"], 26)
    assert [(row.covers, row.empty, row.free) for row in metrics.seats_at] == [
        (9, 1, 16),
        (10, 2, 14),
        (1, 1, 24),
        (1, 1, 24),
    ]


def test_the_json_carries_the_pictures_data() -> None:
    records = [booking("12:00", 0, 2, ("MD-01",), submit_ms=12.0, end_at=f"{DAY}T13:00:00+00:00")]
    data = level(1, records, ["12:00"]).to_json()
    assert data["seats_by_slot"] == {
        "floor_seats": 32,
        "slots": [{"slot": "12:00", "covers": 2, "empty": 0, "free": 30}],
    }
    assert {"from_ms": 10, "to_ms": 20, "count": 1} in data["submit_distribution_ms"]
    assert data["seat_waste_anomalies"]["count"] == 0
    assert data["day_lock_wait"]["measured"]
