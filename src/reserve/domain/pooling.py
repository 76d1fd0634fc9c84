"""Pooled tables: a confirmed booking keeps its time, party and zone, but its tables may
move until the party is seated, when moving it lets a new party in.

What may move is decided by the service (never a seated booking, a host's pinned tables, a
booking starting within ``Policy.pooling_freeze_minutes``, a hold or a block): those are
``Placed``; everything else is fixed occupancy.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from uuid import UUID

from reserve.domain.allocator import (
    Admission,
    Limits,
    Lookahead,
    Occupancy,
    Outlook,
    Plan,
    Policy,
    Request,
    Timer,
    admits,
    allocate,
    free_candidates,
)
from reserve.domain.floor import Floor, Rule


@dataclass(frozen=True, slots=True)
class Placed:
    """A booking whose tables may move: its party, occupied window (epoch seconds, the end
    with the buffer), its tables now (sorted labels), and the zone the guest chose."""

    booking_id: UUID
    party_size: int
    start: float
    end: float
    tables: tuple[str, ...]
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class Move:
    """One booking's tables before and after (sorted labels)."""

    booking_id: UUID
    from_tables: tuple[str, ...]
    to_tables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a new party sits, and the bookings moved to make room (none when a table was
    free)."""

    plan: Plan
    moves: tuple[Move, ...] = ()


class Refused(Enum):
    """Why no placement: nothing free even with moves, or a table kept for expected demand."""

    FULL = "full"
    DECLINED = "declined"


# A conflicting party is moved only onto tables free of everything else; at most this many
# parties move for one new one. Chains of moves are left to ``Repack`` (an integer program).
MOST_MOVES = 2

# ``Repack(request, movable, fixed, deadline)``: a seating of the request and every movable
# booking (those overlapping it) around ``fixed`` (everything else), found before
# ``deadline`` (the search's clock), or None: ``reserve.planning.repack``.
Repack = Callable[[Request, Sequence[Placed], Occupancy, float], "Placement | None"]


def place(
    floor: Floor,
    fixed: Occupancy,
    placed: Sequence[Placed],
    request: Request,
    policy: Policy,
    lookahead: Lookahead | None = None,
    *,
    outlook: Outlook | None = None,
    limits: Limits | None = None,
    repack: Repack | None = None,
    clock: Timer = time.perf_counter,
    everything: Occupancy | None = None,
) -> Placement | Refused:
    """Seat ``request``: at free tables when there are (as ``allocate`` chooses); else, with
    ``policy.pooling``, by moving one or two movable bookings to other free tables, or, when
    that fails and ``repack`` is given, by any rearrangement of the movable bookings that it
    finds. Admission (``allocator.admits``) applies either way.

    ``fixed`` is the occupancy of what cannot move; ``placed`` the bookings that may;
    ``everything`` both together, when the caller has it (``occupied``).
    """
    if everything is None:
        everything = occupied(fixed, placed)
    plan = allocate(
        floor, everything, request, policy, lookahead, outlook=outlook, limits=limits, clock=clock
    )
    if plan is not None:
        return Placement(plan)
    if free_candidates(floor, everything, request, policy.rule):
        return Refused.DECLINED
    if not policy.pooling or not placed:
        return Refused.FULL
    if policy.admission is Admission.LIMITS and limits is not None and not limits.admits(request):
        return Refused.DECLINED
    deadline = clock() + policy.selector_timeout_ms / 1000
    moved = _move_few(floor, fixed, placed, request, policy.rule, clock, deadline)
    if moved is None and repack is not None and clock() < deadline:
        overlapping = _overlapping(placed, request)
        others = [p for p in placed if p not in overlapping]
        staying = fixed.with_windows((label, p.start, p.end) for p in others for label in p.tables)
        moved = repack(request, overlapping, staying, deadline)
    if moved is None:
        return Refused.FULL
    if policy.admission is Admission.PROTECTION:
        fitting = floor.candidates_for(request.party_size, policy.rule)
        candidate = next(c for c in fitting if c.labels == moved.plan.tables)
        if not admits(floor, everything, request, candidate, policy, outlook, limits):
            return Refused.DECLINED
    return moved


def occupied(fixed: Occupancy, placed: Sequence[Placed]) -> Occupancy:
    """The occupancy of what is fixed and of the placed bookings where they sit now."""
    return fixed.with_windows((label, p.start, p.end) for p in placed for label in p.tables)


def _overlapping(placed: Sequence[Placed], request: Request) -> list[Placed]:
    return [p for p in placed if p.start < request.end and p.end > request.start]


def _move_few(
    floor: Floor,
    fixed: Occupancy,
    placed: Sequence[Placed],
    request: Request,
    rule: Rule,
    clock: Timer,
    deadline: float,
) -> Placement | None:
    """The best candidate for the request whose conflicting parties (at most
    ``MOST_MOVES``) can each move to tables free of everything else."""
    fixed_busy = fixed.busy(request.start, request.end)
    overlapping = _overlapping(placed, request)
    for seen, candidate in enumerate(floor.candidates_for(request.party_size, rule)):
        if seen % 16 == 15 and clock() > deadline:
            return None
        if candidate.mask & fixed_busy or (request.zone and candidate.zone != request.zone):
            continue
        conflicts = [p for p in overlapping if floor.mask_of(p.tables) & candidate.mask]
        if not conflicts or len(conflicts) > MOST_MOVES:
            continue
        staying = [p for p in placed if p not in conflicts]
        windows = [(label, p.start, p.end) for p in staying for label in p.tables]
        windows += [(label, request.start, request.end) for label in candidate.labels]
        moves = _rehome(floor, fixed.with_windows(windows), conflicts, rule)
        if moves is not None:
            plan = Plan(
                tables=candidate.labels,
                seats=candidate.seats,
                waste=candidate.waste(request.party_size),
            )
            return Placement(plan, moves)
    return None


def _rehome(
    floor: Floor, taken: Occupancy, conflicts: Sequence[Placed], rule: Rule
) -> tuple[Move, ...] | None:
    """Each conflicting party at the best tables free for it, the largest party first."""
    moves: list[Move] = []
    for booking in sorted(conflicts, key=lambda p: (-p.party_size, p.start)):
        busy = taken.busy(booking.start, booking.end)
        home = next(
            (
                c
                for c in floor.candidates_for(booking.party_size, rule)
                if c.mask & busy == 0 and (booking.zone is None or c.zone == booking.zone)
            ),
            None,
        )
        if home is None:
            return None
        taken = taken.with_windows((label, booking.start, booking.end) for label in home.labels)
        moves.append(Move(booking.booking_id, booking.tables, home.labels))
    return tuple(moves)
