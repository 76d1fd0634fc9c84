"""Replaying a trace: who got which tables, whether that is a valid floor, and its scores.

A ``Seating`` maps a request's arrival index to the labels of the tables it was given;
a request that is not in it was turned away. Every strategy (the baseline, the
allocator, the offline optimum) produces one, and ``check_seating`` asserts the same
two things of each: every party sits at a candidate the rule allows for its size, and
no two windows overlap on any table.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

from bench.common import DayBounds
from bench.traces import Trace, TraceRequest
from reserve.domain.allocator import Lookahead, Occupancy, Outlook, Policy, Request, allocate
from reserve.domain.floor import Floor, Rule

Seating = Mapping[int, tuple[str, ...]]
Window = tuple[str, float, float]


def windows_of(request: TraceRequest, tables: Iterable[str]) -> list[Window]:
    return [(label, request.start, request.occupied_until) for label in tables]


def replay_allocator(
    floor: Floor,
    trace: Trace,
    bounds: DayBounds,
    policy: Policy,
    lookahead: Lookahead | None = None,
    *,
    outlook_for: Callable[[TraceRequest], Outlook] | None = None,
    decision_ns: list[int] | None = None,
    occupancy_ns: list[int] | None = None,
) -> Seating:
    """Each request in arrival order through ``allocate``, over what is booked so far,
    with the outlook ``outlook_for`` gives at that request (none without it).

    With ``decision_ns``, the time of every ``allocate`` call (and nothing else) is
    appended to it; with ``occupancy_ns``, the time of building each ``Occupancy``.
    """
    windows: list[Window] = []
    seated: dict[int, tuple[str, ...]] = {}
    for request in trace.requests:
        began = time.perf_counter_ns()
        occupancy = Occupancy(floor, windows)
        ask = Request(request.party_size, request.start, request.occupied_until)
        outlook = None if outlook_for is None else outlook_for(request)
        built = time.perf_counter_ns()
        plan = allocate(floor, occupancy, ask, policy, lookahead, outlook=outlook)
        decided = time.perf_counter_ns()
        if occupancy_ns is not None:
            occupancy_ns.append(built - began)
        if decision_ns is not None:
            decision_ns.append(decided - built)
        if plan is not None:
            seated[request.index] = plan.tables
            windows.extend(windows_of(request, plan.tables))
    return seated


def check_seating(floor: Floor, rule: Rule, trace: Trace, seating: Seating) -> None:
    """Assert every party sits at an allowed candidate and no table is double-booked."""
    by_index = {request.index: request for request in trace.requests}
    per_table: dict[str, list[tuple[float, float, int]]] = {}
    for index, tables in seating.items():
        request = by_index[index]
        allowed = {c.labels for c in floor.candidates_for(request.party_size, rule)}
        assert tables in allowed, f"request {index} (party {request.party_size}) at {tables}"
        for label in tables:
            per_table.setdefault(label, []).append((request.start, request.occupied_until, index))
    for label, windows in per_table.items():
        windows.sort()
        for (_, end, first), (start, _, second) in pairwise(windows):
            assert end <= start, f"{label}: requests {first} and {second} overlap"


@dataclass(frozen=True, slots=True)
class Scores:
    covers: int
    bookings: int
    requested_covers: int
    requests: int
    utilisation: float  # guest seat-hours (turn times) over the floor's seat-hours while open
    rejected_covers_by_party: Mapping[int, int]
    rejected_covers_by_hour: Mapping[int, int]  # by the hour of the start asked for
    tables_per_booking: float
    waste_seat_hours: float  # empty seats at occupied tables, over the occupied windows
    dead_seat_hours: float  # gaps left between windows too short for any booking, x seats


def score(floor: Floor, trace: Trace, seating: Seating, bounds: DayBounds) -> Scores:
    capacity = {table.label: table.capacity for table in floor.tables}
    seated = [r for r in trace.requests if r.index in seating]
    rejected: Counter[int] = Counter()
    rejected_hours: Counter[int] = Counter()
    for request in trace.requests:
        if request.index not in seating:
            rejected[request.party_size] += request.covers
            rejected_hours[request.local_time.hour] += request.covers
    guest_seconds = sum(r.covers * (r.end - r.start) for r in seated)
    waste_seconds = sum(
        max(0, sum(capacity[label] for label in seating[r.index]) - r.covers)
        * (r.occupied_until - r.start)
        for r in seated
    )
    per_table: dict[str, list[tuple[float, float]]] = {}
    for r in seated:
        for label in seating[r.index]:
            per_table.setdefault(label, []).append((r.start, r.occupied_until))
    dead_seconds = sum(
        capacity[label] * _dead_seconds(sorted(windows), bounds)
        for label, windows in per_table.items()
    )
    table_count = sum(len(seating[r.index]) for r in seated)
    return Scores(
        covers=sum(r.covers for r in seated),
        bookings=len(seated),
        requested_covers=trace.covers,
        requests=len(trace.requests),
        utilisation=guest_seconds / (sum(capacity.values()) * bounds.open_seconds),
        rejected_covers_by_party=dict(sorted(rejected.items())),
        rejected_covers_by_hour=dict(sorted(rejected_hours.items())),
        tables_per_booking=table_count / len(seated) if seated else 0.0,
        waste_seat_hours=waste_seconds / 3600,
        dead_seat_hours=dead_seconds / 3600,
    )


def _dead_seconds(windows: list[tuple[float, float]], bounds: DayBounds) -> float:
    """The free time on one table that no booking could use (as ``Occupancy`` counts it)."""
    edges = [bounds.opens, *(t for window in windows for t in window), bounds.closes]
    gaps = (edges[i + 1] - edges[i] for i in range(0, len(edges), 2))
    return sum(gap for gap in gaps if 0 < gap < bounds.shortest_stay)


@dataclass(frozen=True, slots=True)
class Choices:
    """How often a replayed allocator had a choice its lookahead could make."""

    decisions: int  # requests it seated
    with_choice: int  # ... where more than one candidate tied on waste and table count
    off_label_order: int  # ... where it took another than the first by labels


def choices(floor: Floor, rule: Rule, trace: Trace, seating: Seating) -> Choices:
    """Reconstruct each decision of an arrival-order replay and look at its first tier."""
    windows: list[Window] = []
    with_choice = off_order = 0
    for request in trace.requests:
        tables = seating.get(request.index)
        if tables is None:
            continue
        busy = Occupancy(floor, windows).busy(request.start, request.occupied_until)
        free = [c for c in floor.candidates_for(request.party_size, rule) if c.mask & busy == 0]
        rank = (free[0].waste(request.party_size), len(free[0].tables))
        tier = [c for c in free if (c.waste(request.party_size), len(c.tables)) == rank]
        with_choice += len(tier) > 1
        off_order += tier[0].labels != tables
        windows.extend(windows_of(request, tables))
    return Choices(len(seating), with_choice, off_order)
