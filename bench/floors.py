"""Floors the benchmarks seat besides the White Horse, generated from a seed.

The bistro is the White Horse's opposite: where the White Horse has a table for most party
sizes in every zone, the bistro is mostly two-tops, pushed together in pairs for threes and
fours, with a few large tables. A party of four there takes two tables a pair of twos could
have had, which is where admission and pooling matter most.
"""

from __future__ import annotations

import random
from dataclasses import replace

from bench.common import white_horse
from reserve.domain.venue import Table, Venue, Zone

# Two-tops that push together in pairs, shared between the two zones by the seed.
PAIRS = 11
ROOM_PAIRS = (6, 8)  # the fewest and most pairs the dining room takes
# The large tables of each zone: (capacity, the index of the one it pushes against).
ROOM_LARGE = ((4, 1), (4, 0), (6, None), (10, None))
TERRACE_LARGE = ((6, 1), (6, 0), (8, None))


def bistro(seed: int = 1) -> Venue:
    """29 tables in two zones, 88 seats: 22 two-tops in adjacent pairs, and in the dining
    room two four-tops that push together, a six-top and a ten-top, on the terrace two
    six-tops that push together (the only place for twelve) and an eight-top.

    The seed says how many of the pairs are in the dining room and in which order the
    tables of each zone are numbered (so ties broken by label fall differently). The White
    Horse's opening hours, turn times, buffer and online party limit."""
    rng = random.Random(seed)
    room_pairs = rng.randint(*ROOM_PAIRS)
    zones = (Zone("room", "Dining Room"), Zone("terrace", "Terrace"))
    tables: list[Table] = []
    adjacency: set[frozenset[str]] = set()
    for zone, pairs, large in (
        (zones[0], room_pairs, ROOM_LARGE),
        (zones[1], PAIRS - room_pairs, TERRACE_LARGE),
    ):
        count = 2 * pairs + len(large)
        numbers = list(range(1, count + 1))
        rng.shuffle(numbers)
        prefix = zone.key[0].upper()
        labels = [f"{prefix}-{number:02d}" for number in numbers]
        twos, bigs = labels[: 2 * pairs], labels[2 * pairs :]
        for label in twos:
            tables.append(Table(label, zone.key, 2, 1, 2, category=zone.key, seating="banquette"))
        for first, second in zip(twos[::2], twos[1::2], strict=True):
            adjacency.add(frozenset((first, second)))
        for label, (capacity, partner) in zip(bigs, large, strict=True):
            tables.append(Table(label, zone.key, capacity, capacity // 2, capacity, zone.key))
            if partner is not None:
                adjacency.add(frozenset((label, bigs[partner])))
    return replace(
        white_horse(),
        slug="bistro",
        name="The Corner Bistro",
        zones=zones,
        tables=tuple(sorted(tables, key=lambda table: table.label)),
        adjacency=frozenset(adjacency),
    )
