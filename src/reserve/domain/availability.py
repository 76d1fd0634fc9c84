"""Availability: for every start time a venue offers a party on a date, would booking it
succeed now? Answered by the allocator's own free test over the same occupancy a booking
would read, so availability and booking cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from reserve.domain.allocator import Occupancy, Outlook, Policy, Request, is_available
from reserve.domain.errors import TooFarAhead, TooLate
from reserve.domain.floor import Floor
from reserve.domain.timing import OfferedTime, check_booking_window, offered_times
from reserve.domain.venue import Venue


@dataclass(frozen=True, slots=True)
class SlotAvailability:
    offered: OfferedTime
    available: bool


def request_for(offered: OfferedTime, party_size: int, zone: str | None = None) -> Request:
    """The allocator's request for an offered start: its occupied window in epoch seconds."""
    return Request(
        party_size=party_size,
        start=offered.start_at.timestamp(),
        end=offered.occupied_until.timestamp(),
        zone=zone,
    )


def day_occupancy(floor: Floor, windows: Iterable[tuple[str, datetime, datetime]]) -> Occupancy:
    """The allocator's occupancy from the windows taken (table label, start, end)."""
    return Occupancy(
        floor, ((label, start.timestamp(), end.timestamp()) for label, start, end in windows)
    )


def bookable_now(venue: Venue, offered: OfferedTime, now: datetime) -> bool:
    try:
        check_booking_window(venue, offered.start_at, now)
    except (TooLate, TooFarAhead):
        return False
    return True


def availability(
    venue: Venue,
    floor: Floor,
    occupancy: Occupancy,
    day: date,
    party_size: int,
    *,
    policy: Policy,
    now: datetime,
    zone: str | None = None,
    outlook: Outlook | None = None,
) -> list[SlotAvailability]:
    """Every start offered to the party on ``day``, and whether booking it would succeed."""
    return [
        SlotAvailability(
            offered,
            bookable_now(venue, offered, now)
            and is_available(
                floor,
                occupancy,
                request_for(offered, party_size, zone),
                policy,
                outlook=outlook,
            ),
        )
        for offered in offered_times(venue, day, party_size)
    ]
