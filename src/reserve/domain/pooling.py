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
    Limits,
    Lookahead,
    Occupancy,
    Outlook,
    Plan,
    Policy,
    Request,
    Timer,
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


# At most this many parties in the new one's way move for it, each to tables free of
# everything else, or one of them by a chain of two moves (``_rehome``).
MOST_MOVES = 2
# Moves are tried only for tables that would seat the new party with at most this many
# more empty seats than its best fit: past that, making room costs more than it seats.
MOVE_WASTE = 2

# ``Repack(request, movable, fixed, deadline)``: a seating of the request and every movable
# booking (those overlapping it) around ``fixed`` (everything else), found before
# ``deadline`` (the search's clock), or None. The product passes none; ``bench.repack`` is
# the integer program measured against the moves above.
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
    """Seat ``request``: at free tables when there are (as ``allocate`` chooses, admission
    included); else, with ``policy.pooling`` and booking ``limits`` that admit the party,
    by moving the one or two movable bookings in the way of its best possible tables to
    others (``_move_few``), or, when that fails and ``repack`` is given, by any
    rearrangement of the movable bookings that it finds. The search for moves is bounded
    by the selector timeout.

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
    if not policy.pooling or not placed or limits is None:
        # Moving whoever is in the way to take whoever asks seats fewer guests over a day
        # than leaving tables where they were booked: moves are only for a party the
        # booking limits admit, so without them (no history yet, or another admission)
        # nothing moves and nothing is declined while a table is free.
        return Refused.FULL
    if not limits.admits(request):
        return Refused.FULL  # no table is free, and the limits do not make room for it
    deadline = clock() + policy.selector_timeout_ms / 1000
    moved = _move_few(floor, fixed, placed, request, policy.rule, clock, deadline)
    if moved is None and repack is not None and clock() < deadline:
        overlapping = _overlapping(placed, request)
        others = [p for p in placed if p not in overlapping]
        staying = fixed.with_windows((label, p.start, p.end) for p in others for label in p.tables)
        moved = repack(request, overlapping, staying, deadline)
    if moved is None:
        return Refused.FULL
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
    ``MOST_MOVES``) can each move to tables free of everything else, or, for one of them,
    to tables that one more party leaves for tables free of everything else."""
    fixed_busy = fixed.busy(request.start, request.end)
    overlapping = _overlapping(placed, request)
    fitting = floor.candidates_for(request.party_size, rule)
    if not fitting:
        return None
    widest = fitting[0].waste(request.party_size) + MOVE_WASTE
    for seen, candidate in enumerate(fitting):
        if candidate.waste(request.party_size) > widest:
            break  # best first: the rest would seat the party wastefully anyway
        if seen % 16 == 15 and clock() > deadline:
            return None
        if candidate.mask & fixed_busy or (request.zone and candidate.zone != request.zone):
            continue
        conflicts = [p for p in overlapping if floor.mask_of(p.tables) & candidate.mask]
        if not conflicts or len(conflicts) > MOST_MOVES:
            continue
        staying = [p for p in placed if p not in conflicts]
        arrived = [(label, request.start, request.end) for label in candidate.labels]
        moves = _rehome(floor, fixed.with_windows(arrived), staying, conflicts, rule)
        if moves is not None:
            plan = Plan(
                tables=candidate.labels,
                seats=candidate.seats,
                waste=candidate.waste(request.party_size),
            )
            return Placement(plan, moves)
    return None


def _rehome(
    floor: Floor,
    fixed: Occupancy,
    staying: list[Placed],
    conflicts: Sequence[Placed],
    rule: Rule,
) -> tuple[Move, ...] | None:
    """Each conflicting party at the best tables free for it, the largest party first; one
    of them may instead take tables of one staying party that can itself move to free
    tables (a chain of two moves)."""
    moved: list[tuple[str, float, float]] = []
    moves: list[Move] = []
    chained = False
    for booking in sorted(conflicts, key=lambda p: (-p.party_size, p.start)):
        taken = fixed.with_windows(_windows(staying) + moved)
        home = _free_home(floor, taken, booking, rule)
        if home is not None:
            moved += [(label, booking.start, booking.end) for label in home]
            moves.append(Move(booking.booking_id, booking.tables, home))
            continue
        if chained:
            return None
        chain = _chain(floor, fixed.with_windows(moved), staying, booking, rule)
        if chain is None:
            return None
        (home, other, other_home) = chain
        chained = True
        staying = [p for p in staying if p is not other]
        moved += [(label, booking.start, booking.end) for label in home]
        moved += [(label, other.start, other.end) for label in other_home]
        moves.append(Move(booking.booking_id, booking.tables, home))
        moves.append(Move(other.booking_id, other.tables, other_home))
    return tuple(moves)


def _chain(
    floor: Floor, fixed: Occupancy, staying: Sequence[Placed], booking: Placed, rule: Rule
) -> tuple[tuple[str, ...], Placed, tuple[str, ...]] | None:
    """Tables for ``booking``, fitting it no worse than its own, held by exactly one staying
    party, and free tables for that party once ``booking`` sits there: (booking's tables,
    the party, its new tables)."""
    fixed_busy = fixed.busy(booking.start, booking.end)
    near = [p for p in staying if p.start < booking.end and p.end > booking.start]
    own_seats = sum(floor.capacities[floor.index[label]] for label in booking.tables)
    for candidate in floor.candidates_for(booking.party_size, rule):
        if candidate.seats > own_seats:
            break  # best first: the rest fit it worse than where it sits
        if candidate.mask & fixed_busy or (booking.zone and candidate.zone != booking.zone):
            continue
        blocking = [p for p in near if floor.mask_of(p.tables) & candidate.mask]
        if len(blocking) != 1:
            continue
        [other] = blocking
        rest = [p for p in staying if p is not other]
        taken = fixed.with_windows(
            _windows(rest) + [(label, booking.start, booking.end) for label in candidate.labels]
        )
        other_home = _free_home(floor, taken, other, rule)
        if other_home is not None:
            return candidate.labels, other, other_home
    return None


def _free_home(
    floor: Floor, taken: Occupancy, booking: Placed, rule: Rule
) -> tuple[str, ...] | None:
    """The best tables free for ``booking`` (within its zone), if any."""
    busy = taken.busy(booking.start, booking.end)
    for candidate in floor.candidates_for(booking.party_size, rule):
        if candidate.mask & busy == 0 and (booking.zone is None or candidate.zone == booking.zone):
            return candidate.labels
    return None


def _windows(bookings: Sequence[Placed]) -> list[tuple[str, float, float]]:
    return [(label, p.start, p.end) for p in bookings for label in p.tables]
