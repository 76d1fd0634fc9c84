"""Repacking pooled tables when moving one or two bookings is not enough: a small
feasibility integer program that seats a new party and every movable booking overlapping
it, moving as few of them as it can, within the search's deadline (HiGHS).

The product does not use it: measured by ``bench.pooling_replay`` (variant ``limits +
pooling + repack``), seating more of the parties the limits admit leaves worse-packed
tables for later ones and seats fewer guests over a day than moving one or two bookings to
free tables, and availability could not afford it for every start of a day.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence

import highspy
import numpy as np

from reserve.domain.allocator import Occupancy, Plan, Request, Timer
from reserve.domain.floor import Candidate, Floor, Rule
from reserve.domain.pooling import Move, Placed, Placement


def repack(
    floor: Floor,
    rule: Rule,
    request: Request,
    movable: Sequence[Placed],
    fixed: Occupancy,
    deadline: float,
    clock: Timer = time.perf_counter,
    *,
    fewest_moves: bool = True,
) -> Placement | None:
    """Seat ``request`` and every booking of ``movable`` at once, each at a candidate free of
    ``fixed`` (and within its zone), keeping as many bookings at their tables as possible;
    None when no such seating exists or none is found before ``deadline`` (``clock``).
    Without ``fewest_moves``, the first seating found, however many it moves."""
    parties: list[tuple[int, float, float, str | None, tuple[str, ...] | None]] = [
        (request.party_size, request.start, request.end, request.zone, None)
    ] + [(p.party_size, p.start, p.end, p.zone, p.tables) for p in movable]
    instants = sorted({start for _, start, _, _, _ in parties})
    width = len(instants)
    columns: list[tuple[int, Candidate]] = []
    starts: list[int] = []
    indices: list[int] = []
    keeps: list[float] = []
    capacity_rows = len(floor.tables) * width
    for who, (party, start, end, zone, tables) in enumerate(parties):
        busy = fixed.busy(start, end)
        first = bisect.bisect_left(instants, start)
        last = bisect.bisect_left(instants, end)
        for candidate in floor.candidates_for(party, rule):
            if candidate.mask & busy or (zone is not None and candidate.zone != zone):
                continue
            starts.append(len(indices))
            indices.extend(i * width + p for i in candidate.tables for p in range(first, last))
            indices.append(capacity_rows + who)
            columns.append((who, candidate))
            kept = fewest_moves and candidate.labels == tables
            keeps.append(1.0 if kept else 0.0)
    if not columns:
        return None
    remaining = deadline - clock()
    if remaining <= 0:
        return None
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", remaining)
    highs.setOptionValue("random_seed", 0)
    rows = capacity_rows + len(parties)
    highs.addRows(
        rows,
        np.concatenate([np.full(capacity_rows, -np.inf), np.ones(len(parties))]),
        np.ones(rows),
        0,
        np.zeros(rows, dtype=np.int32),
        np.array([], dtype=np.int32),
        np.array([]),
    )
    count = len(columns)
    highs.addCols(
        count,
        np.array(keeps),
        np.zeros(count),
        np.ones(count),
        len(indices),
        np.array(starts, dtype=np.int32),
        np.array(indices, dtype=np.int32),
        np.ones(len(indices)),
    )
    highs.changeColsIntegrality(
        count, np.arange(count, dtype=np.int32), np.full(count, highspy.HighsVarType.kInteger)
    )
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    highs.run()
    info = highs.getInfo()
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        return None
    chosen: dict[int, Candidate] = {}
    for (who, candidate), value in zip(columns, highs.getSolution().col_value, strict=True):
        if value > 0.5:
            chosen[who] = candidate
    if len(chosen) != len(parties):
        return None
    seat = chosen[0]
    moves = tuple(
        Move(booking.booking_id, booking.tables, chosen[who].labels)
        for who, booking in enumerate(movable, start=1)
        if chosen[who].labels != booking.tables
    )
    plan = Plan(tables=seat.labels, seats=seat.seats, waste=seat.waste(request.party_size))
    return Placement(plan, moves)
