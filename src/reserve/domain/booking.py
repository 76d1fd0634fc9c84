"""The booking lifecycle: statuses, the transitions between them, and references.

    pending ──▶ confirmed ──▶ seated ──▶ completed
       │            │  ▲
       ▼            ▼  │ (undo)
    cancelled ◀─────┘  no_show

``completed`` and ``cancelled`` are final. Confirmed and seated bookings hold tables;
cancelling or a no-show frees them; completing early frees them from that moment.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from uuid import UUID

from reserve.domain.errors import InvalidTransition


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


def check_transition(current: Status, wanted: Status) -> None:
    if wanted not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (it is final)"
        raise InvalidTransition(
            f"a {current} booking cannot become {wanted}; it can become: {allowed}"
        )


def new_reference() -> str:
    """A short reference a guest can read out: 8 characters, 40 bits of randomness."""
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
