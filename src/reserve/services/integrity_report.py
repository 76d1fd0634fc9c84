"""What the integrity report says: its checks, their violations, and how those read.

Each check is named here, and ``CHECKS`` says in a line what it looks for; how it looks is
``reserve.services.integrity``. A violation is a line a person reads and the facts to act
on, as JSON: times in the venue's own time zone, owners of allocations by booking
reference or by hold or block id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias
from zoneinfo import ZoneInfo

from reserve.db import integrity as store

Json: TypeAlias = "str | int | float | bool | list[Json] | dict[str, Json] | None"

OVERLAPPING_ALLOCATIONS = "overlapping_allocations"
BAD_WINDOWS = "bad_windows"
BOOKINGS_WITHOUT_TABLES = "bookings_without_tables"
TABLES_OF_FREED_BOOKINGS = "tables_of_freed_bookings"
WINDOWS_DISAGREEING = "windows_disagreeing"
BROKEN_COMBINATIONS = "broken_combinations"
OVER_CAPACITY = "over_capacity"
EXPIRED_HOLDS = "expired_holds"

CHECKS: dict[str, str] = {
    OVERLAPPING_ALLOCATIONS: "two allocations of one table whose windows overlap",
    BAD_WINDOWS: "allocations whose window is null, empty or unbounded",
    BOOKINGS_WITHOUT_TABLES: "confirmed or seated bookings with no table",
    TABLES_OF_FREED_BOOKINGS: "tables still held by cancelled, no-show or pending bookings",
    WINDOWS_DISAGREEING: "allocation windows other than the booking's [start, end + buffer)",
    BROKEN_COMBINATIONS: "combined tables across zones, out of shape, or too many of them",
    OVER_CAPACITY: "parties larger than their tables seat",
    EXPIRED_HOLDS: "holds past their expiry still present (reserve prune removes them)",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing wrong: the restaurant, a line a person reads, and the facts to act on."""

    restaurant: str
    summary: str
    details: dict[str, Json] = field(default_factory=dict)

    def to_json(self) -> dict[str, Json]:
        return {"restaurant": self.restaurant, "summary": self.summary, **self.details}


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    description: str
    violations: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    restaurants: tuple[str, ...]
    checks: tuple[CheckResult, ...]
    checked_at: datetime

    @property
    def violations(self) -> int:
        """How many violations, over every check."""
        return sum(len(check.violations) for check in self.checks)

    @property
    def ok(self) -> bool:
        return self.violations == 0

    def check(self, name: str) -> CheckResult:
        return next(check for check in self.checks if check.name == name)

    def to_json(self) -> dict[str, Json]:
        return {
            "restaurants": list(self.restaurants),
            "checked_at": self.checked_at.isoformat(),
            "checks": {
                check.name: {
                    "ok": check.ok,
                    "count": len(check.violations),
                    "violations": [violation.to_json() for violation in check.violations],
                }
                for check in self.checks
            },
            "violations": self.violations,
        }


# --- how violations read ---------------------------------------------------------------------


def owner_json(owner: store.Owner) -> dict[str, Json]:
    """What owns an allocation: a booking (by reference), a hold or a block (by id)."""
    if owner.booking_id is not None:
        return {
            "owner": "booking",
            "booking": owner.reference,
            "booking_id": str(owner.booking_id),
            "status": owner.status,
        }
    if owner.hold_id is not None:
        return {"owner": "hold", "hold_id": str(owner.hold_id)}
    if owner.block_id is not None:
        return {"owner": "block", "block_id": str(owner.block_id)}
    return {"owner": None}


def owner_text(owner: dict[str, Json]) -> str:
    kind = owner["owner"]
    if kind == "booking":
        return f"booking {owner['booking']}"
    if kind is None:
        return "an allocation with no owner"
    return f"{kind} {str(owner[f'{kind}_id'])[:8]}"


def booking_json(booking: store.BookingRecord, tz: ZoneInfo) -> dict[str, Json]:
    return {
        "booking": booking.reference,
        "booking_id": str(booking.id),
        "status": booking.status,
        "party_size": booking.party_size,
        "start_at": booking.start_at.astimezone(tz).isoformat(),
        "end_at": booking.end_at.astimezone(tz).isoformat(),
    }


def window_json(window: store.Span | None, tz: ZoneInfo) -> dict[str, Json] | None:
    """A window as JSON: its ends in the venue's time (None where unbounded); None for no
    window or an empty one."""
    if window is None or window.empty:
        return None
    return {
        "start": None if window.lower is None else window.lower.astimezone(tz).isoformat(),
        "end": None if window.upper is None else window.upper.astimezone(tz).isoformat(),
        "bounds": window.bounds,
    }


def when_text(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%Y-%m-%d %H:%M}"


def span_text(window: store.Span | None, tz: ZoneInfo, *, bounds: bool = False) -> str:
    """``2026-12-07 19:00-21:05`` in the venue's time (the date again when it ends on another)."""
    if window is None:
        return "(no window)"
    if window.empty:
        return "(empty)"
    start = "-inf" if window.lower is None else when_text(window.lower, tz)
    if window.upper is None:
        end = "+inf"
    elif window.lower is not None and window.lower.astimezone(tz).date() == (
        window.upper.astimezone(tz).date()
    ):
        end = f"{window.upper.astimezone(tz):%H:%M}"
    else:
        end = when_text(window.upper, tz)
    text = f"{start}-{end}"
    return f"{window.bounds[0]}{text}{window.bounds[1]}" if bounds else text
