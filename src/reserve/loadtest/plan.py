"""Which requests a run makes: ``stress_max`` booking requests for every slot of the window,
party sizes uniform in a range, the same for a seed whatever the window or concurrency."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
MAX_CONCURRENCY = 1024


def parse_clock(text: str) -> time:
    """``HH:MM`` (00:00 to 23:59) as a time; ValueError otherwise."""
    match = CLOCK.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a time of day as HH:MM (00:00 to 23:59)")
    return time(int(match[1]), int(match[2]))


def parse_levels(text: str) -> tuple[int, ...]:
    """A concurrency list such as ``1,8,64``: distinct whole numbers from 1 to 1024."""
    levels: list[int] = []
    for part in (piece.strip() for piece in text.split(",")):
        if not (part.isascii() and part.isdigit()) or not 1 <= int(part) <= MAX_CONCURRENCY:
            raise ValueError(
                f"{text!r} is not a list of concurrency levels such as 1,8,64 "
                f"(each a whole number from 1 to {MAX_CONCURRENCY})"
            )
        if int(part) in levels:
            raise ValueError(f"{text!r} names concurrency {int(part)} twice")
        levels.append(int(part))
    return tuple(levels)


@dataclass(frozen=True, slots=True)
class Window:
    """Slots from ``start`` (included) to ``end`` (excluded), every ``interval`` minutes."""

    start: time
    end: time
    interval: int

    def __post_init__(self) -> None:
        if self.interval < 1:
            raise ValueError("the interval must be at least one minute")
        if self.start >= self.end:
            raise ValueError(f"the window starts at {self.start:%H:%M}, not before its end")

    def slots(self) -> list[str]:
        first = self.start.hour * 60 + self.start.minute
        last = self.end.hour * 60 + self.end.minute
        return [f"{m // 60:02d}:{m % 60:02d}" for m in range(first, last, self.interval)]


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """One booking request: the ``index``-th of its slot."""

    slot: str
    index: int
    party_size: int

    @property
    def key(self) -> tuple[str, int]:
        return self.slot, self.index


@dataclass(frozen=True, slots=True)
class Plan:
    window: Window
    stress_max: int
    min_party: int
    max_party: int
    seed: int

    def __post_init__(self) -> None:
        if self.stress_max < 1:
            raise ValueError("at least one request a slot")
        if not 1 <= self.min_party <= self.max_party:
            raise ValueError(
                f"party sizes from {self.min_party} to {self.max_party} are not a range"
            )

    def slots(self) -> list[str]:
        return self.window.slots()

    def requests(self) -> list[PlannedRequest]:
        """Every request, slot by slot. A slot's party sizes depend only on the seed and the
        slot, so a longer window or another concurrency asks the same of the slots in common."""
        return [request for slot in self.slots() for request in self.requests_of(slot)]

    def requests_of(self, slot: str) -> Sequence[PlannedRequest]:
        rng = random.Random(f"slot-fill:{self.seed}:{slot}")
        return [
            PlannedRequest(slot, index, rng.randint(self.min_party, self.max_party))
            for index in range(self.stress_max)
        ]
