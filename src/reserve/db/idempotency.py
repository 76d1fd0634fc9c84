"""Idempotency records: the booking each ``Idempotency-Key`` made, kept with the booking
in its own transaction, so that a retry is answered with what the first request got.

A record keeps a keyed hash of the key (so that reading the table does not let anyone
present it), the booking as it was made as JSON, in the shape the API shows a booking, and
who made it (``made_by``, a key's id; none for a guest). It keeps no manage token: that is
derived again for a retry by the caller who made the booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from reserve.db.database import Connection
from reserve.domain.booking import Booking, Guest, Source, Status


@dataclass(frozen=True, slots=True)
class Recorded:
    """What an earlier request with the key was answered, and who asked."""

    request_hash: bytes
    booking: Booking
    made_by: str | None


def claim_key(conn: Connection, restaurant_id: UUID, key: str) -> tuple[bool, Recorded | None]:
    """Claim an idempotency key (its keyed hash, as stored) for this transaction and read
    what it was answered before.

    ``(False, None)`` while another request holds the key. The lookup is a statement after
    the claim, so its snapshot shows whatever the previous holder committed; in pipeline
    mode the two still go out in one round trip.
    """
    claim = conn.execute(
        "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0)) AS locked",
        (f"reserve:idempotency:{restaurant_id}:{key}",),
    )
    lookup = conn.execute(
        "SELECT request_hash, result FROM booking_confirmation_results"
        " WHERE restaurant_id = %s AND idempotency_key = %s",
        (restaurant_id, key),
    )
    row = claim.fetchone()
    if not (row and row["locked"]):
        return False, None
    earlier = lookup.fetchone()
    if earlier is None:
        return True, None
    result = earlier["result"]
    return True, Recorded(bytes(earlier["request_hash"]), _decoded(result), result.get("made_by"))


def store_result(
    conn: Connection,
    restaurant_id: UUID,
    key: str,
    request_hash: bytes,
    booking: Booking,
    made_by: str | None,
) -> None:
    result = {**_encoded(booking), "made_by": made_by}
    conn.execute(
        "INSERT INTO booking_confirmation_results (restaurant_id, idempotency_key, request_hash,"
        " result, booking_id) VALUES (%s, %s, %s, %s, %s)",
        (restaurant_id, key, request_hash, Jsonb(result), booking.id),
    )


def _encoded(booking: Booking) -> dict[str, Any]:
    return {
        "id": str(booking.id),
        "reference": booking.reference,
        "restaurant": booking.restaurant,
        "status": booking.status.value,
        "party_size": booking.party_size,
        "date": booking.day.isoformat(),
        "time": f"{booking.local_time:%H:%M}",
        "start_at": booking.start_at.isoformat(),
        "end_at": booking.end_at.isoformat(),
        "tables": list(booking.tables),
        "zone": booking.zone,
        "guest": {
            "name": booking.guest.name,
            "email": booking.guest.email,
            "phone": booking.guest.phone,
        },
        "notes": booking.notes,
        "source": booking.source.value,
        "created_at": booking.created_at.isoformat(),
        "updated_at": booking.updated_at.isoformat(),
        "pending_reason": booking.pending_reason,
    }


def _decoded(result: dict[str, Any]) -> Booking:
    guest = result["guest"]
    return Booking(
        id=UUID(result["id"]),
        reference=result["reference"],
        restaurant=result["restaurant"],
        status=Status(result["status"]),
        party_size=result["party_size"],
        day=date.fromisoformat(result["date"]),
        local_time=time.fromisoformat(result["time"]),
        start_at=datetime.fromisoformat(result["start_at"]),
        end_at=datetime.fromisoformat(result["end_at"]),
        tables=tuple(result["tables"]),
        zone=result["zone"],
        guest=Guest(guest["name"], guest["email"], guest["phone"]),
        notes=result["notes"],
        source=Source(result["source"]),
        created_at=datetime.fromisoformat(result["created_at"]),
        updated_at=datetime.fromisoformat(result["updated_at"]),
        pending_reason=result.get("pending_reason"),
    )
