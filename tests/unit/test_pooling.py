"""Pooled tables and booking limits: moving unseated bookings to let a party in, and which
kinds of party the linear program still admits."""

from __future__ import annotations

import random
from uuid import UUID

from test_allocator import HOUR, venue

from reserve.domain.allocator import (
    Admission,
    Expected,
    Occupancy,
    Policy,
    Request,
    allocate,
)
from reserve.domain.availability import day_occupancy
from reserve.domain.floor import Floor
from reserve.domain.pooling import Placed, Placement, Refused, occupied, place
from reserve.planning.limits import LimitsModel, solve_limits

POOLING = Policy()
FIXED_TABLES = Policy(pooling=False)


class AdmitAll:
    """Booking limits that admit every party (a day expected to stay quiet)."""

    def admits(self, request: Request) -> bool:
        return True


ADMIT_ALL = AdmitAll()


def booking(n: int, party: int, tables: tuple[str, ...], start: float = 0.0) -> Placed:
    return Placed(UUID(int=n), party, start, start + HOUR, tables)


def overlapping(seated: dict[UUID, tuple[tuple[str, ...], float, float]]) -> bool:
    windows = [(t, s, e) for tables, s, e in seated.values() for t in tables]
    return any(
        a[0] == b[0] and a[1] < b[2] and b[1] < a[2]
        for i, a in enumerate(windows)
        for b in windows[i + 1 :]
    )


# --- pooling -------------------------------------------------------------------------------


def test_a_party_gets_in_by_moving_a_smaller_one_to_a_table_that_fits_it_better() -> None:
    floor = Floor(venue([("BIG", "z", 6), ("SMALL", "z", 2)]))
    two_at_big = booking(1, 2, ("BIG",))

    found = place(
        floor, Occupancy(floor, ()), [two_at_big], Request(6, 0.0, HOUR), POOLING, limits=ADMIT_ALL
    )

    assert isinstance(found, Placement)
    assert found.plan.tables == ("BIG",)
    [move] = found.moves
    assert (move.booking_id, move.from_tables, move.to_tables) == (
        UUID(int=1),
        ("BIG",),
        ("SMALL",),
    )


def test_without_limits_nothing_moves() -> None:
    """No history (no limits): tables stay where they were booked, as without pooling."""
    floor = Floor(venue([("BIG", "z", 6), ("SMALL", "z", 2)]))
    two_at_big = booking(1, 2, ("BIG",))

    found = place(floor, Occupancy(floor, ()), [two_at_big], Request(6, 0.0, HOUR), POOLING)

    assert found is Refused.FULL


def test_without_pooling_the_same_party_is_refused() -> None:
    floor = Floor(venue([("BIG", "z", 6), ("SMALL", "z", 2)]))
    two_at_big = booking(1, 2, ("BIG",))

    found = place(
        floor,
        Occupancy(floor, ()),
        [two_at_big],
        Request(6, 0.0, HOUR),
        FIXED_TABLES,
        limits=ADMIT_ALL,
    )

    assert found is Refused.FULL


def test_what_is_fixed_never_moves() -> None:
    """A seated, pinned or soon-starting booking is fixed occupancy: nothing is moved to let
    a party in, even where moving it would."""
    floor = Floor(venue([("BIG", "z", 6), ("SMALL", "z", 2)]))
    fixed = Occupancy(floor, [("BIG", 0.0, HOUR)])  # the party of two, seated or pinned

    assert place(floor, fixed, [], Request(6, 0.0, HOUR), POOLING, limits=ADMIT_ALL) is Refused.FULL


def test_a_moved_booking_keeps_its_zone() -> None:
    floor = Floor(venue([("BIG", "garden", 6), ("SMALL", "bar", 2), ("OTHER", "garden", 2)]))
    in_the_garden = Placed(UUID(int=1), 2, 0.0, HOUR, ("BIG",), zone="garden")

    found = place(
        floor,
        Occupancy(floor, ()),
        [in_the_garden],
        Request(6, 0.0, HOUR),
        POOLING,
        limits=ADMIT_ALL,
    )

    assert isinstance(found, Placement)
    assert [m.to_tables for m in found.moves] == [("OTHER",)]


def test_a_free_table_is_taken_without_moving_anyone() -> None:
    floor = Floor(venue([("BIG", "z", 6), ("SMALL", "z", 2), ("SPARE", "z", 6)]))

    found = place(
        floor, Occupancy(floor, ()), [booking(1, 2, ("BIG",))], Request(6, 0.0, HOUR), POOLING
    )

    assert isinstance(found, Placement)
    assert (found.plan.tables, found.moves) == (("SPARE",), ())


def test_placing_a_day_one_party_at_a_time_never_overlaps() -> None:
    floor = Floor(venue([(f"T{i}", "z", size) for i, size in enumerate((2, 2, 4, 4, 6, 8))]))
    chance = random.Random(7)
    requests = [
        Request(chance.choice((1, 2, 2, 3, 4, 5, 6, 7, 8)), start, start + 2 * HOUR)
        for start in (chance.randrange(0, 8) * HOUR / 2 for _ in range(60))
    ]
    pooled: dict[UUID, tuple[tuple[str, ...], float, float]] = {}
    party: dict[UUID, int] = {}
    moves = 0
    for n, request in enumerate(requests):
        placed = [Placed(i, party[i], s, e, t) for i, (t, s, e) in pooled.items()]
        found = place(floor, Occupancy(floor, ()), placed, request, POOLING, limits=ADMIT_ALL)
        if isinstance(found, Placement):
            for m in found.moves:
                tables, s, e = pooled[m.booking_id]
                assert m.from_tables == tables
                pooled[m.booking_id] = (m.to_tables, s, e)
                moves += 1
            pooled[UUID(int=n)] = (found.plan.tables, request.start, request.end)
            party[UUID(int=n)] = request.party_size
        assert not overlapping(pooled)
    assert moves > 0, "the day should be busy enough to move someone"


# --- booking limits ------------------------------------------------------------------------


def test_the_limits_keep_a_table_for_the_larger_parties_expected_and_admit_them() -> None:
    floor = Floor(venue([("FOUR", "z", 4)]))
    fours_expected = [Expected(4, 0.0, HOUR, 3.0)]

    limits = solve_limits(floor, Policy().rule, Occupancy(floor, ()), [], fours_expected)

    assert limits.optimal
    assert not limits.admits(Request(2, 0.0, HOUR))  # priced out: the four-top is worth 4
    assert limits.admits(Request(4, 0.0, HOUR))
    assert limits.admits(Request(2, 2 * HOUR, 3 * HOUR))  # nobody expected then


def test_a_party_is_admitted_when_the_demand_expected_fits_beside_it() -> None:
    floor = Floor(venue([("FOUR", "z", 4), ("OTHER", "z", 4)]))
    one_four_expected = [Expected(4, 0.0, HOUR, 1.0), Expected(2, 0.0, HOUR, 1.0)]

    limits = solve_limits(floor, Policy().rule, Occupancy(floor, ()), [], one_four_expected)

    assert limits.admits(Request(2, 0.0, HOUR))
    assert limits.admits(Request(4, 0.0, HOUR))


def test_bookings_whose_tables_may_move_count_against_the_limits() -> None:
    floor = Floor(venue([("A", "z", 4), ("B", "z", 4)]))
    expected = [Expected(2, 0.0, HOUR, 2.0), Expected(4, 0.0, HOUR, 2.0)]
    fours_booked = [booking(1, 4, ("A",)), booking(2, 4, ("B",))]

    empty = solve_limits(floor, Policy().rule, Occupancy(floor, ()), [], expected)
    full = solve_limits(floor, Policy().rule, Occupancy(floor, ()), fours_booked, expected)

    assert empty.admits(Request(4, 0.0, HOUR))
    assert not full.admits(Request(4, 0.0, HOUR))


def test_a_model_kept_between_solves_answers_as_a_fresh_one() -> None:
    floor = Floor(venue([(f"T{i}", "z", size) for i, size in enumerate((2, 2, 4, 4, 6))]))
    rule = Policy().rule
    expected = [
        Expected(size, start * HOUR, start * HOUR + 2 * HOUR, count)
        for size, start, count in ((2, 0, 3.0), (4, 0, 2.0), (6, 1, 1.5), (2, 1, 2.0))
    ]
    model = LimitsModel(floor, rule, Occupancy(floor, ()), [e.start for e in expected])
    booked: list[Placed] = []
    for n, share in enumerate((1.0, 0.8, 0.5, 0.2)):
        scaled = [Expected(e.party_size, e.start, e.end, e.count * share) for e in expected]
        warm = model.solve(booked, scaled)
        fresh = solve_limits(floor, rule, Occupancy(floor, ()), booked, scaled)
        assert abs(sum(warm.accepted.values()) - sum(fresh.accepted.values())) < 1e-6
        booked.append(booking(n + 10, 2, ("T0",) if n == 0 else (f"T{n}",)))


def test_everything_occupied_is_the_fixed_and_the_placed_together() -> None:
    floor = Floor(venue([("A", "z", 4), ("B", "z", 4)]))
    both = occupied(day_occupancy(floor, []), [booking(1, 4, ("A",))])

    assert both.busy(0.0, HOUR) == floor.mask_of(["A"])


def test_without_history_admission_changes_nothing() -> None:
    """No outlook and no limits: every policy seats what ``none`` seats, request by request."""
    floor = Floor(venue([(f"T{i}", "z", size) for i, size in enumerate((2, 2, 4, 4, 6, 8))]))
    chance = random.Random(11)
    taken: dict[Admission, list[tuple[str, float, float]]] = {a: [] for a in Admission}
    for _ in range(80):
        start = chance.randrange(0, 8) * HOUR / 2
        request = Request(chance.choice((1, 2, 3, 4, 5, 6, 8)), start, start + 2 * HOUR)
        plans = {
            admission: allocate(
                floor,
                Occupancy(floor, taken[admission]),
                request,
                Policy(admission=admission, pooling=False),
            )
            for admission in Admission
        }
        assert len({None if p is None else p.tables for p in plans.values()}) == 1
        for admission, plan in plans.items():
            if plan is not None:
                taken[admission] += [(t, request.start, request.end) for t in plan.tables]


class DeclineAll:
    """Booking limits that keep every table for the demand still expected."""

    def admits(self, request: Request) -> bool:
        return False


def test_limits_decline_at_a_free_table_and_refuse_to_make_room_when_none_is() -> None:
    floor = Floor(venue([("BIG", "z", 6), ("SMALL", "z", 2)]))
    empty, two_at_big = Occupancy(floor, ()), booking(1, 2, ("BIG",))
    limits = DeclineAll()

    free = place(floor, empty, [], Request(6, 0.0, HOUR), POOLING, limits=limits)
    no_room = place(floor, empty, [two_at_big], Request(6, 0.0, HOUR), POOLING, limits=limits)

    assert (free, no_room) == (Refused.DECLINED, Refused.FULL)
