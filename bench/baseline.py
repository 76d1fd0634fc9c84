"""The common baseline: first come, first served, at the smallest table that fits.

For each request in arrival order: the smallest free single table that fits the party
(``min_party <= party <= max_party``; smallest capacity, ties by label); if there is
none, the smallest free combination (fewest seats, then fewest tables, then labels)
among the candidates the allocator itself may use; otherwise the party is turned away.
This is what most booking systems do, and what ours must beat.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from statistics import mean

from rich.table import Table

from bench.common import BENCH_DAY, DayBounds, console, day_bounds, white_horse, write_results
from bench.replay import Seating, Window, check_seating, score, windows_of
from bench.traces import DEFAULT_DEMAND, DEFAULT_SEED, Trace, generate_traces
from reserve.domain.allocator import Occupancy
from reserve.domain.floor import Candidate, Floor, Rule


def baseline_order(floor: Floor, party_size: int, rule: Rule) -> list[Candidate]:
    """The candidates in the baseline's order of preference: single tables first."""
    candidates = floor.candidates_for(party_size, rule)
    singles = sorted(
        (c for c in candidates if len(c.tables) == 1), key=lambda c: (c.seats, c.labels)
    )
    combinations = sorted(
        (c for c in candidates if len(c.tables) > 1),
        key=lambda c: (c.seats, len(c.tables), c.labels),
    )
    return singles + combinations


def replay_baseline(floor: Floor, rule: Rule, trace: Trace, bounds: DayBounds) -> Seating:
    order = {
        size: baseline_order(floor, size, rule) for size in {r.party_size for r in trace.requests}
    }
    windows: list[Window] = []
    seated: dict[int, tuple[str, ...]] = {}
    for request in trace.requests:
        busy = Occupancy(floor, windows).busy(request.start, request.occupied_until)
        chosen = next((c for c in order[request.party_size] if c.mask & busy == 0), None)
        if chosen is not None:
            seated[request.index] = chosen.labels
            windows.extend(windows_of(request, chosen.labels))
    return seated


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--traces", type=int, default=20)
    parser.add_argument("--demand", type=float, default=DEFAULT_DEMAND)
    args = parser.parse_args(argv)

    venue = white_horse()
    floor, rule = Floor(venue), Rule()
    bounds = day_bounds(venue, BENCH_DAY)
    table = Table(title=f"Baseline (smallest table that fits, FCFS), demand x{args.demand}")
    for column in ("seed", "requested", "covers seated", "bookings", "utilisation %"):
        table.add_column(column, justify="right")
    rows: list[dict[str, object]] = []
    covers: list[int] = []
    for trace in generate_traces(venue, BENCH_DAY, args.seed, args.traces, args.demand):
        seating = replay_baseline(floor, rule, trace, bounds)
        check_seating(floor, rule, trace, seating)
        scores = score(floor, trace, seating, bounds)
        table.add_row(
            str(trace.seed),
            str(scores.requested_covers),
            str(scores.covers),
            f"{scores.bookings}/{scores.requests}",
            f"{100 * scores.utilisation:.1f}",
        )
        covers.append(scores.covers)
        rows.append({"seed": trace.seed, "covers": scores.covers, "bookings": scores.bookings})
    console.print(table)
    console.print(f"mean covers seated: {mean(covers):.1f}")
    path = write_results("baseline", {"demand": args.demand, "seed": args.seed, "traces": rows})
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
