"""The benchmark's own helpers: the traces, the baseline, the optimum and the checks the
allocator is measured with, the CPU meter of the HTTP benchmark, and how the pages
benchmark reads a page's files and the server's metrics."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Sequence
from datetime import date, time, timedelta
from subprocess import PIPE

import pytest
from bench.baseline import replay_baseline
from bench.booking_http import Cpu, CpuMeter, Level, _median
from bench.common import BENCH_DAY, DayBounds, day_bounds, white_horse
from bench.floor_notify import levels_in_turn
from bench.optimum import replay_repacking, solve_optimum
from bench.pages import busy_day, growth, median_p99, route_totals, static_urls
from bench.replay import Seating, check_seating, replay_allocator
from bench.traces import Trace, TraceRequest, generate_trace

from reserve.domain.allocator import TYPICAL_DEMAND, Lookahead, Policy
from reserve.domain.floor import Floor, Rule
from reserve.domain.timing import offered_time
from reserve.domain.venue import Table, Venue, Zone

HOUR = 3600.0
BOUNDS = DayBounds(opens=0.0, closes=10 * HOUR, shortest_stay=HOUR)


def floor_of(tables: Sequence[tuple[str, int]], adjacent: Sequence[tuple[str, str]] = ()) -> Floor:
    return Floor(
        Venue(
            slug="test",
            name="Test",
            timezone="UTC",
            zones=(Zone("z", "z"),),
            tables=tuple(Table(label, "z", seats, 1, seats) for label, seats in tables),
            adjacency=frozenset(frozenset(pair) for pair in adjacent),
        )
    )


def trace_of(*requests: tuple[int, float, float]) -> Trace:
    """Requests as (party, start hour, occupied-until hour), arriving in this order."""
    return Trace(
        venue="test",
        day=date(2026, 12, 7),
        seed=0,
        demand=0.0,
        requests=tuple(
            TraceRequest(i, party, time(12), start * HOUR, end * HOUR, end * HOUR)
            for i, (party, start, end) in enumerate(requests)
        ),
    )


def covers(trace: Trace, seating: Seating) -> int:
    return sum(r.covers for r in trace.requests if r.index in seating)


def test_a_trace_is_the_same_for_the_same_seed_and_differs_by_seed() -> None:
    venue = white_horse()
    assert generate_trace(venue, BENCH_DAY, 7) == generate_trace(venue, BENCH_DAY, 7)
    assert generate_trace(venue, BENCH_DAY, 7) != generate_trace(venue, BENCH_DAY, 8)


def test_a_trace_asks_for_the_demanded_covers_at_offered_times_only() -> None:
    venue = white_horse()
    trace = generate_trace(venue, BENCH_DAY, 1, demand=3.0)
    assert trace.covers >= 3 * venue.seats
    for request in trace.requests:
        offer = offered_time(venue, BENCH_DAY, request.local_time, request.party_size)
        assert offer.start_at.timestamp() == request.start
        assert offer.occupied_until.timestamp() == request.occupied_until
        assert request.local_time.minute % 15 == 0


def test_the_baseline_takes_the_smallest_single_table_before_any_combination() -> None:
    floor = floor_of([("A", 6), ("B", 4), ("C", 2), ("D", 2)], [("C", "D")])
    trace = trace_of((3, 0, 1), (4, 0, 1), (4, 0, 1), (4, 0, 1))
    seating = replay_baseline(floor, Rule(), trace, BOUNDS)
    assert seating == {0: ("B",), 1: ("A",), 2: ("C", "D")}


def test_the_allocator_replay_books_each_plan_for_later_requests() -> None:
    floor = floor_of([("A", 2)])
    trace = trace_of((2, 0, 1), (2, 0.5, 1.5), (2, 1, 2))
    seating = replay_allocator(floor, trace, BOUNDS, Policy())
    assert seating == {0: ("A",), 2: ("A",)}


def test_the_seating_check_catches_a_double_booked_table() -> None:
    floor = floor_of([("A", 2)])
    trace = trace_of((2, 0, 1), (2, 0.5, 1.5))
    with pytest.raises(AssertionError, match="overlap"):
        check_seating(floor, Rule(), trace, {0: ("A",), 1: ("A",)})


def test_the_seating_check_catches_a_party_at_a_table_too_small() -> None:
    floor = floor_of([("A", 2)])
    with pytest.raises(AssertionError):
        check_seating(floor, Rule(), trace_of((3, 0, 1)), {0: ("A",)})


def test_the_optimum_matches_brute_force_on_a_small_day() -> None:
    floor = floor_of([("A", 2), ("B", 4), ("C", 4)], [("B", "C")])
    trace = trace_of((2, 0, 1), (4, 0.5, 1.5), (6, 1, 2), (3, 0, 1), (2, 1, 2), (8, 1.5, 3))
    rule = Rule()
    options = [(None, *floor.candidates_for(r.party_size, rule)) for r in trace.requests]
    best = 0
    for choice in itertools.product(*options):
        seating = {i: c.labels for i, c in enumerate(choice) if c is not None}
        try:
            check_seating(floor, rule, trace, seating)
        except AssertionError:
            continue
        best = max(best, covers(trace, seating))
    optimum = solve_optimum(floor, rule, trace)
    assert optimum.proven
    assert optimum.covers == best


def test_the_optimum_seats_at_least_what_the_online_strategies_seat() -> None:
    venue = white_horse()
    floor, rule = Floor(venue), Rule()
    bounds = day_bounds(venue, BENCH_DAY)
    trace = generate_trace(venue, BENCH_DAY, 1, demand=1.5)
    baseline = replay_baseline(floor, rule, trace, bounds)
    allocator = replay_allocator(
        floor, trace, bounds, Policy(rule=rule), Lookahead(floor, rule, TYPICAL_DEMAND)
    )
    optimum = solve_optimum(floor, rule, trace)
    assert optimum.proven
    assert optimum.covers >= max(covers(trace, baseline), covers(trace, allocator))


def test_repacking_moves_a_booking_to_fit_a_party_no_free_table_seats() -> None:
    floor = floor_of([("A", 2), ("B", 4)])
    # The first pair is free to sit at B; the four then need it, so the pair moves to A.
    trace = trace_of((2, 0, 1), (4, 0, 1), (2, 0, 1))
    seating = replay_repacking(floor, Rule(), trace)
    assert seating == {0: ("A",), 1: ("B",)}


BURN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
PARENT = (
    "import subprocess, sys\n"
    f"subprocess.run([sys.executable, '-c', {BURN!r}])\n"
    "print('burnt', flush=True)\n"
    "sys.stdin.read()"
)


@pytest.mark.skipif(not CpuMeter.available(), reason="reads /proc")
def test_the_cpu_meter_counts_a_process_tree_with_its_exited_children() -> None:
    idle = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=PIPE)
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdin=PIPE, stdout=PIPE, text=True)
    try:
        meter = CpuMeter(parent.pid, idle.pid)
        before = meter.read()
        assert parent.stdout is not None
        assert parent.stdout.readline() == "burnt\n"  # the child that burnt has exited

        burnt, idled, _ = (after - was for after, was in zip(meter.read(), before, strict=True))
    finally:
        for process in (idle, parent):
            process.communicate("")

    assert burnt >= 0.25
    assert idled < 0.1


def test_the_notification_benchmark_measures_both_variants_of_a_level_back_to_back() -> None:
    turns = list(levels_in_turn(2, {"pgbench": [1, 8], "HTTP": [16]}))

    assert [turn[1:] for turn in turns[:6]] == [
        ("pgbench", 1, "notify"),
        ("pgbench", 1, "silent"),
        ("pgbench", 8, "notify"),
        ("pgbench", 8, "silent"),
        ("HTTP", 16, "notify"),
        ("HTTP", 16, "silent"),
    ]
    assert [turn[3] for turn in turns[6:8]] == ["silent", "notify"]  # the other goes first
    assert len(turns) == 12


def test_the_pages_busy_day_is_the_next_monday_even_from_a_monday() -> None:
    for offset in range(7):
        today = date(2026, 12, 1) + timedelta(days=offset)
        day = busy_day(today)
        assert day.weekday() == 0
        assert 1 <= (day - today).days <= 7


def test_a_pages_weight_counts_each_linked_static_file_once() -> None:
    html = (
        '<link rel="icon" href="/static/favicon.svg?v=1" type="image/svg+xml">'
        '<link rel="stylesheet" href="/static/site.css?v=2">'
        '<script src="/static/booking.js?v=3" defer></script>'
        '<a href="/r/white-horse">not a file</a><link href="/static/site.css?v=2">'
    )
    assert static_urls(html) == [
        "/static/favicon.svg?v=1",
        "/static/site.css?v=2",
        "/static/booking.js?v=3",
    ]


EXPOSITION = """\
# HELP reserve_request_seconds HTTP request latency by route template, method and status class.
# TYPE reserve_request_seconds histogram
reserve_request_seconds_bucket{le="0.01",method="GET",route="/r/{slug}",status="2xx"} 2.0
reserve_request_seconds_bucket{le="+Inf",method="GET",route="/r/{slug}",status="2xx"} 3.0
reserve_request_seconds_count{method="GET",route="/r/{slug}",status="2xx"} 3.0
reserve_request_seconds_sum{method="GET",route="/r/{slug}",status="2xx"} 0.06
reserve_request_seconds_count{method="GET",route="/r/{slug}",status="4xx"} 1.0
reserve_request_seconds_sum{method="GET",route="/r/{slug}",status="4xx"} 0.01
reserve_request_seconds_count{method="GET",route="/metrics",status="2xx"} 9.0
reserve_request_seconds_sum{method="GET",route="/metrics",status="2xx"} 0.02
# HELP reserve_allocation_seconds Time the allocator took to choose tables for one request.
# TYPE reserve_allocation_seconds histogram
reserve_allocation_seconds_count 5.0
reserve_allocation_seconds_sum 0.5
"""


def test_the_servers_time_per_route_adds_up_every_status_of_the_request_histogram() -> None:
    totals = route_totals(EXPOSITION)
    assert set(totals) == {"/r/{slug}", "/metrics"}
    seconds, count = totals["/r/{slug}"]
    assert seconds == pytest.approx(0.07)
    assert count == 4


def test_the_servers_time_for_a_request_is_the_growth_of_its_routes_sum() -> None:
    before = {"/r/{slug}": (0.07, 4)}
    after = {"/r/{slug}": (0.085, 5), "/b/{booking_id}/{token}": (0.01, 1)}
    seconds, count = growth(before, after, "/r/{slug}")
    assert (seconds, count) == (pytest.approx(0.015), 1)
    assert growth(before, after, "/b/{booking_id}/{token}") == (0.01, 1)
    assert growth(before, after, "/") == (0.0, 0)


def test_median_and_p99_of_a_hundred_samples() -> None:
    samples = [float(n) for n in range(1, 101)]
    middle, p99 = median_p99(samples)
    assert middle == 50.5
    assert p99 == pytest.approx(99.01)
    assert median_p99([]) == (0.0, 0.0)
    assert median_p99([4.0]) == (4.0, 4.0)


def _round(requests: int, per_second: float, tps: float, server_ms: float) -> Level:
    return Level(
        concurrency=8,
        http_requests=requests,
        http_per_second=per_second,
        http_p50_ms=per_second / 10,
        http_p99_ms=per_second / 5,
        http_created=requests,
        http_conflicts=1,
        http_errors=0,
        pgbench_tps=tps,
        pgbench_p50_ms=tps / 100,
        pgbench_p99_ms=tps / 50,
        http_cpu=Cpu(server_ms, 1.5, 0.1),
        pgbench_cpu=Cpu(0.0, 1.2, 0.1),
    )


def test_a_level_of_several_rounds_takes_each_figures_median_and_sums_the_counts() -> None:
    turns = [_round(300, 300, 900, 2.0), _round(400, 400, 1000, 3.0), _round(200, 200, 800, 9.0)]

    level = _median(turns)

    assert (level.http_requests, level.http_conflicts) == (900, 3)
    assert (level.http_per_second, level.http_p99_ms, level.pgbench_tps) == (300, 60, 900)
    assert level.ratio == pytest.approx(300 / 900)
    assert level.http_cpu == Cpu(3.0, 1.5, 0.1)
    assert _median(turns[:1]) is turns[0]
