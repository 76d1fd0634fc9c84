"""The offline optimum: the most covers any allocator could seat, knowing every request.

An integer program, solved with HiGHS (``highspy``):

- a binary ``x[r, c]`` for each request ``r`` and each candidate ``c`` that
  ``floor.candidates_for(party_r, rule)`` offers it, worth ``party_r`` covers;
- each request is seated at most once: ``sum_c x[r, c] <= 1``;
- no table is double-booked: for each table and each maximal set of mutually
  overlapping windows, at most one chosen candidate containing the table. Windows are
  intervals, so the maximal sets are among "the windows that contain some request's
  start" (one per distinct start);
- maximise covers.

It ignores arrival order, so no online allocator can beat it. HiGHS gets a time limit;
the result records the best solution found, the dual bound and the gap. When the gap
is closed (covers are whole, so a bound less than one above the solution proves it
optimal) ratios against it are exact; otherwise they are against the bound, i.e. a
lower bound on the true ratio, and say so. A feasible seating (the best of the online
strategies) may be passed as a starting solution, so the result is never worse than it.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import highspy
import numpy as np
from rich.table import Table

from bench.baseline import replay_baseline
from bench.common import BENCH_DAY, console, day_bounds, white_horse, write_results
from bench.replay import Seating, check_seating
from bench.traces import DEFAULT_DEMAND, DEFAULT_SEED, Trace, TraceRequest, generate_traces
from reserve.domain.floor import Candidate, Floor, Rule

DEFAULT_TIME_LIMIT = 60.0


@dataclass(frozen=True, slots=True)
class Optimum:
    seating: Seating
    covers: int  # of the best solution found
    bound: int  # no seating of these requests seats more covers than this
    mip_gap: float  # as HiGHS reports it: (bound - covers) / covers
    status: str
    seconds: float
    variables: int
    constraints: int

    @property
    def proven(self) -> bool:
        return self.bound <= self.covers

    def to_json(self) -> dict[str, object]:
        return {
            "covers": self.covers,
            "bound": self.bound,
            "proven_optimal": self.proven,
            "mip_gap": self.mip_gap,
            "status": self.status,
            "seconds": self.seconds,
            "variables": self.variables,
            "constraints": self.constraints,
        }


@dataclass(frozen=True, slots=True)
class _Model:
    columns: list[tuple[TraceRequest, Candidate]]
    rows: list[list[int]]  # each row: its columns, summing to at most one
    lower: list[float]  # each row's lower bound: 1 seats a request that must be seated


def highs_version() -> str:
    return str(_highs().version())


def _highs() -> highspy.Highs:
    return highspy.Highs()  # type: ignore[no-untyped-call]


def _build(floor: Floor, rule: Rule, trace: Trace, must_seat: Collection[int]) -> _Model:
    columns: list[tuple[TraceRequest, Candidate]] = []
    per_request: dict[int, list[int]] = {}
    for request in trace.requests:
        per_request[request.index] = []  # a party no candidate fits: a row with no entries
        for candidate in floor.candidates_for(request.party_size, rule):
            per_request[request.index].append(len(columns))
            columns.append((request, candidate))
    rows = list(per_request.values())
    lower = [1.0 if index in must_seat else 0.0 for index in per_request]
    for clique in _overlapping_sets(trace.requests):
        by_table: dict[int, list[int]] = {}
        for index in clique:
            for col in per_request[index]:
                for table in columns[col][1].tables:
                    by_table.setdefault(table, []).append(col)
        for table in sorted(by_table):
            cols = by_table[table]
            if len({columns[col][0].index for col in cols}) > 1:
                rows.append(cols)
                lower.append(0.0)
    return _Model(columns, rows, lower)


def _overlapping_sets(requests: Sequence[TraceRequest]) -> list[list[int]]:
    """The maximal sets of requests whose windows share an instant, as arrival indices."""
    found: list[frozenset[int]] = []
    for instant in sorted({r.start for r in requests}):
        found.append(frozenset(r.index for r in requests if r.start <= instant < r.occupied_until))
    unique = set(found)
    maximal = [s for s in unique if not any(s < other for other in unique)]
    return sorted(sorted(s) for s in maximal)


def solve_optimum(
    floor: Floor,
    rule: Rule,
    trace: Trace,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    start: Seating | None = None,
    must_seat: Collection[int] = frozenset(),
) -> Optimum:
    """The best seating HiGHS finds within ``time_limit`` seconds, and its bound.

    ``must_seat`` (arrival indices) are requests every solution has to seat; when they
    cannot all be, the result seats nobody and its status says the model is infeasible.
    """
    model = _build(floor, rule, trace, must_seat)
    highs = _highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", 0.999)  # covers are whole: a gap below one is none
    highs.setOptionValue("random_seed", 0)
    count = len(model.columns)
    costs = np.array([float(request.covers) for request, _ in model.columns])
    highs.addCols(
        count, costs, np.zeros(count), np.ones(count), 0, np.array([]), np.array([]), np.array([])
    )
    highs.changeColsIntegrality(
        count, np.arange(count, dtype=np.int32), np.full(count, highspy.HighsVarType.kInteger)
    )
    starts = np.cumsum([0] + [len(row) for row in model.rows[:-1]], dtype=np.int32)
    indices = np.array([col for row in model.rows for col in row], dtype=np.int32)
    highs.addRows(
        len(model.rows),
        np.array(model.lower),
        np.ones(len(model.rows)),
        len(indices),
        starts,
        indices,
        np.ones(len(indices)),
    )
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    if start:
        _set_start(highs, model, start)
    began = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - began
    info = highs.getInfo()
    seating: dict[int, tuple[str, ...]] = {}
    if info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible:
        values = highs.getSolution().col_value
        seating = {
            request.index: candidate.labels
            for (request, candidate), value in zip(model.columns, values, strict=True)
            if value > 0.5
        }
    check_seating(floor, rule, trace, seating)
    covers = sum(r.covers for r in trace.requests if r.index in seating)
    return Optimum(
        seating=seating,
        covers=covers,
        bound=_bound(info.mip_dual_bound, covers, trace),
        mip_gap=info.mip_gap,
        status=highs.modelStatusToString(highs.getModelStatus()),
        seconds=seconds,
        variables=count,
        constraints=len(model.rows),
    )


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


def _bound(dual_bound: float, covers: int, trace: Trace) -> int:
    """Covers are whole, so the dual bound rounds down; without one, all covers asked for."""
    if not math.isfinite(dual_bound):
        return trace.covers
    return max(covers, math.floor(dual_bound + 1e-6))


def _set_start(highs: highspy.Highs, model: _Model, start: Seating) -> None:
    chosen = [
        col
        for col, (request, candidate) in enumerate(model.columns)
        if start.get(request.index) == candidate.labels
    ]
    solution = highspy.HighsSolution()
    solution.col_value = [0.0] * len(model.columns)
    for col in chosen:
        solution.col_value[col] = 1.0
    solution.value_valid = True
    highs.setSolution(solution)


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
