"""How fast the allocator decides, and how fast a day's availability is answered.

Measured, with ``time.perf_counter_ns``:

- per ``allocate`` decision, on replayed busy days (each trace asks for ``--demand`` x
  the floor's seats in covers, so occupancy grows through the day as it would): (a) the
  White Horse, 40 tables, ``Rule(max_tables=3)``; (b) a generated floor of 200 tables in
  10 zones (each a 4 x 5 grid of 2- to 10-tops, neighbours adjacent), ``Rule(max_tables=4)``.
  Only the call is timed; building the ``Occupancy`` for it is reported on its own;
- a full day's availability on the White Horse: ``reserve.domain.availability``, i.e.
  ``offered_times`` for a party plus ``is_available`` at every offered start, against
  the occupancy at the end of a busy day, timed as a whole, repeated, for parties of 2, 4 and 6.

Caches are warmed first: each floor's candidates (for every party size) and lookahead
are computed once, timed and reported as the one-off precompute, and one trace is
replayed untimed. Garbage collection stays on, as in production.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from statistics import mean

from rich.table import Table as RichTable

from bench.common import BENCH_DAY, console, day_bounds, white_horse, write_results
from bench.outlook import OutlookFor, history_outlook
from bench.replay import replay_allocator, windows_of
from bench.traces import DEFAULT_DEMAND, DEFAULT_SEED, generate_traces
from reserve.domain.allocator import (
    TYPICAL_DEMAND,
    Lookahead,
    Occupancy,
    Policy,
)
from reserve.domain.availability import availability
from reserve.domain.floor import Floor, Rule
from reserve.domain.venue import Table, Venue, Zone

LONG_BEFORE = datetime(2026, 11, 1, tzinfo=UTC)  # every start of BENCH_DAY is bookable

DECISION_TARGET_MS = {"white-horse": 1.0, "generated-200": 10.0}
AVAILABILITY_TARGET_MS = 20.0
AVAILABILITY_PARTIES = (2, 4, 6)

# The generated floor: ZONES zones, each a ROWS x COLUMNS grid of tables.
ZONES = 10
ROWS, COLUMNS = 4, 5
ZONE_CAPACITIES = (2,) * 6 + (4,) * 6 + (6,) * 4 + (8,) * 2 + (10,) * 2


def generated_floor(seed: int) -> Venue:
    """200 tables in 10 zones: each zone a 4 x 5 grid of mixed 2- to 10-tops (96 seats),
    shuffled, with every table adjacent to its neighbours in the grid. The White Horse's
    opening hours, turn times and buffer."""
    rng = random.Random(seed)
    zones: list[Zone] = []
    tables: list[Table] = []
    adjacency: set[frozenset[str]] = set()
    for z in range(ZONES):
        zone = Zone(f"zone-{z:02d}", f"Zone {z + 1}")
        zones.append(zone)
        capacities = list(ZONE_CAPACITIES)
        rng.shuffle(capacities)
        grid: dict[tuple[int, int], str] = {}
        for position, capacity in enumerate(capacities):
            row, column = divmod(position, COLUMNS)
            label = f"Z{z:02d}-{position + 1:02d}"
            grid[row, column] = label
            tables.append(Table(label, zone.key, capacity, max(1, capacity // 2), capacity))
        for (row, column), label in grid.items():
            for neighbour in ((row + 1, column), (row, column + 1)):
                if neighbour in grid:
                    adjacency.add(frozenset((label, grid[neighbour])))
    return replace(
        white_horse(),
        slug="generated-200",
        name="Generated 200-table floor",
        zones=tuple(zones),
        tables=tuple(tables),
        adjacency=frozenset(adjacency),
    )


@dataclass(frozen=True, slots=True)
class Latency:
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    per_second: float  # samples over the time spent in them alone

    @classmethod
    def of(cls, nanoseconds: Sequence[int]) -> Latency:
        ordered = sorted(nanoseconds)
        return cls(
            samples=len(ordered),
            p50_ms=_percentile(ordered, 0.50) / 1e6,
            p99_ms=_percentile(ordered, 0.99) / 1e6,
            max_ms=ordered[-1] / 1e6,
            mean_ms=mean(ordered) / 1e6,
            per_second=len(ordered) / (sum(ordered) / 1e9),
        )


def _percentile(ordered: Sequence[int], share: float) -> float:
    """Nearest rank: the smallest sample at or above ``share`` of them."""
    return float(ordered[max(0, math.ceil(share * len(ordered)) - 1)])


@dataclass(frozen=True, slots=True)
class Precompute:
    floor_ms: float
    candidates_ms: float
    lookahead_ms: float
    candidates: int


def precompute(venue: Venue, rule: Rule) -> tuple[Floor, Lookahead, Precompute]:
    """Build the floor, every party's candidates and the lookahead, timing each."""
    t0 = time.perf_counter_ns()
    floor = Floor(venue)
    t1 = time.perf_counter_ns()
    candidates = sum(
        len(floor.candidates_for(party, rule))
        for party in range(1, venue.max_online_party_size + 1)
    )
    t2 = time.perf_counter_ns()
    lookahead = Lookahead(floor, rule, TYPICAL_DEMAND)
    t3 = time.perf_counter_ns()
    return (
        floor,
        lookahead,
        Precompute((t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, candidates),
    )


@dataclass(frozen=True, slots=True)
class DecisionRun:
    floor: str
    tables: int
    seats: int
    max_tables: int
    policy: str
    traces: int
    decisions: Latency
    occupancy_build: Latency
    target_p99_ms: float
    precompute: Precompute

    @property
    def meets_target(self) -> bool:
        return self.decisions.p99_ms <= self.target_p99_ms


def time_decisions(
    venue: Venue, rule: Rule, seed: int, traces: int, demand: float
) -> list[DecisionRun]:
    """Replay ``traces`` busy days through ``allocate``: the full policy with an outlook
    learned from history, the lookahead alone, and no lookahead."""
    floor, lookahead, built = precompute(venue, rule)
    bounds = day_bounds(venue, BENCH_DAY)
    days = generate_traces(venue, BENCH_DAY, seed, traces + 1, demand)
    outlook = history_outlook(venue, BENCH_DAY, seed, demand)
    policies: dict[str, tuple[Policy, Lookahead | None, OutlookFor | None]] = {
        "full (with outlook)": (Policy(rule=rule), lookahead, outlook),
        "lookahead": (Policy(rule=rule), lookahead, None),
        "no lookahead": (Policy(rule=rule, lookahead=False), None, None),
    }
    runs: list[DecisionRun] = []
    for name, (policy, looking, outlook_for) in policies.items():
        replay_allocator(floor, days[0], bounds, policy, looking, outlook_for=outlook_for)
        decisions: list[int] = []
        occupancies: list[int] = []
        for day in days[1:]:
            gc.collect()
            replay_allocator(
                floor,
                day,
                bounds,
                policy,
                looking,
                outlook_for=outlook_for,
                decision_ns=decisions,
                occupancy_ns=occupancies,
            )
        runs.append(
            DecisionRun(
                floor=venue.slug,
                tables=len(floor),
                seats=venue.seats,
                max_tables=rule.max_tables,
                policy=name,
                traces=traces,
                decisions=Latency.of(decisions),
                occupancy_build=Latency.of(occupancies),
                target_p99_ms=DECISION_TARGET_MS[venue.slug],
                precompute=built,
            )
        )
    return runs


@dataclass(frozen=True, slots=True)
class AvailabilityRun:
    party_size: int
    starts: int  # offered start times
    available: int  # of them, on the busy day
    day: Latency
    occupancy_build_ms: float  # building the busy day's occupancy once, not in ``day``

    @property
    def meets_target(self) -> bool:
        return self.day.p99_ms <= AVAILABILITY_TARGET_MS


def time_availability(
    venue: Venue, rule: Rule, seed: int, demand: float, repetitions: int
) -> list[AvailabilityRun]:
    """A full day's availability for each party size, against a busy day's occupancy."""
    floor, lookahead, _ = precompute(venue, rule)
    bounds = day_bounds(venue, BENCH_DAY)
    busy_day = generate_traces(venue, BENCH_DAY, seed, 1, demand)[0]
    seating = replay_allocator(floor, busy_day, bounds, Policy(rule=rule), lookahead)
    windows = [
        window
        for request in busy_day.requests
        if request.index in seating
        for window in windows_of(request, seating[request.index])
    ]
    began = time.perf_counter_ns()
    occupancy = Occupancy(floor, windows)
    built_ms = (time.perf_counter_ns() - began) / 1e6
    runs: list[AvailabilityRun] = []
    for party_size in AVAILABILITY_PARTIES:
        available = _day_availability(venue, floor, occupancy, rule, party_size)  # warm-up
        timings: list[int] = []
        gc.collect()
        for _ in range(repetitions):
            began = time.perf_counter_ns()
            _day_availability(venue, floor, occupancy, rule, party_size)
            timings.append(time.perf_counter_ns() - began)
        runs.append(
            AvailabilityRun(
                party_size=party_size,
                starts=len(available),
                available=sum(available),
                day=Latency.of(timings),
                occupancy_build_ms=built_ms,
            )
        )
    return runs


def _day_availability(
    venue: Venue, floor: Floor, occupancy: Occupancy, rule: Rule, party_size: int
) -> list[bool]:
    """Whether each offered start of the day can seat the party: what a guest's date
    picker asks, answered by the product's own ``availability``."""
    slots = availability(
        venue, floor, occupancy, BENCH_DAY, party_size, policy=Policy(rule=rule), now=LONG_BEFORE
    )
    return [slot.available for slot in slots]


# Report ---------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "[green]yes[/green]" if ok else "[red]NO[/red]"


def _decision_table(runs: Sequence[DecisionRun]) -> RichTable:
    table = RichTable(title="allocate: one decision on a replayed busy day")
    table.add_column("floor", no_wrap=True)
    table.add_column("policy", no_wrap=True)
    for column in (
        "max tables",
        "decisions",
        "per s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "target p99",
        "met",
        "Occupancy() p50/p99 ms",
    ):
        table.add_column(column, justify="right")
    for run in runs:
        table.add_row(
            f"{run.floor} ({run.tables} tables)",
            run.policy,
            str(run.max_tables),
            str(run.decisions.samples),
            f"{run.decisions.per_second:,.0f}",
            f"{run.decisions.p50_ms:.3f}",
            f"{run.decisions.p99_ms:.3f}",
            f"{run.decisions.max_ms:.3f}",
            f"{run.target_p99_ms:g} ms",
            _verdict(run.meets_target),
            f"{run.occupancy_build.p50_ms:.3f}/{run.occupancy_build.p99_ms:.3f}",
        )
    return table


def _precompute_table(runs: Sequence[DecisionRun]) -> RichTable:
    table = RichTable(title="One-off precompute per floor (not in the decision times)")
    table.add_column("floor")
    for column in ("candidates", "Floor() ms", "candidates ms", "Lookahead ms", "total ms"):
        table.add_column(column, justify="right")
    seen: set[str] = set()
    for run in runs:
        if run.floor in seen:
            continue
        seen.add(run.floor)
        built = run.precompute
        table.add_row(
            run.floor,
            str(built.candidates),
            f"{built.floor_ms:.1f}",
            f"{built.candidates_ms:.1f}",
            f"{built.lookahead_ms:.1f}",
            f"{built.floor_ms + built.candidates_ms + built.lookahead_ms:.1f}",
        )
    return table


def _availability_table(runs: Sequence[AvailabilityRun]) -> RichTable:
    table = RichTable(
        title="White Horse: a full day's availability (offered_times + is_available per start)"
    )
    for column in ("party", "starts", "available", "repetitions", "p50 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="right")
    table.add_column("target p99", justify="right")
    table.add_column("met", justify="right")
    for run in runs:
        table.add_row(
            str(run.party_size),
            str(run.starts),
            str(run.available),
            str(run.day.samples),
            f"{run.day.p50_ms:.3f}",
            f"{run.day.p99_ms:.3f}",
            f"{run.day.max_ms:.3f}",
            f"{AVAILABILITY_TARGET_MS:g} ms",
            _verdict(run.meets_target),
        )
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.allocator_speed", description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--traces", type=int, default=10, help="busy days replayed per floor and policy"
    )
    parser.add_argument("--demand", type=float, default=DEFAULT_DEMAND)
    parser.add_argument(
        "--repetitions", type=int, default=300, help="full-day availability runs per party"
    )
    parser.add_argument("--quick", action="store_true", help="smoke test: 2 traces, 30 repetitions")
    args = parser.parse_args(argv)
    traces, repetitions = (2, 30) if args.quick else (args.traces, args.repetitions)

    began = time.perf_counter()
    runs = [
        *time_decisions(white_horse(), Rule(max_tables=3), args.seed, traces, args.demand),
        *time_decisions(
            generated_floor(args.seed), Rule(max_tables=4), args.seed, traces, args.demand
        ),
    ]
    availability = time_availability(
        white_horse(), Rule(max_tables=3), args.seed, args.demand, repetitions
    )
    elapsed = time.perf_counter() - began
    console.print(_decision_table(runs))
    console.print(_precompute_table(runs))
    console.print(_availability_table(availability))
    path = write_results(
        "allocator_speed",
        {
            "generated_at": datetime.now().isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "processor": platform.processor(),
            "seed": args.seed,
            "demand": args.demand,
            "traces": traces,
            "repetitions": repetitions,
            "targets_ms": {
                "decision_p99": DECISION_TARGET_MS,
                "availability_day_p99": AVAILABILITY_TARGET_MS,
            },
            "decisions": [{**asdict(run), "meets_target": run.meets_target} for run in runs],
            "availability": [
                {**asdict(run), "meets_target": run.meets_target} for run in availability
            ],
            "elapsed_seconds": elapsed,
        },
    )
    console.print(f"wrote {path} in {elapsed:.0f} s")


if __name__ == "__main__":
    main()
