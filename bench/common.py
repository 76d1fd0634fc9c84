"""What every benchmark shares: the White Horse, the day it is benchmarked on, and where
results go."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console

import reserve
from reserve.domain.timing import offered_times
from reserve.domain.venue import Venue
from reserve.domain.venue_document import load_venue_toml

# A real Monday (the White Horse opens Monday to Friday), well clear of any clock change.
BENCH_DAY = date(2026, 12, 7)
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Wide enough for the reports' tables when the output is a file or a pipe.
console = Console(width=None if sys.stdout.isatty() else 140)


def white_horse() -> Venue:
    path = Path(reserve.__file__).parent / "venues" / "white-horse.toml"
    return load_venue_toml(path.read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class DayBounds:
    """The sellable day in epoch seconds, as ``Occupancy`` takes it.

    ``closes`` is the end of the last window the day can sell (closing time plus the
    buffer), so that a gap before it counts as dead exactly when no booking fits in it:
    ``shortest_stay`` is likewise the shortest turn time plus the buffer.
    """

    opens: float
    closes: float
    shortest_stay: float

    @property
    def open_seconds(self) -> float:
        return self.closes - self.opens


def day_bounds(venue: Venue, day: date) -> DayBounds:
    offers = [
        offer
        for party_size in range(1, venue.max_online_party_size + 1)
        for offer in offered_times(venue, day, party_size)
    ]
    if not offers:
        raise ValueError(f"{venue.slug} offers no start on {day}")
    shortest_turn = min(band.minutes for service in venue.services for band in service.turn_bands)
    return DayBounds(
        opens=min(offer.start_at.timestamp() for offer in offers),
        closes=max(offer.occupied_until.timestamp() for offer in offers),
        shortest_stay=(shortest_turn + venue.buffer_minutes) * 60.0,
    )


def machine(began: float) -> dict[str, object]:
    """What a result needs said of the run: the Python, the machine, its CPUs and load, and
    how long the run took since ``began`` (``time.perf_counter``)."""
    return {
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "elapsed_seconds": time.perf_counter() - began,
    }


def write_results(name: str, payload: object) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def percent(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0
