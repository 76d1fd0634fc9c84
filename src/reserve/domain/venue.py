"""A venue as the domain sees it: zones, tables, adjacency, services and opening times.

These are plain, immutable values. Documents (``domain.venue_document``) turn them into
and out of the TOML a restaurant edits; repositories turn them into and out of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

# A venue that does not say: seat a party from half an hour before its start; a no-show from
# a quarter of an hour after it.
DEFAULT_SEAT_EARLY_MINUTES = 30
DEFAULT_NO_SHOW_GRACE_MINUTES = 15


@dataclass(frozen=True, slots=True)
class Zone:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Table:
    label: str
    zone: str
    capacity: int
    min_party: int
    max_party: int
    category: str = "dining"
    seating: str = "standard"
    combinable: bool = True
    active: bool = True


@dataclass(frozen=True, slots=True)
class TurnBand:
    """Parties of up to ``max_party_size`` guests stay ``minutes``."""

    max_party_size: int
    minutes: int


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    turn_bands: tuple[TurnBand, ...]

    def turn_minutes(self, party_size: int) -> int:
        """The turn time of a party; a party above the last band uses the last band."""
        for band in self.turn_bands:
            if party_size <= band.max_party_size:
                return band.minutes
        return self.turn_bands[-1].minutes


@dataclass(frozen=True, slots=True)
class ServicePeriod:
    """A service offered on some ISO weekdays (1 = Monday) from ``start`` until ``end``.

    ``end`` of ``None`` means midnight at the end of the day.
    """

    service: str
    weekdays: tuple[int, ...]
    start: time
    end: time | None


@dataclass(frozen=True, slots=True)
class Closure:
    day: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Venue:
    slug: str
    name: str
    timezone: str
    slot_interval_minutes: int = 15
    hold_ttl_seconds: int = 120
    buffer_minutes: int = 0
    max_online_party_size: int = 8
    booking_horizon_days: int = 90
    lead_time_minutes: int = 0
    # Staff may seat a party from this long before its start, and mark it a no-show only
    # this long after its start.
    seat_early_minutes: int = DEFAULT_SEAT_EARLY_MINUTES
    no_show_grace_minutes: int = DEFAULT_NO_SHOW_GRACE_MINUTES
    max_covers_per_slot: int | None = None
    # Origins (``https://host[:port]``, lower case) of the venue's own website that may
    # frame its booking page: the pages' Content-Security-Policy frame-ancestors.
    embed_origins: tuple[str, ...] = ()
    zones: tuple[Zone, ...] = ()
    tables: tuple[Table, ...] = ()
    adjacency: frozenset[frozenset[str]] = field(default_factory=frozenset)
    services: tuple[Service, ...] = ()
    periods: tuple[ServicePeriod, ...] = ()
    closures: tuple[Closure, ...] = ()

    @property
    def seats(self) -> int:
        return sum(table.capacity for table in self.tables if table.active)

    def adjacent_pairs(self) -> list[tuple[str, str]]:
        """Every adjacent pair once, each ordered by label, the list sorted."""
        pairs: list[tuple[str, str]] = []
        for pair in self.adjacency:
            first, second = sorted(pair)
            pairs.append((first, second))
        return sorted(pairs)
