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
from reserve.db.restaurants import could_be_slug
from reserve.domain.booking import Booking, Guest, Source, Status


@dataclass(frozen=True, slots=True)
class Recorded:
    """What an earlier request with the key was answered, and who asked."""

    request_hash: bytes
    booking: Booking
    made_by: str | None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A request's entry into its restaurant with its key: the restaurant's id and version,
    whether this transaction holds the key, and what it was answered before."""

    restaurant_id: UUID
    version: datetime
    held: bool
    earlier: Recorded | None


def enter_and_claim(conn: Connection, slug: str, key: str) -> Claimed | None:
    """Scope the transaction to the restaurant named ``slug`` (as ``restaurants.enter``),
    claim an idempotency key (its keyed hash, as stored) there for this transaction, and
    read what it was answered before; None for an unknown slug.

    Two statements, in one round trip in pipeline mode. The lookup is the second, so its
    snapshot shows whatever the previous holder of the key committed; it finds the
    restaurant as the first statement scoped the transaction to it. ``held`` is False
    while another request holds the key.
    """
    if not could_be_slug(slug):
        return None
    entered = conn.execute(
        """
        SELECT e.restaurant_id, e.version,
               pg_try_advisory_xact_lock(hashtextextended(
                   'reserve:idempotency:' || e.restaurant_id || ':' || %s, 0)) AS locked
          FROM reserve_enter(%s) AS e
        """,
        (key, slug),
    )
    lookup = conn.execute(
        "SELECT request_hash, result FROM booking_confirmation_results"
        " WHERE restaurant_id = nullif(current_setting('reserve.restaurant_id', true), '')::uuid"
        " AND idempotency_key = %s",
        (key,),
    )
    row = entered.fetchone()
    if row is None:
        return None
    earlier = lookup.fetchone() if row["locked"] else None
    recorded = None
    if earlier is not None:
        result = earlier["result"]
        recorded = Recorded(bytes(earlier["request_hash"]), _decoded(result), result.get("made_by"))
    return Claimed(row["restaurant_id"], row["version"], bool(row["locked"]), recorded)


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
