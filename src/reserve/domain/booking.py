"""The booking lifecycle: statuses, the transitions between them, and references.

    pending ──▶ confirmed ──▶ seated ──▶ completed
       │            │  ▲
       ▼            ▼  │ (undo)
    cancelled ◀─────┘  no_show

``completed`` and ``cancelled`` are final. Confirmed and seated bookings hold tables;
cancelling or a no-show frees them; completing early frees them from that moment, and the
record of where the party sat stays. Seating and no-shows respect the clock: a party is
seated from the venue's ``seat_early_minutes`` before its start, and is a no-show only from
``no_show_grace_minutes`` after it.

Tables may change without a transition: staff move a booking to tables they choose (which
pins them), and pooling moves an unpinned confirmed booking's tables to let another party
in. Each change is a ``TableMove`` in the booking's history.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID

from reserve.domain.errors import InvalidTransition, TooEarly
from reserve.domain.venue import Venue


class Status(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    SEATED = "seated"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class Source(StrEnum):
    WEB = "web"
    PHONE = "phone"
    WALK_IN = "walk_in"
    STAFF = "staff"
    LOAD_TEST = "load_test"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.CONFIRMED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.SEATED, Status.CANCELLED, Status.NO_SHOW}),
    Status.SEATED: frozenset({Status.COMPLETED}),
    Status.NO_SHOW: frozenset({Status.CONFIRMED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
}

# Statuses whose booking occupies tables.
SEATING = frozenset({Status.CONFIRMED, Status.SEATED})
# Statuses whose time and size a guest may still change.
CHANGEABLE = frozenset({Status.PENDING, Status.CONFIRMED})

# Letters and digits that cannot be misread for one another on a phone call or a receipt.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Guest:
    name: str
    email: str | None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Booking:
    """A booking as it stands: times in the venue's zone, tables by label (sorted)."""

    id: UUID
    reference: str
    restaurant: str  # the venue's slug
    status: Status
    party_size: int
    day: date
    local_time: time
    start_at: datetime
    end_at: datetime
    tables: tuple[str, ...]
    zone: str | None
    guest: Guest
    notes: str
    source: Source
    created_at: datetime
    updated_at: datetime
    pending_reason: str | None = None  # "approval" or "allocation", while pending
    # Staff chose the tables by hand: pooling leaves them where they are.
    tables_pinned: bool = False


@dataclass(frozen=True, slots=True)
class Transition:
    """One step of a booking's history: from a status (None when it was made) to another,
    by whom (``Caller.actor``), when."""

    from_status: Status | None
    to_status: Status
    actor: str
    at: datetime


# How a booking's history names the allocator when it moves a booking's tables to let
# another party in.
ALLOCATOR_ACTOR = "allocator"


@dataclass(frozen=True, slots=True)
class TableMove:
    """A booking's tables changed while its time and party stayed: from which tables to
    which (sorted labels, as they were called then), by whom (``Caller.actor``, or
    ``ALLOCATOR_ACTOR``), when."""

    booking_id: UUID
    from_tables: tuple[str, ...]
    to_tables: tuple[str, ...]
    actor: str
    at: datetime


# A booking's history: its transitions and table moves, in the order they happened.
HistoryEntry = Transition | TableMove


def check_transition(current: Status, wanted: Status) -> None:
    if wanted not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (it is final)"
        raise InvalidTransition(
            f"a {current} booking cannot become {wanted}; it can become: {allowed}"
        )


def check_transition_time(booking: Booking, wanted: Status, now: datetime, venue: Venue) -> None:
    """Refuse seating a party before the venue's ``seat_early_minutes`` ahead of its start,
    and a no-show before its start plus ``no_show_grace_minutes`` (``TooEarly``). Other
    changes (cancelling, undoing a no-show, completing) may happen at any time."""
    if wanted is Status.SEATED:
        minutes, verb, relation = venue.seat_early_minutes, "seated", "before"
        allowed_from = booking.start_at - timedelta(minutes=minutes)
    elif wanted is Status.NO_SHOW:
        minutes, verb, relation = venue.no_show_grace_minutes, "marked a no-show", "after"
        allowed_from = booking.start_at + timedelta(minutes=minutes)
    else:
        return
    if now < allowed_from:
        zone = booking.start_at.tzinfo
        raise TooEarly(
            f"the booking for {booking.guest.name} can be {verb} from "
            f"{_when(allowed_from.astimezone(zone), now.astimezone(zone))} "
            f"({minutes} minutes {relation} its start at {booking.start_at:%H:%M})"
        )


def _when(instant: datetime, now: datetime) -> str:
    """A moment as staff read it: the time, and the date too when it is not today."""
    if instant.date() == now.date():
        return f"{instant:%H:%M}"
    return f"{instant:%H:%M} on {instant.date().isoformat()}"


def new_reference() -> str:
    """A short reference a guest can read out: 8 characters, 40 bits of randomness."""
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
