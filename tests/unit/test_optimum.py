"""The offline optimum of the planning layer: on floors small enough to try every seating,
it seats exactly as many covers as the best of them, around fixed occupancy and within
zones; it keeps to what must be seated and starts from a seating it is given."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest

import reserve
from reserve.domain.floor import Candidate, Floor, Rule
from reserve.domain.venue import Table, Venue, Zone
from reserve.domain.venue_document import load_venue_toml
from reserve.planning.optimum import INFEASIBLE, Request, Seating, Taken, candidates, solve

HOUR = 3600.0
RULE = Rule()
TIME_LIMIT = 30.0


def small_floor() -> Floor:
    """A two-top, two four-tops that push together into an eight, inside; a six outside."""
    tables = (
        Table("A", "inside", 2, 1, 2),
        Table("B", "inside", 4, 1, 4),
        Table("C", "inside", 4, 1, 4),
        Table("D", "terrace", 6, 1, 6, combinable=False),
    )
    return Floor(
        Venue(
            slug="small",
            name="Small",
            timezone="UTC",
            zones=(Zone("inside", "Inside"), Zone("terrace", "Terrace")),
            tables=tables,
            adjacency=frozenset({frozenset({"B", "C"})}),
        )
    )


def request(index: int, party: int, start: float, end: float, zone: str | None = None) -> Request:
    """A request as (party, start hour, occupied-until hour)."""
    return Request(index, party, start * HOUR, end * HOUR, zone)


def random_day(seed: int) -> tuple[list[Request], list[Taken]]:
    """Six to nine requests over a five-hour evening, a few for one zone, and up to two
    tables taken for a while by walk-ins or blocks."""
    rng = random.Random(seed)
    requests = []
    for index in range(rng.randint(6, 9)):
        start = rng.randrange(0, 9) / 2
        zone = rng.choice((None, None, None, "inside", "terrace"))
        requests.append(
            request(index, rng.randint(1, 8), start, start + rng.choice((1, 1.5, 2)), zone)
        )
    fixed = []
    for table in rng.sample("ABCD", rng.randint(0, 2)):
        start = rng.randrange(0, 9) / 2
        fixed.append(Taken(table, start * HOUR, (start + 1.5) * HOUR))
    return requests, fixed


def where_it_may_sit(floor: Floor, asked: Request, fixed: Sequence[Taken]) -> list[Candidate]:
    """Worked out apart from the model: the floor's candidates in the zone asked for, none
    of whose tables is taken during the request's window."""
    return [
        candidate
        for candidate in floor.candidates_for(asked.party_size, RULE)
        if asked.zone in (None, candidate.zone)
        and not any(
            taken.table in candidate.labels and taken.start < asked.end and asked.start < taken.end
            for taken in fixed
        )
    ]


def best_by_trying_everything(
    floor: Floor, requests: Sequence[Request], fixed: Sequence[Taken]
) -> int:
    """Every assignment of each request to one of its candidates or to none, keeping those
    where no table holds two overlapping windows: the most covers of any."""
    options = [where_it_may_sit(floor, asked, fixed) for asked in requests]
    best = 0

    def place(i: int, covers: int, windows: list[tuple[str, float, float]]) -> None:
        nonlocal best
        if i == len(requests):
            best = max(best, covers)
            return
        place(i + 1, covers, windows)  # turned away
        asked = requests[i]
        for candidate in options[i]:
            clash = any(
                label in candidate.labels and start < asked.end and asked.start < end
                for label, start, end in windows
            )
            if not clash:
                taken = [(label, asked.start, asked.end) for label in candidate.labels]
                place(i + 1, covers + asked.party_size, windows + taken)

    place(0, 0, [])
    return best


def assert_valid(
    floor: Floor, requests: Sequence[Request], fixed: Sequence[Taken], seating: Seating
) -> None:
    by_index = {asked.index: asked for asked in requests}
    windows = [(taken.table, taken.start, taken.end) for taken in fixed]
    for index, labels in seating.items():
        asked = by_index[index]
        assert labels in {c.labels for c in where_it_may_sit(floor, asked, fixed)}
        windows.extend((label, asked.start, asked.end) for label in labels)
    for i, (label, start, end) in enumerate(windows):
        for other, other_start, other_end in windows[i + 1 :]:
            assert not (label == other and start < other_end and other_start < end)


@pytest.mark.parametrize("seed", range(40))
def test_the_optimum_seats_as_many_covers_as_the_best_of_every_seating(seed: int) -> None:
    floor = small_floor()
    requests, fixed = random_day(seed)

    optimum = solve(floor, RULE, requests, fixed=fixed, time_limit=TIME_LIMIT)

    assert optimum.proven
    assert optimum.covers == best_by_trying_everything(floor, requests, fixed)
    assert optimum.covers == sum(r.party_size for r in requests if r.index in optimum.seating)
    assert_valid(floor, requests, fixed, optimum.seating)


def test_a_table_taken_by_a_walk_in_is_never_offered_while_it_is_taken() -> None:
    floor = small_floor()
    asked = request(0, 2, 1, 2)
    walk_ins = [Taken(label, 1.5 * HOUR, 3 * HOUR) for label in ("A", "B", "C")]

    assert [c.labels for c in candidates(floor, RULE, asked, walk_ins)] == [("D",)]
    optimum = solve(floor, RULE, [asked], fixed=walk_ins, time_limit=TIME_LIMIT)
    assert optimum.seating == {0: ("D",)}


def test_a_table_freed_as_a_window_starts_is_free_for_it() -> None:
    floor = small_floor()
    asked = request(0, 6, 2, 3)
    block = [Taken("D", 0, 2 * HOUR), Taken("B", 3 * HOUR, 4 * HOUR)]

    assert {c.labels for c in candidates(floor, RULE, asked, block)} == {("D",), ("B", "C")}


def test_a_block_of_every_table_seats_nobody() -> None:
    floor = small_floor()
    block = [Taken(label, 0, 5 * HOUR) for label in "ABCD"]
    requests = [request(0, 2, 1, 2), request(1, 4, 3, 4)]

    optimum = solve(floor, RULE, requests, fixed=block, time_limit=TIME_LIMIT)

    assert optimum.covers == 0
    assert optimum.proven
    assert optimum.variables == 0  # no candidate, so nothing for HiGHS to solve


def test_a_request_for_a_zone_sits_only_in_that_zone() -> None:
    floor = small_floor()
    terrace = request(0, 2, 1, 2, "terrace")
    inside = request(1, 6, 1, 2, "inside")

    assert [c.labels for c in candidates(floor, RULE, terrace)] == [("D",)]
    assert [c.labels for c in candidates(floor, RULE, inside)] == [("B", "C")]
    optimum = solve(floor, RULE, [terrace, inside], time_limit=TIME_LIMIT)
    assert optimum.seating == {0: ("D",), 1: ("B", "C")}


def test_two_parties_for_the_terrace_at_once_seat_one_of_them() -> None:
    floor = small_floor()
    requests = [request(0, 2, 1, 2, "terrace"), request(1, 5, 1.5, 2.5, "terrace")]

    optimum = solve(floor, RULE, requests, time_limit=TIME_LIMIT)

    assert optimum.seating == {1: ("D",)}
    assert optimum.covers == 5


def test_a_party_that_must_be_seated_is_seated_even_when_a_larger_one_is_turned_away() -> None:
    floor = small_floor()
    block = [Taken(label, 0, 5 * HOUR) for label in "ABC"]
    requests = [request(0, 2, 1, 2), request(1, 6, 1, 2)]

    free = solve(floor, RULE, requests, fixed=block, time_limit=TIME_LIMIT)
    bound = solve(floor, RULE, requests, fixed=block, time_limit=TIME_LIMIT, must_seat={0})

    assert free.seating == {1: ("D",)}
    assert bound.seating == {0: ("D",)}
    assert bound.covers == 2


def test_parties_that_cannot_all_be_seated_make_the_model_infeasible() -> None:
    floor = small_floor()
    block = [Taken(label, 0, 5 * HOUR) for label in "ABC"]
    requests = [request(0, 2, 1, 2), request(1, 6, 1, 2)]

    optimum = solve(floor, RULE, requests, fixed=block, time_limit=TIME_LIMIT, must_seat={0, 1})

    assert optimum.status == INFEASIBLE
    assert optimum.seating == {}
    assert not optimum.proven


def test_a_party_no_table_can_take_makes_must_seat_infeasible_without_a_solver() -> None:
    optimum = solve(small_floor(), RULE, [request(0, 20, 1, 2)], time_limit=1, must_seat={0})

    assert optimum.status == INFEASIBLE
    assert optimum.variables == 0


def test_a_start_seating_is_kept_when_time_runs_out_before_anything_better() -> None:
    path = Path(reserve.__file__).parent / "venues" / "white-horse.toml"
    floor = Floor(load_venue_toml(path.read_text(encoding="utf-8")))
    rng = random.Random(7)
    requests = []
    for index in range(150):
        start = rng.randrange(0, 36) * 0.25
        requests.append(request(index, rng.choice((2, 2, 2, 3, 4, 4, 6, 8)), start, start + 1.25))
    # Each party at its first candidate while those tables are free: a feasible seating.
    start_seating: dict[int, tuple[str, ...]] = {}
    windows: list[Taken] = []
    for asked in requests:
        free = candidates(floor, RULE, asked, windows)
        if free:
            start_seating[asked.index] = free[0].labels
            windows.extend(Taken(label, asked.start, asked.end) for label in free[0].labels)
    start_covers = sum(r.party_size for r in requests if r.index in start_seating)

    optimum = solve(floor, RULE, requests, time_limit=0.001, start=start_seating)

    assert optimum.covers >= start_covers > 0
    assert_valid(floor, requests, [], optimum.seating)


def test_a_start_seating_that_double_books_a_table_is_ignored() -> None:
    floor = small_floor()
    requests = [request(0, 2, 1, 2), request(1, 2, 1.5, 2.5)]

    optimum = solve(floor, RULE, requests, time_limit=TIME_LIMIT, start={0: ("A",), 1: ("A",)})

    assert optimum.covers == 4
    assert_valid(floor, requests, [], optimum.seating)


@pytest.mark.parametrize(
    ("requests", "must_seat", "reason"),
    [
        ([request(0, 2, 1, 2), request(0, 2, 3, 4)], set(), "share an index"),
        ([request(0, 2, 2, 2)], set(), "must end after it starts"),
        ([request(0, 2, 1, 2)], {1}, "not among the requests"),
    ],
    ids=["shared index", "empty window", "unknown must-seat"],
)
def test_malformed_requests_are_refused(
    requests: list[Request], must_seat: set[int], reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        solve(small_floor(), RULE, requests, time_limit=1, must_seat=must_seat)
