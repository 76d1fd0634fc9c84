"""Availability: for every start time a venue offers a party on a date, would booking it
succeed now? Answered by the booking's own search (free tables, then pooled tables moved, with the
same admission) over the same occupancy a booking would read, so availability and booking
cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from reserve.domain.allocator import Limits, Occupancy, Outlook, Policy, Request, is_available
from reserve.domain.errors import TooFarAhead, TooLate
from reserve.domain.floor import Floor
from reserve.domain.pooling import Placed, Placement, Repack, occupied, place
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


def within_pacing(venue: Venue, covers_starting: int, party_size: int) -> bool:
    """Whether one more party may start in a slot that already has ``covers_starting``
    covers starting in it, under the venue's pacing (``max_covers_per_slot``)."""
    limit = venue.max_covers_per_slot
    return limit is None or covers_starting + party_size <= limit


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
    limits: Limits | None = None,
    covers_by_start: Mapping[datetime, int] | None = None,
    placed: Sequence[Placed] = (),
    repack: Repack | None = None,
    everything: Occupancy | None = None,
) -> list[SlotAvailability]:
    """Every start offered to the party on ``day``, and whether booking it would succeed.

    ``occupancy`` is what stays where it is and ``placed`` the bookings whose tables may
    move (``reserve.domain.pooling``): a start is available when ``place`` would seat the
    party there, by the same search (``repack``) and the same admission (``outlook``,
    ``limits``) as a booking. ``covers_by_start`` (covers of the bookings and holds
    starting at each instant) is needed only when the venue paces its starts.
    ``everything`` is both occupancies together, when the caller has it (``occupied``)."""
    starting = covers_by_start or {}
    if everything is None:
        everything = occupied(occupancy, placed)

    def seats(offered: OfferedTime) -> bool:
        request = request_for(offered, party_size, zone)
        if not placed or not policy.pooling or limits is None:  # nothing can move
            return is_available(floor, everything, request, policy, outlook=outlook, limits=limits)
        found = place(
            floor,
            occupancy,
            placed,
            request,
            policy,
            outlook=outlook,
            limits=limits,
            repack=repack,
            everything=everything,
        )
        return isinstance(found, Placement)

    return [
        SlotAvailability(
            offered,
            bookable_now(venue, offered, now)
            and within_pacing(venue, starting.get(offered.start_at, 0), party_size)
            and seats(offered),
        )
        for offered in offered_times(venue, day, party_size)
    ]


def nearest_free(
    slots: Sequence[SlotAvailability], around: time, count: int
) -> list[SlotAvailability]:
    """Up to ``count`` free starts nearest to ``around`` (earlier first on a tie), in time
    order."""
    wanted = around.hour * 60 + around.minute

    def distance(slot: SlotAvailability) -> tuple[int, int]:
        minute = slot.offered.local_time.hour * 60 + slot.offered.local_time.minute
        return abs(minute - wanted), minute

    free = sorted((slot for slot in slots if slot.available), key=distance)[:count]
    return sorted(free, key=lambda slot: slot.offered.local_time)
