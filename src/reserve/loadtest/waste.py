"""Seat-waste anomalies: bookings whose tables leave many seats empty.

A booking is an anomaly when its tables leave at least half their seats empty, or when a
way to seat the party with fewer empty seats was free for its window at the moment it was
seated. The second the tool learns from the server after the level: the free ways it offers
staff to move the booking (``client.least_free_waste``). During a level the floor only fills
(nothing is cancelled, and without ``--two-phase`` nothing is given back), so a way free
after the level was free when the booking was made; it may miss a better fit taken since,
never invent one. With ``--two-phase`` a hold given back frees tables that were taken, so
that comparison is not made.

Each anomaly also says what the floor could do at best with one table (from the venue's
tables), so that a party of one at a two-top, the smallest table there is, reads as such.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reserve.loadtest.client import Fit
from reserve.loadtest.log import Record

FIT_CHECK_WITHOUT_HOLDS = "not made with --two-phase: a hold given back frees tables"


@dataclass(frozen=True, slots=True)
class Anomaly:
    slot: str
    request: int
    party_size: int
    tables: tuple[str, ...]
    seats: int
    waste: int
    least_free_waste: int | None  # the fewest empty seats a free way offered; None unknown
    best_alone: Fit | None  # the floor's best single table for the party; None: none fits

    @property
    def half_empty(self) -> bool:
        return half_empty(self.seats, self.waste)

    @property
    def better_fit_free(self) -> bool:
        return self.least_free_waste is not None and self.least_free_waste < self.waste

    @property
    def smallest_fit(self) -> bool:
        """No single table of the floor seats the party with fewer seats empty."""
        return self.best_alone is not None and self.waste <= self.best_alone.waste

    @property
    def why(self) -> str:
        if self.better_fit_free:
            return f"a fit leaving {self.least_free_waste} empty was free"
        if self.smallest_fit:
            return "half empty; no smaller table fits"
        if self.best_alone is None:
            return "half empty; no one table fits"
        return f"half empty; a {self.best_alone.seats}-top can seat {self.party_size}"

    def to_json(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "request": self.request,
            "party_size": self.party_size,
            "tables": list(self.tables),
            "seats": self.seats,
            "seat_waste": self.waste,
            "least_free_waste": self.least_free_waste,
            "least_waste_alone": None if self.best_alone is None else self.best_alone.waste,
            "half_empty": self.half_empty,
            "better_fit_free": self.better_fit_free,
            "smallest_fit": self.smallest_fit,
        }


@dataclass(frozen=True, slots=True)
class Anomalies:
    """A level's anomalies, and whether the better-fit comparison was made (``fit_check``
    None) or why not."""

    found: list[Anomaly]
    fit_check: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": "at least half the booking's seats empty, or more empty seats than the "
            "best way to seat the party that was still free for its window after the level",
            "least_waste_alone": "the fewest seats one table of the floor leaves empty for "
            "the party, combinations aside",
            "fit_check": "made" if self.fit_check is None else self.fit_check,
            "count": len(self.found),
            "bookings": [anomaly.to_json() for anomaly in self.found],
        }


def half_empty(seats: int, waste: int) -> bool:
    return seats > 0 and 2 * waste >= seats


def is_anomaly(record: Record) -> bool:
    """What the live progress counts as a record arrives (the better fits come later)."""
    return _anomaly(record, None, None) is not None


def find_anomalies(
    records: Iterable[Record],
    least_free: Mapping[tuple[str, int], int],
    alone: Callable[[int], Fit | None],
    fit_check: str | None = None,
) -> Anomalies:
    """The anomalies among ``records``' bookings, the most avoidable first: a better fit
    free, then one the floor has a better table for, then the larger share of seats empty,
    then in plan order. ``least_free`` holds, by request key, the fewest empty seats a free
    way offered; ``alone`` is the floor's best single table for a party size."""
    found = [
        anomaly
        for record in records
        if (anomaly := _anomaly(record, least_free.get(record.key), alone(record.party_size)))
        is not None
    ]
    found.sort(
        key=lambda a: (
            not a.better_fit_free,
            a.smallest_fit,
            -a.waste / a.seats,
            a.slot,
            a.request,
        )
    )
    return Anomalies(found, fit_check)


def _anomaly(record: Record, least_free: int | None, alone: Fit | None) -> Anomaly | None:
    if not record.outcome.booked or record.seats is None or record.seat_waste is None:
        return None
    anomaly = Anomaly(
        slot=record.slot,
        request=record.request,
        party_size=record.party_size,
        tables=tuple(record.tables),
        seats=record.seats,
        waste=record.seat_waste,
        least_free_waste=least_free,
        best_alone=alone,
    )
    return anomaly if anomaly.half_empty or anomaly.better_fit_free else None
