"""A history of booking requests and the checker that holds the database to it.

Each request is recorded as the client knows it: **ok** (201 or 202 with the booking),
**failed** (a definite refusal: 409 ``no-availability``, 422) or **unknown** (no answer in
time, a connection broken, 409 ``idempotency-key-in-use``, any 5xx: it may or may not have
been done). Every unknown request is sent again with its own key and body until it has a
definite answer (``resolve``). The checker then compares the history with the bookings the
database holds (``stored_bookings``, read as the schema's owner) and names every booking that
went missing or changed, every key that booked twice, and every booking no request accounts
for (``check``).

The fault test and its negative control both run exactly these functions.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from reserve.db.database import Connection

OK, FAILED, UNKNOWN = "ok", "failed", "unknown"
# A booking acknowledged as pending may be confirmed since by the background allocator, and
# be given its tables then; any other change of status is a change.
MAY_BECOME = {"pending": {"pending", "confirmed"}}


@dataclass
class Attempt:
    """One request and what its client knows of it; ``tries`` counts the retries too."""

    key: str
    body: dict[str, Any]
    phase: str
    outcome: str = UNKNOWN
    answer: str = ""  # the status and problem type, or the transport error
    booking: dict[str, Any] | None = None
    replayed: bool = False
    tries: int = 0
    unknown_at_first: bool = False


def send(client: httpx.Client, slug: str, attempt: Attempt) -> Attempt:
    """POST the booking once with the attempt's key and body; its outcome, as known now."""
    attempt.tries += 1
    try:
        response = client.post(
            f"/v1/restaurants/{slug}/bookings",
            json=attempt.body,
            headers={"Idempotency-Key": attempt.key},
        )
    except httpx.TransportError as error:
        attempt.outcome, attempt.answer = UNKNOWN, type(error).__name__
        return attempt
    attempt.outcome, attempt.answer = classify(response)
    if attempt.outcome == OK:
        attempt.booking = response.json()
        attempt.replayed = response.headers.get("Idempotent-Replayed") == "true"
    return attempt


def classify(response: httpx.Response) -> tuple[str, str]:
    """The outcome a response tells the client, and a short answer to tally."""
    status = response.status_code
    kind = ""
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        kind = str(response.json().get("type", ""))
    answer = f"{status} {kind}".strip()
    if status in (201, 202):
        return OK, answer
    if (status == 409 and kind == "no-availability") or status == 422:
        return FAILED, answer
    # In use: its first attempt still runs. 429 and 5xx: not done, as far as the server knows.
    return UNKNOWN, answer


def resolve(
    client: httpx.Client, slug: str, history: list[Attempt], within: float
) -> list[Attempt]:
    """Retry every unknown attempt with its key and body until it has a definite answer, for
    up to ``within`` seconds; those still unknown then."""
    deadline = time.monotonic() + within
    pending = [attempt for attempt in history if attempt.outcome == UNKNOWN]
    for attempt in pending:
        attempt.unknown_at_first = True
    while pending and time.monotonic() < deadline:
        for attempt in pending:
            send(client, slug, attempt)
        pending = [attempt for attempt in pending if attempt.outcome == UNKNOWN]
        if pending:
            time.sleep(0.2)
    return pending


@dataclass(frozen=True)
class Stored:
    """A booking as the database holds it."""

    id: str
    reference: str
    status: str
    party_size: int
    day: date
    time: str
    guest_email: str
    tables: tuple[str, ...]


def stored_bookings(conn: Connection, slug: str) -> list[Stored]:
    """Every booking of the restaurant, whatever its day or status, with its tables; read as
    the schema's owner, whom row-level security does not hide rows from."""
    rows = conn.execute(
        """
        SELECT b.id, b.reference, b.status, b.party_size, b.service_date, b.local_time,
               b.guest_email,
               coalesce(array_agg(t.label ORDER BY t.label)
                        FILTER (WHERE t.label IS NOT NULL), '{}') AS tables
          FROM bookings b
          JOIN restaurants r ON r.id = b.restaurant_id
          LEFT JOIN allocations a ON a.restaurant_id = b.restaurant_id AND a.booking_id = b.id
          LEFT JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
         WHERE r.slug = %s
         GROUP BY b.restaurant_id, b.id
        """,
        (slug,),
    ).fetchall()
    return [
        Stored(
            id=str(row["id"]),
            reference=row["reference"],
            status=row["status"],
            party_size=row["party_size"],
            day=row["service_date"],
            time=row["local_time"].strftime("%H:%M"),
            guest_email=row["guest_email"] or "",
            tables=tuple(row["tables"]),
        )
        for row in rows
    ]


def overlapping_allocations(conn: Connection, slug: str) -> int:
    """Pairs of allocations of one table whose windows overlap (the constraint forbids any)."""
    row = conn.execute(
        """
        SELECT count(*) AS n
          FROM allocations a
          JOIN allocations b ON b.restaurant_id = a.restaurant_id AND b.table_id = a.table_id
                            AND a.id < b.id AND a.occupied && b.occupied
          JOIN restaurants r ON r.id = a.restaurant_id
         WHERE r.slug = %s
        """,
        (slug,),
    ).fetchone()
    assert row is not None
    return int(row["n"])


@dataclass
class Findings:
    """What the database holds that the history says it should not, or lacks."""

    missing: list[str] = field(default_factory=list)  # ids acknowledged, not stored
    changed: list[str] = field(default_factory=list)  # how a stored booking differs
    booked_twice: list[str] = field(default_factory=list)  # keys with more than one booking
    unaccounted: list[str] = field(default_factory=list)  # ids no acknowledgement names
    unresolved: list[str] = field(default_factory=list)  # keys still unknown
    acknowledged: int = 0  # distinct keys that ended ok
    stored: int = 0

    @property
    def clean(self) -> bool:
        found = (self.missing, self.changed, self.booked_twice, self.unaccounted, self.unresolved)
        return self.acknowledged == self.stored and not any(found)

    def __str__(self) -> str:
        lines = [f"{self.acknowledged} keys acknowledged, {self.stored} bookings stored"]
        for name in ("missing", "changed", "booked_twice", "unaccounted", "unresolved"):
            found = getattr(self, name)
            if found:
                lines.append(f"{name} ({len(found)}): {found[:10]}")
        return "\n".join(lines)


def check(history: list[Attempt], stored: list[Stored]) -> Findings:
    """Hold ``stored`` to ``history``: every acknowledged booking there and as acknowledged
    (id, party, day, time, status, tables, and what its request asked for), one booking at
    most per key, and none that no acknowledgement names.

    A request's guest email is its own (the key is in it), so a booking made twice for one
    key shows as two stored bookings of one email, whichever of them was acknowledged."""
    findings = Findings(stored=len(stored))
    by_id = {booking.id: booking for booking in stored}
    acknowledged: dict[str, str] = {}  # booking id -> key
    for attempt in history:
        if attempt.outcome == UNKNOWN:
            findings.unresolved.append(attempt.key)
        if attempt.outcome != OK or attempt.booking is None:
            continue
        booking_id = str(attempt.booking["id"])
        if acknowledged.setdefault(booking_id, attempt.key) != attempt.key:
            findings.booked_twice.append(f"{booking_id} acknowledged to two keys")
        found = by_id.get(booking_id)
        if found is None:
            findings.missing.append(booking_id)
            continue
        findings.changed.extend(_differences(attempt, found))
    findings.acknowledged = len(set(acknowledged.values()))
    emails = Counter(booking.guest_email for booking in stored)
    findings.booked_twice.extend(
        f"{email}: {count} bookings" for email, count in emails.items() if count > 1
    )
    findings.unaccounted = [
        f"{booking.id} ({booking.guest_email}, {booking.status})"
        for booking in stored
        if booking.id not in acknowledged
    ]
    return findings


def _differences(attempt: Attempt, found: Stored) -> list[str]:
    assert attempt.booking is not None
    told = attempt.booking
    asked = attempt.body
    expected = {
        "reference": (told["reference"], found.reference),
        "party_size": (told["party_size"], found.party_size),
        "date": (told["date"], found.day.isoformat()),
        "time": (told["time"], found.time),
        "asked party_size": (asked["party_size"], found.party_size),
        "asked date": (asked["date"], found.day.isoformat()),
        "asked time": (asked["time"], found.time),
        "guest": (asked["guest"]["email"], found.guest_email),
    }
    if found.status != told["status"]:
        expected["status"] = (told["status"], found.status)
        if found.status in MAY_BECOME.get(told["status"], set()):
            del expected["status"]  # confirmed since, and seated at tables then
    elif tuple(sorted(told["tables"])) != found.tables:
        expected["tables"] = (sorted(told["tables"]), list(found.tables))
    return [
        f"{found.id} {name}: acknowledged {was!r}, stored {now!r}"
        for name, (was, now) in expected.items()
        if was != now
    ]
