"""The offline optimum of a trace: the most covers any allocator could seat, knowing every
request (the integer program of ``reserve.planning.optimum``, solved with HiGHS).

It ignores arrival order, so no online allocator can beat it. HiGHS gets a time limit;
the result records the best solution found, the dual bound and the gap. When the gap
is closed (covers are whole, so a bound less than one above the solution proves it
optimal) ratios against it are exact; otherwise they are against the bound, i.e. a
lower bound on the true ratio, and say so. A feasible seating (the best of the online
strategies) may be passed as a starting solution, so the result is never worse than it.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection, Sequence
from dataclasses import replace

from rich.table import Table

from bench.baseline import replay_baseline
from bench.common import BENCH_DAY, console, day_bounds, white_horse, write_results
from bench.replay import Seating, check_seating
from bench.traces import DEFAULT_DEMAND, DEFAULT_SEED, Trace, TraceRequest, generate_traces
from reserve.domain.floor import Floor, Rule
from reserve.planning.optimum import Optimum, Request, highs_version, solve

DEFAULT_TIME_LIMIT = 60.0


def planning_request(request: TraceRequest) -> Request:
    """A trace's request as the planning layer takes it: its occupied window, any zone."""
    return Request(request.index, request.party_size, request.start, request.occupied_until)


def solve_optimum(
    floor: Floor,
    rule: Rule,
    trace: Trace,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    start: Seating | None = None,
    must_seat: Collection[int] = frozenset(),
) -> Optimum:
    """The best seating of the trace HiGHS finds within ``time_limit`` seconds, and its
    bound, checked as every strategy's seating is.

    ``must_seat`` (arrival indices) are requests every solution has to seat; when they
    cannot all be, the result seats nobody and its status says the model is infeasible.
    """
    requests = [planning_request(request) for request in trace.requests]
    result = solve(floor, rule, requests, time_limit=time_limit, start=start, must_seat=must_seat)
    check_seating(floor, rule, trace, result.seating)
    return result


def replay_repacking(
    floor: Floor, rule: Rule, trace: Trace, *, time_limit: float = DEFAULT_TIME_LIMIT
) -> Seating:
    """First come, first served with perfect repacking: a request is accepted when it and
    every booking accepted so far can still all be seated, tables reassigned freely.

    What an allocator that may move every booking to other tables, and takes whoever can
    then be fitted, would seat: it tells table choice apart from admission (which parties
    to take). One integer program per request, so slow (tens of seconds per trace).
    """
    accepted: list[TraceRequest] = []
    seating: Seating = {}
    for request in trace.requests:
        trial = replace(trace, requests=(*accepted, request))
        indices = {r.index for r in trial.requests}
        result = solve_optimum(
            floor, rule, trial, time_limit=time_limit, start=seating, must_seat=indices
        )
        if len(result.seating) == len(indices):
            accepted.append(request)
            seating = result.seating
        elif result.status != "Infeasible":
            raise RuntimeError(f"request {request.index}: HiGHS {result.status}")
    return seating


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.optimum", description=__doc__)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--traces", type=int, default=3)
    parser.add_argument("--demand", type=float, default=DEFAULT_DEMAND)
    parser.add_argument(
        "--time-limit", type=float, default=DEFAULT_TIME_LIMIT, help="seconds per trace"
    )
    args = parser.parse_args(argv)

    venue = white_horse()
    floor, rule = Floor(venue), Rule()
    bounds = day_bounds(venue, BENCH_DAY)
    table = Table(title=f"Offline optimum (HiGHS {highs_version()}), demand x{args.demand}")
    for column in ("seed", "requested", "optimum", "bound", "proven", "baseline", "s", "vars"):
        table.add_column(column, justify="right")
    rows: list[dict[str, object]] = []
    for trace in generate_traces(venue, BENCH_DAY, args.seed, args.traces, args.demand):
        baseline = replay_baseline(floor, rule, trace, bounds)
        optimum = solve_optimum(floor, rule, trace, time_limit=args.time_limit, start=baseline)
        baseline_covers = sum(r.covers for r in trace.requests if r.index in baseline)
        table.add_row(
            str(trace.seed),
            str(trace.covers),
            str(optimum.covers),
            str(optimum.bound),
            "yes" if optimum.proven else "no",
            str(baseline_covers),
            f"{optimum.seconds:.1f}",
            str(optimum.variables),
        )
        rows.append({"seed": trace.seed, "baseline_covers": baseline_covers, **optimum.to_json()})
    console.print(table)
    path = write_results(
        "optimum",
        {"demand": args.demand, "seed": args.seed, "time_limit": args.time_limit, "traces": rows},
    )
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
