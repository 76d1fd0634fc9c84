"""Seeded demand traces: one weekday's booking requests, in the order they arrive.

A trace is what guests ask for, before any table is chosen. Each request draws a party
size from ``PARTY_MIX`` and a desired start from the day's 15-minute grid, weighted by
``time_weight`` (peaks at lunch, 12:30-13:30, and dinner, 18:30-20:00). A start the
venue does not offer that party (``offered_time`` refuses it, e.g. too late for a long
stay) is redrawn, as a guest would pick another time. Requests are drawn until they ask
for ``demand`` times the venue's seats in covers.

Arrival order is booking order. Every request is drawn independently, so the order in
which bookings arrive is independent of the time they want: a popular 19:30 table is
asked for early and late in the booking horizon alike.

``PARTY_MIX`` deliberately differs from the allocator's ``TYPICAL_DEMAND`` (more twos,
fewer ones and fours, a slightly different tail), so the lookahead is not tuned to the
truth it is measured on.

Trace ``i`` of a run uses seed ``seed + i``.
"""

from __future__ import annotations

import argparse
import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from statistics import mean

from rich.table import Table

from bench.common import BENCH_DAY, console, percent, white_horse, write_results
from reserve.domain.allocator import TYPICAL_DEMAND
from reserve.domain.errors import OutsideServiceHours
from reserve.domain.timing import offered_time, offered_times
from reserve.domain.venue import Venue

# The share of requests by party size (the truth the benchmark's guests follow).
PARTY_MIX: Mapping[int, float] = {
    1: 0.03,
    2: 0.47,
    3: 0.10,
    4: 0.19,
    5: 0.05,
    6: 0.06,
    7: 0.025,
    8: 0.03,
    9: 0.01,
    10: 0.015,
    11: 0.005,
    12: 0.01,
}
DEFAULT_DEMAND = 3.0
DEFAULT_SEED = 1

# Desired start times: a lunch peak, a larger dinner peak, and a thin spread all day.
_PEAKS = (  # (centre, spread, share), in minutes since midnight
    (13 * 60, 30, 0.35),
    (19 * 60 + 15, 45, 0.55),
)
_BACKGROUND = 0.10
_OPEN_MINUTES = 600  # the background is spread over a ten-hour day
_ROOT_TAU = math.sqrt(2 * math.pi)


@dataclass(frozen=True, slots=True)
class TraceRequest:
    """One booking request; instants are epoch seconds (``occupied_until`` has the buffer)."""

    index: int  # arrival order, from 0
    party_size: int
    local_time: time
    start: float
    end: float
    occupied_until: float

    @property
    def covers(self) -> int:
        return self.party_size

    def to_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "party_size": self.party_size,
            "local_time": self.local_time.strftime("%H:%M"),
            "start": self.start,
            "end": self.end,
            "occupied_until": self.occupied_until,
            "covers": self.covers,
        }


@dataclass(frozen=True, slots=True)
class Trace:
    venue: str
    day: date
    seed: int
    demand: float
    requests: tuple[TraceRequest, ...]

    @property
    def covers(self) -> int:
        return sum(request.covers for request in self.requests)


def time_weight(local_time: time) -> float:
    """How much guests want to start at ``local_time`` (relative, not normalised)."""
    minute = local_time.hour * 60 + local_time.minute
    peaks = sum(
        share * math.exp(-0.5 * ((minute - centre) / spread) ** 2) / (spread * _ROOT_TAU)
        for centre, spread, share in _PEAKS
    )
    return peaks + _BACKGROUND / _OPEN_MINUTES


def generate_trace(
    venue: Venue,
    day: date,
    seed: int,
    demand: float = DEFAULT_DEMAND,
    party_mix: Mapping[int, float] = PARTY_MIX,
) -> Trace:
    """Requests asking for ``demand`` x the venue's seats in covers, in arrival order."""
    rng = random.Random(seed)
    sizes = [size for size in sorted(party_mix) if size <= venue.max_online_party_size]
    size_weights = [party_mix[size] for size in sizes]
    grid = _day_grid(venue, day)
    grid_weights = [time_weight(start) for start in grid]
    wanted = demand * venue.seats
    requests: list[TraceRequest] = []
    covers = 0
    while covers < wanted:
        party_size = rng.choices(sizes, size_weights)[0]
        while True:
            local_time = rng.choices(grid, grid_weights)[0]
            try:
                offer = offered_time(venue, day, local_time, party_size)
            except OutsideServiceHours:
                continue
            break
        requests.append(
            TraceRequest(
                index=len(requests),
                party_size=party_size,
                local_time=offer.local_time,
                start=offer.start_at.timestamp(),
                end=offer.end_at.timestamp(),
                occupied_until=offer.occupied_until.timestamp(),
            )
        )
        covers += party_size
    return Trace(venue.slug, day, seed, demand, tuple(requests))


def generate_traces(
    venue: Venue, day: date, seed: int, count: int, demand: float = DEFAULT_DEMAND
) -> list[Trace]:
    return [generate_trace(venue, day, seed + i, demand) for i in range(count)]


def _day_grid(venue: Venue, day: date) -> list[time]:
    """Every start the venue offers anyone that day (the shortest stay is offered longest)."""
    starts = {
        offer.local_time
        for party_size in range(1, venue.max_online_party_size + 1)
        for offer in offered_times(venue, day, party_size)
    }
    if not starts:
        raise ValueError(f"{venue.slug} offers no start on {day}")
    return sorted(starts)


# Report ---------------------------------------------------------------------------------


def _mix_table(traces: Sequence[Trace]) -> tuple[Table, list[dict[str, object]]]:
    counts: Counter[int] = Counter()
    for trace in traces:
        counts.update(request.party_size for request in trace.requests)
    total = sum(counts.values())
    typical_total = sum(TYPICAL_DEMAND.party_mix.values())
    table = Table(title="Party sizes requested (all traces)")
    for column in ("party", "requests", "share %", "TYPICAL_DEMAND %"):
        table.add_column(column, justify="right")
    rows: list[dict[str, object]] = []
    for size in sorted(set(counts) | set(TYPICAL_DEMAND.party_mix)):
        share = percent(counts[size], total)
        typical = percent(TYPICAL_DEMAND.party_mix.get(size, 0.0), typical_total)
        table.add_row(str(size), str(counts[size]), f"{share:.1f}", f"{typical:.1f}")
        rows.append({"party_size": size, "requests": counts[size], "share_pct": share})
    return table, rows


def _hour_table(traces: Sequence[Trace]) -> tuple[Table, list[dict[str, object]]]:
    covers: Counter[int] = Counter()
    for trace in traces:
        for request in trace.requests:
            covers[request.local_time.hour] += request.covers
    per_trace = len(traces)
    table = Table(title="Covers requested by start hour (mean per trace)")
    table.add_column("hour")
    table.add_column("covers", justify="right")
    table.add_column("", justify="left")
    top = max(covers.values(), default=1)
    rows: list[dict[str, object]] = []
    for hour in sorted(covers):
        table.add_row(
            f"{hour:02d}:00",
            f"{covers[hour] / per_trace:.0f}",
            "#" * round(40 * covers[hour] / top),
        )
        rows.append({"hour": hour, "covers_per_trace": covers[hour] / per_trace})
    return table, rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.traces", description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--traces", type=int, default=20)
    parser.add_argument("--demand", type=float, default=DEFAULT_DEMAND)
    args = parser.parse_args(argv)

    venue = white_horse()
    traces = generate_traces(venue, BENCH_DAY, args.seed, args.traces, args.demand)
    summary = Table(title=f"{venue.name}, {BENCH_DAY:%A %Y-%m-%d}: {len(traces)} traces")
    for column in ("seed", "requests", "covers", "x seats", "mean party"):
        summary.add_column(column, justify="right")
    for trace in traces:
        summary.add_row(
            str(trace.seed),
            str(len(trace.requests)),
            str(trace.covers),
            f"{trace.covers / venue.seats:.2f}",
            f"{mean(r.party_size for r in trace.requests):.2f}",
        )
    mix, mix_rows = _mix_table(traces)
    hours, hour_rows = _hour_table(traces)
    for table in (summary, mix, hours):
        console.print(table)
    path = write_results(
        "traces",
        {
            "venue": venue.slug,
            "seats": venue.seats,
            "day": BENCH_DAY.isoformat(),
            "seed": args.seed,
            "demand": args.demand,
            "party_mix": PARTY_MIX,
            "party_sizes": mix_rows,
            "covers_by_hour": hour_rows,
            "traces": [
                {
                    "seed": trace.seed,
                    "covers": trace.covers,
                    "requests": [request.to_json() for request in trace.requests],
                }
                for trace in traces
            ],
        },
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
