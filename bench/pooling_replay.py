"""Admission and pooling replayed in memory: the allocator's decisions without the database.

Each seeded trace (a busy day, ``--demand`` x the venue's seats in covers) is replayed in
arrival order through ``reserve.domain.pooling.place``, with the booking limits of
``reserve.planning.limits`` solved over the demand still expected, learned from other days
(``bench.outlook``: traces of other seeds), and compared with the offline optimum of the
same requests. Variants:

- ``best-fit``: no admission, no pooling (the product without history);
- ``pooling``: tables of unseated bookings move when that lets a party in;
- ``limits``: booking limits, tables fixed at booking;
- ``limits + pooling``: both (the product's default with history);
- ``limits + pooling (outlook 30% high / low)``: both, with a history that asked for 30%
  more or fewer covers than the measured days;
- ``limits + pooling + repack`` / ``+ any repack``: both, and past one or two moves an
  integer program over every booking overlapping the new party (``bench.repack``), keeping
  as many where they sit as it can, or taking the first seating it finds.

It is the fast loop for tuning ``SHARE`` and the solve interval; ``bench.demand_quality``
measures the same through the booking service.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from statistics import mean

from rich.table import Table

from bench.common import BENCH_DAY, console, white_horse, write_results
from bench.optimum import solve_optimum
from bench.repack import repack
from bench.traces import DEFAULT_DEMAND, Trace, TraceRequest, generate_traces
from reserve.domain.allocator import (
    TYPICAL_DEMAND,
    Admission,
    Expected,
    Lookahead,
    Occupancy,
    Policy,
    Request,
)
from reserve.domain.floor import Floor, Rule
from reserve.domain.pooling import Placed, Placement, place
from reserve.domain.venue import Venue
from reserve.planning.limits import SHARE, BookingLimits, LimitsModel

HISTORY_SEED_OFFSET = 10_000
HISTORY_DAYS = 5


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    admission: Admission
    pooling: bool
    demand_scale: float = 1.0  # the history's demand against the measured days'
    repack: bool = False  # past one or two moves, an integer program (bench.repack)
    fewest_moves: bool = True  # the program keeps as many bookings where they are as it can


VARIANTS = (
    Variant("best-fit", Admission.NONE, pooling=False),
    Variant("pooling", Admission.NONE, pooling=True),
    Variant("limits", Admission.LIMITS, pooling=False),
    Variant("limits + pooling", Admission.LIMITS, pooling=True),
    Variant("limits + pooling + repack", Admission.LIMITS, pooling=True, repack=True),
    Variant(
        "limits + pooling + any repack",
        Admission.LIMITS,
        pooling=True,
        repack=True,
        fewest_moves=False,
    ),
    Variant("limits + pooling (outlook 30% high)", Admission.LIMITS, True, 1.3),
    Variant("limits + pooling (outlook 30% low)", Admission.LIMITS, True, 0.7),
)


@dataclass(frozen=True, slots=True)
class History:
    """What other days asked for: each kind's mean requests a day, and requests a day."""

    kinds: dict[tuple[int, float, float], float]
    requests: float

    def remaining(self, seen: int) -> list[Expected]:
        share = max(0.0, 1.0 - seen / self.requests) if self.requests else 0.0
        return [
            Expected(size, start, end, count * share)
            for (size, start, end), count in self.kinds.items()
        ]


def learn_history(venue: Venue, seed: int, demand: float) -> History:
    days = generate_traces(venue, BENCH_DAY, seed + HISTORY_SEED_OFFSET, HISTORY_DAYS, demand)
    kinds: dict[tuple[int, float, float], float] = {}
    for day in days:
        for r in day.requests:
            key = (r.party_size, r.start, r.occupied_until)
            kinds[key] = kinds.get(key, 0.0) + 1 / HISTORY_DAYS
    return History(kinds, mean(len(day.requests) for day in days))


@dataclass
class Replayed:
    covers: int
    seated: dict[int, tuple[str, ...]]
    moves: int
    solves: int
    solve_seconds: list[float]
    place_seconds: list[float]


def replay(
    floor: Floor,
    rule: Rule,
    trace: Trace,
    variant: Variant,
    history: History | None,
    *,
    share: float = SHARE,
    every: int = 1,
) -> Replayed:
    policy = Policy(rule=rule, admission=variant.admission, pooling=variant.pooling)
    lookahead = Lookahead(floor, rule, TYPICAL_DEMAND)
    fixed = Occupancy(floor, ())
    placed: dict[int, Placed] = {}
    limits: BookingLimits | None = None
    model: LimitsModel | None = None
    result = Replayed(0, {}, 0, 0, [], [])
    for request in trace.requests:
        ask = Request(request.party_size, request.start, request.occupied_until)
        due = limits is None or request.index % every == 0
        if variant.admission is Admission.LIMITS and history is not None and due:
            expected = history.remaining(request.index)
            movable = list(placed.values())
            if model is None or not model.covers(movable, expected):
                instants = [p.start for p in movable] + [k[1] for k in history.kinds]
                model = LimitsModel(floor, rule, fixed, instants)
            solved = model.solve(movable, expected, share=share)
            result.solves += 1
            result.solve_seconds.append(solved.seconds)
            # As the product: with nothing left to expect, no limits.
            limits = solved if any(kind.count > 0 for kind in expected) else None
        began = time.perf_counter()
        outcome = place(
            floor,
            fixed,
            list(placed.values()),
            ask,
            policy,
            lookahead,
            limits=limits,
            repack=partial(repack, floor, rule, fewest_moves=variant.fewest_moves)
            if variant.repack
            else None,
        )
        result.place_seconds.append(time.perf_counter() - began)
        if isinstance(outcome, Placement):
            by_booking = {p.booking_id: i for i, p in placed.items()}
            for move in outcome.moves:
                index = by_booking[move.booking_id]
                placed[index] = replace(placed[index], tables=move.to_tables)
                result.moves += 1
            placed[request.index] = _placed(request, outcome.plan.tables)
    result.seated = {i: p.tables for i, p in placed.items()}
    result.covers = sum(trace.requests[i].party_size for i in placed)
    return result


def _placed(request: TraceRequest, tables: tuple[str, ...]) -> Placed:
    from uuid import UUID

    return Placed(
        UUID(int=request.index), request.party_size, request.start, request.occupied_until, tables
    )


def scaled(history: History, scale: float) -> History:
    return History({k: v * scale for k, v in history.kinds.items()}, history.requests * scale)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pooling_replay", description=__doc__)
    parser.add_argument("--seed", type=int, default=101)
    parser.add_argument("--traces", type=int, default=3)
    parser.add_argument("--demand", type=float, default=DEFAULT_DEMAND)
    parser.add_argument("--share", type=float, default=SHARE)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument(
        "--variants", default=",".join(v.name for v in VARIANTS), help="names, comma-separated"
    )
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args(argv)
    venue = white_horse()
    floor, rule = Floor(venue), Rule()
    chosen = [v for v in VARIANTS if v.name in args.variants.split(",")]
    table = Table(title=f"share of the optimum, demand x{args.demand}, share {args.share}")
    table.add_column("variant")
    for column in ("mean", "worst", "moves", "solve p50 ms", "place p99 ms"):
        table.add_column(column, justify="right")
    ratios: dict[str, list[float]] = {v.name: [] for v in chosen}
    extra: dict[str, list[Replayed]] = {v.name: [] for v in chosen}
    rows = []
    for trace in generate_traces(venue, BENCH_DAY, args.seed, args.traces, args.demand):
        history = learn_history(venue, trace.seed, args.demand)
        results = {
            v.name: replay(
                floor,
                rule,
                trace,
                v,
                scaled(history, v.demand_scale),
                share=args.share,
                every=args.every,
            )
            for v in chosen
        }
        best = max(results.values(), key=lambda r: r.covers)
        optimum = solve_optimum(floor, rule, trace, time_limit=args.time_limit, start=best.seated)
        for name, r in results.items():
            ratios[name].append(r.covers / optimum.bound)
            extra[name].append(r)
        rows.append(
            {"seed": trace.seed, "optimum": optimum.covers, "bound": optimum.bound}
            | {name: r.covers for name, r in results.items()}
        )
        console.print(rows[-1])
    for v in chosen:
        solves = sorted(s for r in extra[v.name] for s in r.solve_seconds)
        places = sorted(s for r in extra[v.name] for s in r.place_seconds)
        table.add_row(
            v.name,
            f"{mean(ratios[v.name]):.3f}",
            f"{min(ratios[v.name]):.3f}",
            str(sum(r.moves for r in extra[v.name])),
            f"{solves[len(solves) // 2] * 1000:.1f}" if solves else "-",
            f"{places[int(len(places) * 0.99)] * 1000:.2f}",
        )
    console.print(table)
    write_results("pooling_replay", {"args": vars(args), "days": rows})


Strategy = Callable[[Trace], Replayed]

if __name__ == "__main__":
    main()
