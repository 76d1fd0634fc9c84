"""A booking as an iCalendar file (RFC 5545), for the guest's own calendar."""

from __future__ import annotations

from datetime import UTC, datetime

from reserve.domain.booking import Booking, Status
from reserve.domain.venue import Venue

_STATUS = {Status.PENDING: "TENTATIVE", Status.CANCELLED: "CANCELLED"}


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Lines of at most 75 octets, continued with a leading space (RFC 5545 3.1)."""
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return [out[0], *(" " + rest for rest in out[1:])]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def booking_calendar(booking: Booking, venue: Venue, host: str, now: datetime) -> str:
    people = "person" if booking.party_size == 1 else "people"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//reserve//booking//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{booking.id}@{host}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(booking.start_at)}",
        f"DTEND:{_utc(booking.end_at)}",
        f"SUMMARY:{_escape(f'Table for {booking.party_size} at {venue.name}')}",
        f"LOCATION:{_escape(venue.name)}",
        "DESCRIPTION:"
        + _escape(
            f"Booking {booking.reference}: {booking.party_size} {people}, "
            f"under {booking.guest.name}."
        ),
        f"STATUS:{_STATUS.get(booking.status, 'CONFIRMED')}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(part + "\r\n" for line in lines for part in _fold(line))
