"""The offline optimum: the most covers any allocator could seat, knowing every request.

An integer program, solved with HiGHS (``highspy``):

- a binary ``x[r, c]`` for each request ``r`` and each candidate ``c`` that may seat it,
  worth ``party_r`` covers. A candidate may seat a request when the floor offers it for the
  party under the rule (``Floor.candidates_for``), it lies in the request's zone if the
  request names one, and none of its tables is taken by fixed occupancy (what is not a
  request: walk-ins, blocks) at some moment of the request's window;
- each request is seated at most once: ``sum_c x[r, c] <= 1`` (exactly once if it must be);
- no table is double-booked: for each table and each maximal set of mutually overlapping
  windows, at most one chosen candidate containing the table. Windows are intervals, so
  the maximal sets are among "the windows that contain some request's start" (one per
  distinct start);
- maximise covers.

It ignores arrival order, so no online allocator can beat it. HiGHS gets a time limit;
the result holds the best solution found and the dual bound. Covers are whole, so a bound
less than one above the solution proves it optimal (``Optimum.proven``); otherwise the true
optimum lies between the two. A feasible seating (what some allocator did) may be passed as
a starting solution, so the result is never worse than it.

Plain data in, plain data out: requests and windows are epoch seconds, tables are labels.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from reserve.domain.floor import Candidate, Floor, Rule

# Arrival index of a request -> labels of the tables it sits at; a request not in it is not
# seated.
Seating = Mapping[int, tuple[str, ...]]

OPTIMAL = "Optimal"
INFEASIBLE = "Infeasible"


@dataclass(frozen=True, slots=True)
class Request:
    """One party asking for a table: ``start`` to ``end`` is the window its tables would be
    occupied (the buffer included), in epoch seconds; with a ``zone``, only tables of that
    zone will do."""

    index: int
    party_size: int
    start: float
    end: float
    zone: str | None = None

    @property
    def covers(self) -> int:
        return self.party_size


@dataclass(frozen=True, slots=True)
class Taken:
    """A table occupied from ``start`` to ``end`` (epoch seconds) by something that is not a
    request: a walk-in, a block."""

    table: str
    start: float
    end: float


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
    columns: list[tuple[Request, Candidate]]
    rows: list[list[int]]  # each row: its columns, summing to at most one
    lower: list[float]  # each row's lower bound: 1 seats a request that must be seated
    seatable: int  # covers of the requests with a column: what no seating can exceed


def highs_version() -> str:
    return str(_highs().version())


def solve(
    floor: Floor,
    rule: Rule,
    requests: Sequence[Request],
    *,
    time_limit: float,
    fixed: Iterable[Taken] = (),
    start: Seating | None = None,
    must_seat: Collection[int] = frozenset(),
) -> Optimum:
    """The best seating of ``requests`` HiGHS finds within ``time_limit`` seconds, and its
    bound, around the tables ``fixed`` takes.

    ``must_seat`` (request indices) are requests every solution has to seat; when they
    cannot all be, the result seats nobody and its status says the model is infeasible.
    ``start`` is a seating to start from; HiGHS ignores it unless it is feasible.
    """
    _check(requests, must_seat, time_limit)
    model = _build(floor, rule, requests, list(fixed), must_seat)
    if not model.columns:
        # Nothing any table could take: no solver call. Seating nobody is then the answer,
        # unless somebody had to be seated.
        status = INFEASIBLE if must_seat else OPTIMAL
        return Optimum({}, 0, 0, 0.0, status, 0.0, 0, len(model.rows))
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
    covers = sum(r.covers for r in requests if r.index in seating)
    return Optimum(
        seating=seating,
        covers=covers,
        bound=_bound(info.mip_dual_bound, covers, model.seatable),
        mip_gap=info.mip_gap,
        status=highs.modelStatusToString(highs.getModelStatus()),
        seconds=seconds,
        variables=count,
        constraints=len(model.rows),
    )


def candidates(
    floor: Floor, rule: Rule, request: Request, fixed: Iterable[Taken] = ()
) -> list[Candidate]:
    """Where ``request`` could sit: the floor's candidates for its party under ``rule``, in
    its zone if it names one, none of whose tables ``fixed`` takes during its window."""
    busy = _busy(floor, request, list(fixed))
    return [
        candidate
        for candidate in floor.candidates_for(request.party_size, rule)
        if candidate.mask & busy == 0 and request.zone in (None, candidate.zone)
    ]


def _check(requests: Sequence[Request], must_seat: Collection[int], time_limit: float) -> None:
    indices = [request.index for request in requests]
    if len(set(indices)) != len(indices):
        raise ValueError("two requests share an index")
    if any(request.end <= request.start for request in requests):
        raise ValueError("a request's window must end after it starts")
    if not set(must_seat) <= set(indices):
        raise ValueError("must_seat names a request that is not among the requests")
    if not time_limit > 0:
        raise ValueError(f"the time limit must be positive, not {time_limit}")


def _busy(floor: Floor, request: Request, fixed: Sequence[Taken]) -> int:
    """The tables ``fixed`` takes at some moment of the request's window, as a bitmask."""
    mask = 0
    for taken in fixed:
        index = floor.index.get(taken.table)
        if index is not None and taken.start < request.end and request.start < taken.end:
            mask |= 1 << index
    return mask


def _build(
    floor: Floor,
    rule: Rule,
    requests: Sequence[Request],
    fixed: Sequence[Taken],
    must_seat: Collection[int],
) -> _Model:
    columns: list[tuple[Request, Candidate]] = []
    per_request: dict[int, list[int]] = {}
    seatable = 0
    for request in requests:
        per_request[request.index] = []  # a party nothing fits: a row with no entries
        for candidate in candidates(floor, rule, request, fixed):
            per_request[request.index].append(len(columns))
            columns.append((request, candidate))
        if per_request[request.index]:
            seatable += request.covers
    rows = list(per_request.values())
    lower = [1.0 if index in must_seat else 0.0 for index in per_request]
    for clique in _overlapping_sets(requests):
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
    return _Model(columns, rows, lower, seatable)


def _overlapping_sets(requests: Sequence[Request]) -> list[list[int]]:
    """The maximal sets of requests whose windows share an instant, as request indices."""
    found: list[frozenset[int]] = []
    for instant in sorted({r.start for r in requests}):
        found.append(frozenset(r.index for r in requests if r.start <= instant < r.end))
    unique = set(found)
    maximal = [s for s in unique if not any(s < other for other in unique)]
    return sorted(sorted(s) for s in maximal)


def _highs() -> highspy.Highs:
    return highspy.Highs()  # type: ignore[no-untyped-call]


def _bound(dual_bound: float, covers: int, seatable: int) -> int:
    """Covers are whole, so the dual bound rounds down; without one, every request that has
    somewhere to sit."""
    if not math.isfinite(dual_bound):
        return max(covers, seatable)
    return max(covers, min(seatable, math.floor(dual_bound + 1e-6)))


def _set_start(highs: highspy.Highs, model: _Model, start: Seating) -> None:
    solution = highspy.HighsSolution()
    solution.col_value = [
        1.0 if start.get(request.index) == candidate.labels else 0.0
        for request, candidate in model.columns
    ]
    solution.value_valid = True
    highs.setSolution(solution)
