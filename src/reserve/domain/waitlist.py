"""The waitlist: parties waiting at the host stand for a table to come free.

    waiting ──▶ seated     (a walk-in booking now: ``seated_booking_id``)
       │
       └─────▶ removed    (they left, or staff took them off)

``seated`` and ``removed`` are final; ``ended_at`` says when. A host quotes a wait when
the party joins (``quoted_wait_minutes``, optional); the list shows how long each party
has waited and whether that is past the quote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from reserve.domain.errors import InvalidRequest, InvalidTransition

# As a booking's guest: DESIGN section 6's limits (the schema's CHECKs repeat them).
NAME_LENGTH = (1, 120)
PHONE_LENGTH = (7, 30)
MAX_PARTY_SIZE = 1000
MAX_QUOTED_WAIT_MINUTES = 600
MAX_NOTES_LENGTH = 500


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    SEATED = "seated"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class WaitlistEntry:
    """A party on the list; ``added_at`` in the venue's zone."""

    id: UUID
    name: str
    phone: str | None
    party_size: int
    quoted_wait_minutes: int | None
    notes: str
    added_at: datetime
    status: WaitlistStatus = WaitlistStatus.WAITING
    seated_booking_id: UUID | None = None
    ended_at: datetime | None = None

    def waited(self, now: datetime) -> int:
        """Whole minutes the party has waited by ``now`` (or did wait, once seated or
        removed); never negative, whatever the clocks say."""
        until = now if self.ended_at is None else self.ended_at
        return max(0, int((until - self.added_at) // timedelta(minutes=1)))

    def over_quote(self, now: datetime) -> bool:
        """The party has waited longer than it was told (never, without a quote)."""
        if self.quoted_wait_minutes is None:
            return False
        until = now if self.ended_at is None else self.ended_at
        return until - self.added_at > timedelta(minutes=self.quoted_wait_minutes)

    def check_waiting(self, wanted: WaitlistStatus) -> None:
        """Only a party still waiting can be seated or removed."""
        if self.status is not WaitlistStatus.WAITING:
            raise InvalidTransition(
                f"this party was already {self.status}; it cannot be {wanted} now"
            )


def new_entry(
    name: str,
    party_size: int,
    added_at: datetime,
    *,
    phone: str | None = None,
    quoted_wait_minutes: int | None = None,
    notes: str = "",
) -> WaitlistEntry:
    """A party joining the list, checked against the limits; the name and phone are
    stripped, and a blank phone is none. ``InvalidRequest`` names every field at fault."""
    name = name.strip()
    phone = (phone or "").strip() or None
    problems: list[tuple[str, str]] = []
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1]:
        problems.append(("name", f"a name of {NAME_LENGTH[0]} to {NAME_LENGTH[1]} characters"))
    if phone is not None and not PHONE_LENGTH[0] <= len(phone) <= PHONE_LENGTH[1]:
        problems.append(
            ("phone", f"a phone number of {PHONE_LENGTH[0]} to {PHONE_LENGTH[1]} characters")
        )
    if not 1 <= party_size <= MAX_PARTY_SIZE:
        problems.append(("party_size", f"a party of 1 to {MAX_PARTY_SIZE}"))
    if quoted_wait_minutes is not None and not 0 <= quoted_wait_minutes <= MAX_QUOTED_WAIT_MINUTES:
        problems.append(
            ("quoted_wait_minutes", f"a quoted wait of 0 to {MAX_QUOTED_WAIT_MINUTES} minutes")
        )
    if len(notes) > MAX_NOTES_LENGTH:
        problems.append(("notes", f"notes of at most {MAX_NOTES_LENGTH} characters"))
    if problems:
        detail = "the waitlist needs " + "; ".join(wanted for _, wanted in problems)
        raise InvalidRequest(detail, fields=[field for field, _ in problems])
    return WaitlistEntry(
        id=uuid4(),
        name=name,
        phone=phone,
        party_size=party_size,
        quoted_wait_minutes=quoted_wait_minutes,
        notes=notes,
        added_at=added_at,
    )
