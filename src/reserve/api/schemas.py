"""What the API sends and receives."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from reserve.domain.availability import SlotAvailability
from reserve.domain.booking import Booking, HistoryEntry, Source, Status, TableMove, Transition
from reserve.domain.venue import Venue
from reserve.domain.waitlist import WaitlistEntry
from reserve.services.blocks import Block
from reserve.services.floor import Occupation, TableChoices, TableDay
from reserve.services.holds import Hold, HoldView


class ZoneOut(BaseModel):
    key: str
    name: str


class TableOut(BaseModel):
    label: str
    zone: str
    capacity: int
    min_party: int
    max_party: int


class ServicePeriodOut(BaseModel):
    service: str
    weekdays: list[int]
    start: str
    end: str


class RestaurantOut(BaseModel):
    slug: str
    name: str
    timezone: str
    slot_interval_minutes: int
    max_online_party_size: int
    booking_horizon_days: int
    zones: list[ZoneOut]
    tables: list[TableOut]
    service_periods: list[ServicePeriodOut]

    @classmethod
    def of(cls, venue: Venue) -> RestaurantOut:
        return cls(
            slug=venue.slug,
            name=venue.name,
            timezone=venue.timezone,
            slot_interval_minutes=venue.slot_interval_minutes,
            max_online_party_size=venue.max_online_party_size,
            booking_horizon_days=venue.booking_horizon_days,
            zones=[ZoneOut(key=zone.key, name=zone.name) for zone in venue.zones],
            tables=[
                TableOut(
                    label=table.label,
                    zone=table.zone,
                    capacity=table.capacity,
                    min_party=table.min_party,
                    max_party=table.max_party,
                )
                for table in venue.tables
                if table.active
            ],
            service_periods=[
                ServicePeriodOut(
                    service=period.service,
                    weekdays=list(period.weekdays),
                    start=f"{period.start:%H:%M}",
                    end="24:00" if period.end is None else f"{period.end:%H:%M}",
                )
                for period in venue.periods
            ],
        )


class Health(BaseModel):
    status: str
    schema_revision: str | None = None


# --- booking ------------------------------------------------------------------------------

# Instants are sent as the service formats them: RFC 3339 with the venue's UTC offset.
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]

# A time of day on the venue's clock, HH:MM.
WallTime = Annotated[
    str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"), Field(examples=["19:30"])
]
# Text PostgreSQL can store: anything but the NUL character.
NO_NUL = r"^[^\x00]*$"
Label = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=NO_NUL)]
PartySize = Annotated[int, Field(ge=1, le=1000, strict=True)]


def clock_time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HoldIn(Strict):
    party_size: PartySize
    date: dt.date
    time: WallTime
    zone: str | None = Field(default=None, max_length=40, pattern=NO_NUL)


class HoldOut(BaseModel):
    id: UUID
    tables: list[str]
    start_at: Instant
    end_at: Instant
    expires_at: Instant
    extensions_left: int = Field(
        ge=0, description="How many more times POST /v1/holds/{id}/extend may extend it."
    )

    @classmethod
    def of(cls, hold: Hold) -> HoldOut:
        return cls(
            id=hold.id,
            tables=list(hold.tables),
            start_at=hold.start_at.isoformat(),
            end_at=hold.end_at.isoformat(),
            expires_at=hold.expires_at.isoformat(),
            extensions_left=hold.extensions_left,
        )


class HoldDetailsOut(HoldOut):
    """A hold as its guest's page needs it: what it holds, for whom, and how long."""

    restaurant: str
    party_size: int
    date: dt.date
    time: str
    expired: bool = Field(description="Past expires_at by the server's clock.")

    @classmethod
    def of_view(cls, hold: HoldView) -> HoldDetailsOut:
        return cls(
            id=hold.id,
            restaurant=hold.restaurant,
            party_size=hold.party_size,
            date=hold.day,
            time=f"{hold.local_time:%H:%M}",
            tables=list(hold.tables),
            start_at=hold.start_at.isoformat(),
            end_at=hold.end_at.isoformat(),
            expires_at=hold.expires_at.isoformat(),
            extensions_left=hold.extensions_left,
            expired=hold.expired,
        )


GuestName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=NO_NUL),
]
Phone = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=7, max_length=30, pattern=r"^[0-9+()./ -]+$"
    ),
]
Notes = Annotated[str, StringConstraints(max_length=500, pattern=NO_NUL)]


class GuestIn(Strict):
    name: GuestName
    email: EmailStr
    phone: Phone | None = None


class GuestPatch(Strict):
    """The guest's details to change; ``"phone": null`` removes the phone."""

    name: GuestName | None = None
    email: EmailStr | None = None
    phone: Phone | None = None


class BookingIn(Strict):
    party_size: PartySize
    date: dt.date
    time: WallTime
    guest: GuestIn
    notes: Notes = ""
    hold_id: UUID | None = None
    zone: str | None = Field(default=None, max_length=40, pattern=NO_NUL)
    source: Source | None = Field(
        default=None, description="Staff only (web for guests): phone, walk_in, staff, load_test."
    )


class GuestOut(BaseModel):
    name: str
    email: str | None
    phone: str | None


class BookingOut(BaseModel):
    id: UUID
    reference: str
    restaurant: str
    status: Status
    party_size: int
    date: dt.date
    time: str
    start_at: Instant
    end_at: Instant
    tables: list[str]
    zone: str | None
    guest: GuestOut
    notes: str
    source: Source
    created_at: Instant
    updated_at: Instant
    pending_reason: str | None = None
    manage_token: str | None = Field(
        default=None, description="Returned once, when the booking is made."
    )

    @classmethod
    def of(cls, booking: Booking, manage_token: str | None = None) -> BookingOut:
        """The booking as its manage token's holder or its restaurant's staff see it."""
        return cls(
            id=booking.id,
            reference=booking.reference,
            restaurant=booking.restaurant,
            status=booking.status,
            party_size=booking.party_size,
            date=booking.day,
            time=f"{booking.local_time:%H:%M}",
            start_at=booking.start_at.isoformat(),
            end_at=booking.end_at.isoformat(),
            tables=list(booking.tables),
            zone=booking.zone,
            guest=GuestOut(
                name=booking.guest.name, email=booking.guest.email, phone=booking.guest.phone
            ),
            notes=booking.notes,
            source=booking.source,
            created_at=booking.created_at.isoformat(),
            updated_at=booking.updated_at.isoformat(),
            pending_reason=booking.pending_reason,
            manage_token=manage_token,
        )


class StaffBookingOut(BookingOut):
    """A booking as its restaurant's staff see it: with whether its tables are pinned."""

    tables_pinned: bool = Field(
        description="Staff chose the tables by hand: pooling never moves them (until unpinned, "
        "or a change of time or party seats the booking anew)."
    )

    @classmethod
    def of(cls, booking: Booking, manage_token: str | None = None) -> StaffBookingOut:
        shared = BookingOut.of(booking, manage_token).model_dump()
        return cls(**shared, tables_pinned=booking.tables_pinned)


class BookingPatch(Strict):
    """What to change: a new size, date or time seats the booking anew; the notes and the
    guest's details change as they are."""

    party_size: PartySize | None = None
    date: dt.date | None = None
    time: WallTime | None = None
    notes: Notes | None = None
    guest: GuestPatch | None = None


class StatusIn(Strict):
    status: Status


class TablesIn(Strict):
    tables: list[Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=NO_NUL)]] = (
        Field(min_length=1, max_length=5)
    )


class WalkInIn(Strict):
    """A party seated now: on ``tables`` when staff chose them, else where the allocator
    would seat it; the name defaults to "Walk-in"."""

    party_size: PartySize
    tables: list[Label] | None = Field(default=None, min_length=1, max_length=5)
    name: GuestName | None = None
    phone: Phone | None = None


class TransitionOut(BaseModel):
    from_status: Status | None = Field(serialization_alias="from")
    to: Status
    actor: str
    at: Instant

    @classmethod
    def of(cls, transition: Transition) -> Self:
        return cls(
            from_status=transition.from_status,
            to=transition.to_status,
            actor=transition.actor,
            at=transition.at.isoformat(),
        )


class StatusEntryOut(TransitionOut):
    """A change of status in a booking's history."""

    kind: Literal["status"] = "status"


class MoveEntryOut(BaseModel):
    """A move of a booking's tables in its history: from which to which (labels, sorted),
    by whom (``allocator`` when pooling moved them), when."""

    kind: Literal["tables"] = "tables"
    from_tables: list[str]
    to_tables: list[str]
    actor: str
    at: Instant

    @classmethod
    def of(cls, move: TableMove) -> MoveEntryOut:
        return cls(
            from_tables=list(move.from_tables),
            to_tables=list(move.to_tables),
            actor=move.actor,
            at=move.at.isoformat(),
        )


HistoryEntryOut = Annotated[StatusEntryOut | MoveEntryOut, Field(discriminator="kind")]


class HistoryOut(BaseModel):
    booking_id: UUID
    transitions: list[TransitionOut] = Field(description="The changes of status, in time order.")
    entries: list[HistoryEntryOut] = Field(
        description="The changes of status and the moves of its tables, in time order."
    )

    @classmethod
    def of(cls, booking_id: UUID, history: list[HistoryEntry]) -> HistoryOut:
        return cls(
            booking_id=booking_id,
            transitions=[TransitionOut.of(e) for e in history if isinstance(e, Transition)],
            entries=[
                MoveEntryOut.of(entry) if isinstance(entry, TableMove) else StatusEntryOut.of(entry)
                for entry in history
            ],
        )


class TakenOut(BaseModel):
    """What else takes a table during a booking's window."""

    kind: str = Field(description="booking, hold or block")
    id: UUID
    start_at: Instant
    end_at: Instant
    party_size: int | None
    status: Status | None
    guest_name: str | None

    @classmethod
    def of(cls, taken: Occupation) -> TakenOut:
        return cls(
            kind=taken.kind,
            id=taken.owner_id,
            start_at=taken.start_at.isoformat(),
            end_at=taken.end_at.isoformat(),
            party_size=taken.party_size,
            status=None if taken.status is None else Status(taken.status),
            guest_name=taken.guest_name,
        )


class TableChoiceOut(BaseModel):
    label: str
    zone: str
    capacity: int
    current: bool = Field(description="The booking sits at this table now.")
    taken_by: TakenOut | None = Field(description="What else takes it then; null when free.")


class TableChoicesOut(BaseModel):
    booking_id: UUID
    suggested: list[str] | None = Field(
        description="The tables the allocator would choose; null when none are free."
    )
    ways: list[list[str]] = Field(
        description="Free ways to seat the party (tables or combinations), the suggestion first."
    )
    tables: list[TableChoiceOut]

    @classmethod
    def of(cls, booking_id: UUID, choices: TableChoices) -> TableChoicesOut:
        return cls(
            booking_id=booking_id,
            suggested=None if choices.suggested is None else list(choices.suggested),
            ways=[list(way) for way in choices.ways],
            tables=[
                TableChoiceOut(
                    label=table.label,
                    zone=table.zone,
                    capacity=table.capacity,
                    current=table.current,
                    taken_by=None if table.taken_by is None else TakenOut.of(table.taken_by),
                )
                for table in choices.tables
            ],
        )


class BlockIn(Strict):
    tables: list[Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=NO_NUL)]] = (
        Field(min_length=1, max_length=200)
    )
    date: dt.date
    start: WallTime
    end: WallTime
    end_date: dt.date | None = Field(
        default=None, description="The date the block ends, when not its start's date."
    )
    reason: str = Field(default="", max_length=200, pattern=NO_NUL)


class SlotOut(BaseModel):
    time: str
    start_at: Instant
    available: bool

    @classmethod
    def of(cls, slot: SlotAvailability) -> SlotOut:
        return cls(
            time=f"{slot.offered.local_time:%H:%M}",
            start_at=slot.offered.start_at.isoformat(),
            available=slot.available,
        )


class AvailabilityOut(BaseModel):
    date: dt.date
    party_size: int
    slots: list[SlotOut]


class DayBookingsOut(BaseModel):
    date: dt.date
    bookings: list[StaffBookingOut]


class BlockOut(BaseModel):
    id: UUID
    tables: list[str]
    start_at: Instant
    end_at: Instant
    reason: str

    @classmethod
    def of(cls, block: Block) -> BlockOut:
        return cls(
            id=block.id,
            tables=list(block.tables),
            start_at=block.start_at.isoformat(),
            end_at=block.end_at.isoformat(),
            reason=block.reason,
        )


class DayBlocksOut(BaseModel):
    date: dt.date
    blocks: list[BlockOut]


# --- waitlist -----------------------------------------------------------------------------


class WaitlistIn(Strict):
    name: GuestName
    party_size: PartySize
    phone: Phone | None = None
    quoted_wait_minutes: Annotated[int, Field(ge=0, le=600, strict=True)] | None = Field(
        default=None, description="The wait the host told the party, in minutes."
    )
    notes: Notes = ""


class WaitlistEntryOut(BaseModel):
    id: UUID
    name: str
    phone: str | None
    party_size: int
    quoted_wait_minutes: int | None
    notes: str
    added_at: Instant
    waited_minutes: int = Field(ge=0, description="Whole minutes waited so far.")
    over_quote: bool = Field(description="Waited longer than quoted (never without a quote).")

    @classmethod
    def of(cls, entry: WaitlistEntry, now: dt.datetime) -> WaitlistEntryOut:
        return cls(
            id=entry.id,
            name=entry.name,
            phone=entry.phone,
            party_size=entry.party_size,
            quoted_wait_minutes=entry.quoted_wait_minutes,
            notes=entry.notes,
            added_at=entry.added_at.isoformat(),
            waited_minutes=entry.waited(now),
            over_quote=entry.over_quote(now),
        )


class WaitlistOut(BaseModel):
    entries: list[WaitlistEntryOut]


class SeatIn(Strict):
    """Seat the party at ``tables`` (checked as the allocator checks its own), or, without
    them, where the allocator would seat it."""

    tables: list[Label] | None = Field(default=None, min_length=1, max_length=5)


def timeline_body(day: dt.date, tables: list[TableDay]) -> dict[str, Any]:
    """The timeline as JSON: each occupation names its owner by kind (``booking_id``,
    ``hold_id`` or ``block_id``)."""
    return {
        "date": day.isoformat(),
        "tables": [
            {
                "label": table.label,
                "zone": table.zone,
                "capacity": table.capacity,
                "allocations": [
                    {
                        "kind": use.kind,
                        f"{use.kind}_id": str(use.owner_id),
                        "start_at": use.start_at.isoformat(),
                        "end_at": use.end_at.isoformat(),
                        "party_size": use.party_size,
                        "status": use.status,
                        "guest_name": use.guest_name,
                    }
                    for use in table.occupations
                ],
            }
            for table in tables
        ],
    }
