"""Demand records in and out of the database: one row per booking request, whatever its
answer (``reserve.domain.demand``).

Every function runs in the caller's transaction, already scoped to the restaurant.

What learning reads leaves out requests answered ``not_offered``: a time the venue does not
offer that party (outside its hours, inside its lead time, beyond its horizon, or a party no
table can seat) is demand no table could ever serve, so it says nothing about what the
day's tables will be asked for. ``history`` and ``requests_seen`` leave out the same rows,
so the requests seen during a day are counted as the forecast counted them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Literal
from uuid import UUID

from reserve.db.database import Connection
from reserve.domain.demand import Asked, Outcome

Kind = Literal["booking", "hold"]  # what was asked for: a booking, or a hold before one


def record(
    conn: Connection,
    restaurant_id: UUID,
    *,
    received_at: datetime,
    service_date: date,
    local_time: time,
    party_size: int,
    kind: Kind,
    source: str,
    outcome: Outcome,
    booking_id: UUID | None = None,
) -> None:
    """Record one request. Nothing is read back, so in pipeline mode it goes out with the
    transaction's next round trip."""
    conn.execute(
        """
        INSERT INTO demand_requests (restaurant_id, received_at, service_date, weekday,
            local_time, party_size, kind, source, outcome, booking_id)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            restaurant_id,
            received_at,
            service_date,
            service_date.weekday(),
            local_time,
            party_size,
            kind,
            str(source),
            outcome.value,
            booking_id,
        ),
    )


def history(conn: Connection, restaurant_id: UUID, since: date, until: date) -> list[Asked]:
    """The requests recorded for service dates in ``[since, until)``, except those answered
    ``not_offered``, in one read of the ``demand_requests_day`` index."""
    rows = conn.execute(
        """
        SELECT service_date, local_time, party_size FROM demand_requests
         WHERE restaurant_id = %s AND service_date >= %s AND service_date < %s
           AND outcome <> 'not_offered'
        """,
        (restaurant_id, since, until),
    ).fetchall()
    return [Asked(row["service_date"], row["local_time"], row["party_size"]) for row in rows]


def requests_seen(conn: Connection, restaurant_id: UUID, day: date) -> int:
    """How many requests have been recorded for service date ``day``, except those answered
    ``not_offered`` (as ``history`` leaves them out)."""
    row = conn.execute(
        """
        SELECT count(*) AS seen FROM demand_requests
         WHERE restaurant_id = %s AND service_date = %s AND outcome <> 'not_offered'
        """,
        (restaurant_id, day),
    ).fetchone()
    return 0 if row is None else int(row["seen"])
