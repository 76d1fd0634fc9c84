"""slot-fill's pure parts: the plan, where a resumed run continues, and the arithmetic of its
metrics."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from pathlib import Path

import pytest

from reserve.loadtest.client import classify
from reserve.loadtest.log import (
    LogError,
    Outcome,
    Record,
    check_matches,
    done,
    last_completed_slot,
    read_log,
    remaining,
)
from reserve.loadtest.metrics import level_metrics, percentile, wall_seconds
from reserve.loadtest.plan import Plan, Window, parse_clock, parse_levels

LUNCH = Window(time(12, 0), time(15, 0), 15)


def plan(seed: int = 7, window: Window = LUNCH, stress_max: int = 10) -> Plan:
    return Plan(window, stress_max, min_party=1, max_party=12, seed=seed)


def record(
    slot: str,
    index: int,
    outcome: Outcome = Outcome.CONFIRMED_INLINE,
    *,
    party_size: int = 4,
    tables: tuple[str, ...] = ("MD-01",),
    seats: int = 4,
    concurrency: int = 8,
    submit_ms: float = 5.0,
    started_at: str = "2026-12-07T12:00:00+00:00",
    segment: str = "s1",
) -> Record:
    booked = outcome in (Outcome.CONFIRMED_INLINE, Outcome.CONFIRMED_POLL)
    return Record(
        run="r1",
        segment=segment,
        restaurant="white-horse",
        date="2026-12-07",
        seed=7,
        two_phase=False,
        concurrency=concurrency,
        slot=slot,
        request=index,
        party_size=party_size,
        idempotency_key=f"k-{slot}-{index}",
        started_at=started_at,
        outcome=outcome,
        http_status=201 if booked else 409,
        submit_ms=submit_ms,
        poll_ms=30.0 if outcome is Outcome.CONFIRMED_POLL else None,
        total_ms=submit_ms,
        tables=list(tables) if booked else [],
        seats=seats if booked else None,
        seat_waste=seats - party_size if booked else None,
    )


def logged(the_plan: Plan, *slots: str) -> list[Record]:
    """Every request of ``slots``, as a finished run would have logged them."""
    return [
        record(request.slot, request.index, party_size=request.party_size)
        for slot in slots
        for request in the_plan.requests_of(slot)
    ]


# --- the plan ---------------------------------------------------------------------------------


def test_the_same_seed_plans_the_same_requests() -> None:
    assert plan(seed=42).requests() == plan(seed=42).requests()


def test_another_seed_plans_other_party_sizes() -> None:
    sizes = [request.party_size for request in plan(seed=1).requests()]
    assert sizes != [request.party_size for request in plan(seed=2).requests()]


def test_a_slot_asks_the_same_whatever_the_window_around_it() -> None:
    longer = plan(window=Window(time(12, 0), time(22, 0), 15))
    assert longer.requests_of("13:30") == plan().requests_of("13:30")


def test_slots_run_from_the_start_to_before_the_end_every_interval() -> None:
    assert plan().slots() == [
        f"{hour}:{minute:02d}" for hour in (12, 13, 14) for minute in (0, 15, 30, 45)
    ]
    assert Window(time(12, 0), time(13, 0), 25).slots() == ["12:00", "12:25", "12:50"]


def test_every_slot_gets_stress_max_requests_in_order() -> None:
    requests = plan(stress_max=3).requests()
    assert len(requests) == 12 * 3
    assert [(r.slot, r.index) for r in requests[:4]] == [
        ("12:00", 0),
        ("12:00", 1),
        ("12:00", 2),
        ("12:15", 0),
    ]


def test_party_sizes_cover_the_range_and_never_leave_it() -> None:
    sizes = {r.party_size for r in Plan(LUNCH, 100, 3, 6, seed=5).requests()}
    assert sizes == {3, 4, 5, 6}


def test_a_window_must_start_before_it_ends_and_step_forward() -> None:
    with pytest.raises(ValueError, match="not before its end"):
        Window(time(15, 0), time(15, 0), 15)
    with pytest.raises(ValueError, match="at least one minute"):
        Window(time(12, 0), time(15, 0), 0)
    with pytest.raises(ValueError, match="not a range"):
        Plan(LUNCH, 10, 6, 2, seed=1)


@pytest.mark.parametrize("text", ["12:00", "00:00", "23:59", " 09:30 "])
def test_clock_times_read_as_hh_mm(text: str) -> None:
    assert parse_clock(text) == time(*map(int, text.strip().split(":")))


@pytest.mark.parametrize("text", ["24:00", "12:60", "9:30", "noon", "12:00:00", ""])
def test_other_clock_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_clock(text)


def test_concurrency_lists_read_in_order() -> None:
    assert parse_levels("1,8,64") == (1, 8, 64)
    assert parse_levels(" 4 ") == (4,)


@pytest.mark.parametrize("text", ["", "0", "1,,8", "x", "1.5", "-2", "2000", "²"])
def test_malformed_concurrency_lists_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="concurrency levels"):
        parse_levels(text)


def test_a_level_named_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse_levels("8,1,8")


# --- resuming ---------------------------------------------------------------------------------


def test_a_resumed_run_continues_after_the_last_completed_slot() -> None:
    the_plan = plan()
    records = logged(the_plan, "12:00", "12:15")
    # Interrupted with 12:30 half done and one request of 12:45 finished early.
    records += logged(the_plan, "12:30")[:5] + logged(the_plan, "12:45")[3:4]
    requests = done(records, concurrency=8)

    assert last_completed_slot(the_plan, requests) == "12:15"
    todo = remaining(the_plan, requests)
    assert (todo[0].slot, todo[0].index) == ("12:30", 5)
    assert ("12:45", 3) not in {request.key for request in todo}
    assert len(todo) == 120 - 20 - 5 - 1


def test_a_level_the_log_has_not_reached_starts_at_the_first_slot() -> None:
    the_plan = plan()
    requests = done(logged(the_plan, "12:00"), concurrency=64)
    assert last_completed_slot(the_plan, requests) is None
    assert len(remaining(the_plan, requests)) == 120


def test_a_finished_level_has_nothing_left() -> None:
    the_plan = plan()
    requests = done(logged(the_plan, *the_plan.slots()), concurrency=8)
    assert last_completed_slot(the_plan, requests) == "14:45"
    assert remaining(the_plan, requests) == []


def test_a_log_from_another_plan_is_refused() -> None:
    the_plan = plan()
    records = logged(the_plan, "12:00")
    with pytest.raises(LogError, match="--seed"):
        check_matches(plan(seed=8), records)
    with pytest.raises(LogError, match="does not make"):
        check_matches(plan(stress_max=5), records)
    changed = [replace(records[0], party_size=records[0].party_size % 12 + 1), *records[1:]]
    with pytest.raises(LogError, match="party sizes"):
        check_matches(the_plan, changed)


def test_reading_a_log_drops_a_last_line_cut_short(tmp_path: Path) -> None:
    log = tmp_path / "slot-fill.jsonl"
    lines = [r.to_line() for r in logged(plan(), "12:00")[:3]]
    log.write_text("".join(lines) + lines[0][:40], encoding="utf-8")

    assert [r.request for r in read_log(log)] == [0, 1, 2]
    assert log.read_text(encoding="utf-8") == "".join(lines)


def test_a_log_with_a_foreign_line_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "slot-fill.jsonl"
    log.write_text('{"hello": "world"}\n', encoding="utf-8")
    with pytest.raises(LogError, match="line 1"):
        read_log(log)
    with pytest.raises(LogError, match="nothing to resume"):
        read_log(tmp_path / "missing.jsonl")


# --- outcomes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "problem", "outcome"),
    [
        (409, "no-availability", Outcome.REJECTED_NO_AVAILABILITY),
        (422, "outside-service-hours", Outcome.REJECTED_NOT_OFFERED),
        (422, "party-too-large", Outcome.REJECTED_NOT_OFFERED),
        (409, "idempotency-key-in-use", Outcome.ERROR),
        (422, "validation-error", Outcome.ERROR),
        (422, "too-late", Outcome.ERROR),
        (503, "service-unavailable", Outcome.ERROR),
        (500, None, Outcome.ERROR),
    ],
)
def test_only_clean_refusals_count_as_rejections(
    status: int, problem: str | None, outcome: Outcome
) -> None:
    assert classify(status, problem) is outcome


# --- metrics ----------------------------------------------------------------------------------


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_metrics_add_up() -> None:
    records = [
        record("12:00", 0, party_size=2, tables=("MD-01",), seats=2),
        record(
            "12:00", 1, Outcome.CONFIRMED_POLL, party_size=5, tables=("MD-02", "MD-03"), seats=6
        ),
        record("12:00", 2, Outcome.REJECTED_NO_AVAILABILITY),
        record("12:15", 0, Outcome.REJECTED_NOT_OFFERED),
        record("12:15", 1, Outcome.PENDING_TIMEOUT),
        record("12:15", 2, Outcome.ERROR),
        record("12:15", 3, party_size=3, tables=("BA-01",), seats=4),
    ]
    metrics = level_metrics(8, records, ["12:00", "12:15", "12:30"])

    assert metrics.requests == len(records)
    assert sum(metrics.outcomes.values()) == metrics.requests
    assert metrics.errors == 1
    assert metrics.bookings == 3
    assert metrics.covers_booked == 2 + 5 + 3
    assert metrics.seat_waste == 0 + 1 + 1
    assert metrics.seat_waste_per_booking == pytest.approx(2 / 3, abs=1e-4)
    assert metrics.tables_per_booking == pytest.approx(4 / 3, abs=1e-4)
    assert metrics.poll.count == 1
    assert [row.requests for row in metrics.slots] == [3, 4, 0]
    assert sum(row.covers for row in metrics.slots) == metrics.covers_booked

    data = metrics.to_json()
    assert sum(o["count"] for o in data["outcomes"].values()) == data["requests"]
    assert sum(o["rate"] for o in data["outcomes"].values()) == pytest.approx(1.0, abs=1e-3)
    assert data["latency_ms"]["poll"]["p50"] == 30.0
    assert data["latency_ms"]["submit"]["max"] == 5.0


def test_latency_percentiles_come_from_the_records() -> None:
    records = [record("12:00", n, submit_ms=float(n + 1)) for n in range(100)]
    submit = level_metrics(1, records, ["12:00"]).submit
    assert (submit.p50, submit.p95, submit.p99, submit.max) == (50.5, 95.05, 99.01, 100.0)
    assert submit.avg == 50.5


def test_wall_time_leaves_out_the_pause_of_an_interrupted_run() -> None:
    records = [
        record("12:00", 0, submit_ms=500.0, started_at="2026-12-07T10:00:00+00:00"),
        record("12:00", 1, submit_ms=500.0, started_at="2026-12-07T10:00:01+00:00"),
        record("12:15", 0, submit_ms=250.0, started_at="2026-12-07T11:00:00+00:00", segment="s2"),
    ]
    assert wall_seconds(records) == pytest.approx(1.5 + 0.25)
