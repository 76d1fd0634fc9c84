"""Booking use cases: availability, holds, booking, changes, the floor staff run.

Each use case is one transaction scoped to the venue (``Database.transaction``). Those that
allocate tables serialise per restaurant and service date first (``lock_day``, with a lock
timeout), then purge expired holds, read the day's occupancy with one indexed query,
decide in Python (``reserve.domain``), write, and commit. The exclusion constraint
``allocations_no_overlap`` is the backstop: a 23P01 that still surfaces is answered as
``no-availability``; deadlocks and serialisation failures are retried a few times.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from psycopg import errors as pg

from reserve import metrics
from reserve.db import bookings as store
from reserve.db.database import Connection, Database, scope_to_restaurant
from reserve.domain.allocator import Occupancy, Plan, Request, allocate
from reserve.domain.availability import SlotAvailability, availability, within_pacing
from reserve.domain.booking import (
    CHANGEABLE,
    SEATING,
    Source,
    Status,
    check_transition,
    new_reference,
)
from reserve.domain.errors import (
    Busy,
    Forbidden,
    HoldExpired,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InvalidRequest,
    NoAvailability,
    NotFound,
    PartyTooLarge,
    ReserveError,
    SelectorTimeout,
    Unauthorized,
)
from reserve.domain.timing import OfferedTime, check_booking_window, offered_time
from reserve.services.keys import Principal, Role, hash_key
from reserve.services.venue_state import VenueState, VenueStates

T = TypeVar("T")
Clock = Callable[[], datetime]

RETRIES = 3
# Dates outside these are refused before any arithmetic on them can overflow.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(9000, 12, 31)
LOCK_TIMEOUT_MS = 3000
# The background allocator stops retrying a pending booking this long before its start.
PENDING_CUTOFF = timedelta(minutes=15)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Guest:
    name: str
    email: str | None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class BookingRequest:
    party_size: int
    day: date
    local_time: time
    guest: Guest
    notes: str = ""
    hold_id: UUID | None = None
    zone: str | None = None
    source: Source | None = None  # None: web for guests, staff for the restaurant's staff


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: a guest (maybe holding a booking's manage token) or a staff key."""

    principal: Principal | None = None
    manage_token: str | None = None

    def is_staff_of(self, restaurant_id: UUID) -> bool:
        return self.principal is not None and self.principal.may_manage(restaurant_id)

    @property
    def actor(self) -> str:
        if self.principal is None:
            return "guest"
        return f"{self.principal.role}:{str(self.principal.key_id)[:8]}"


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a booking sits in time: its service date and start, its end, and the end of
    the window its tables are occupied (the end plus the venue's buffer)."""

    day: date
    local_time: time
    start_at: datetime
    end_at: datetime
    occupied_until: datetime

    @classmethod
    def of(cls, offered: OfferedTime, day: date) -> Slot:
        return cls(
            day, offered.local_time, offered.start_at, offered.end_at, offered.occupied_until
        )

    @classmethod
    def of_row(cls, state: VenueState, row: dict[str, Any]) -> Slot:
        """The window a booking or hold was made for, whatever the venue's rules are now."""
        buffer = timedelta(minutes=state.venue.buffer_minutes)
        return cls(
            row["service_date"],
            row["local_time"],
            row["start_at"],
            row["end_at"],
            row["end_at"] + buffer,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a booking request produced: the HTTP status and body, replayed or not."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass(slots=True)
class BookingService:
    database: Database
    states: VenueStates
    secret: str
    clock: Clock = utc_now
    lock_timeout_ms: int = LOCK_TIMEOUT_MS
    # Only the concurrency test's negative control turns this off.
    serialise: bool = True

    # --- reading -----------------------------------------------------------------------

    def availability(
        self, slug: str, day: date, party_size: int, zone: str | None = None
    ) -> tuple[VenueState, list[SlotAvailability]]:
        with self.database.transaction() as conn:
            state = self.states.scoped(conn, slug)
            self._check_party(state, party_size)
            _check_zone(state, zone)
            now = self.clock()
            occupancy = self._occupancy(conn, state, day, now)
            starting = None
            if state.venue.max_covers_per_slot is not None:
                starting = store.covers_by_start(conn, state.restaurant_id, day, now)
            slots = availability(
                state.venue,
                state.floor,
                occupancy,
                day,
                party_size,
                policy=state.policy,
                now=now,
                zone=zone,
                covers_by_start=starting,
            )
        return state, slots

    # --- holds -------------------------------------------------------------------------

    def hold(
        self, slug: str, party_size: int, day: date, local_time: time, zone: str | None
    ) -> dict[str, Any]:
        def work(conn: Connection) -> dict[str, Any]:
            state = self.states.scoped(conn, slug)
            self._check_party(state, party_size)
            _check_zone(state, zone)
            if party_size > state.venue.max_online_party_size:
                raise InvalidRequest(
                    f"parties above {state.venue.max_online_party_size} are booked without a "
                    "hold and confirmed by the restaurant"
                )
            slot = Slot.of(self._offered(state, day, local_time, party_size, public=True), day)
            plan = self._allocate_now(conn, state, slot, party_size, zone)
            now = self.clock()
            hold_id = uuid4()
            expires_at = now + timedelta(seconds=state.venue.hold_ttl_seconds)
            store.insert_hold(
                conn,
                state.restaurant_id,
                hold_id,
                party_size=party_size,
                service_date=day,
                local_time=local_time,
                start_at=slot.start_at,
                end_at=slot.end_at,
                zone_id=None if zone is None else state.zone_ids[zone],
                expires_at=expires_at,
            )
            self._seat(conn, state, plan.tables, slot, hold_id, owner="hold")
            metrics.HOLDS.labels("placed").inc()
            return {
                "id": str(hold_id),
                "tables": list(plan.tables),
                "start_at": slot.start_at.isoformat(),
                "end_at": slot.end_at.isoformat(),
                "expires_at": expires_at.astimezone(slot.start_at.tzinfo).isoformat(),
            }

        return self._retrying(work)

    def release_hold(self, hold_id: UUID) -> None:
        with self.database.transaction() as conn:
            restaurant_id = _owner(conn, "reserve_hold_restaurant", hold_id)
            if restaurant_id is None:
                raise NotFound("no such hold")
            scope_to_restaurant(conn, restaurant_id)
            if store.delete_hold(conn, restaurant_id, hold_id):
                metrics.HOLDS.labels("released").inc()

    # --- booking -----------------------------------------------------------------------

    def book(
        self, slug: str, request: BookingRequest, idempotency_key: str, caller: Caller
    ) -> Outcome:
        """Confirm a hold, or allocate and confirm, or accept as pending; exactly once per
        idempotency key."""
        fingerprint = _fingerprint(slug, request)

        def work(conn: Connection) -> Outcome:
            state = self.states.scoped(conn, slug)
            claimed, earlier = store.claim_key(conn, state.restaurant_id, idempotency_key)
            if not claimed:
                raise IdempotencyKeyInUse(
                    "a request with this Idempotency-Key is still being processed"
                )
            if earlier is not None:
                if bytes(earlier["request_hash"]) != fingerprint:
                    raise IdempotencyKeyReused(
                        "this Idempotency-Key was used for a different request"
                    )
                metrics.IDEMPOTENT_REPLAYS.inc()
                return Outcome(earlier["response_status"], earlier["response_body"], True)
            outcome = self._book(conn, state, request, caller)
            store.store_result(
                conn,
                state.restaurant_id,
                idempotency_key,
                fingerprint,
                outcome.status,
                outcome.body,
                UUID(outcome.body["id"]),
            )
            return outcome

        try:
            # Four round trips: the venue; the key; the day's lock and occupancy; the
            # writes with the commit.
            outcome = self._retrying(work, pipeline=True)
        except (NoAvailability, HoldExpired) as refused:
            metrics.BOOKINGS.labels(refused.problem_type).inc()
            raise
        if not outcome.replayed:
            metrics.BOOKINGS.labels(outcome.body["status"]).inc()
        return outcome

    def _book(
        self, conn: Connection, state: VenueState, request: BookingRequest, caller: Caller
    ) -> Outcome:
        public = not caller.is_staff_of(state.restaurant_id)
        if public and request.source not in (None, Source.WEB):
            raise Forbidden("only the restaurant's staff may book with a source other than web")
        source = request.source or (Source.WEB if public else Source.STAFF)
        self._check_party(state, request.party_size)
        _check_zone(state, request.zone)
        offered = self._offered(
            state, request.day, request.local_time, request.party_size, public=public
        )
        token = secrets.token_urlsafe(24)
        tables: Sequence[str] = ()
        status, pending_reason = Status.CONFIRMED, None
        slot: Slot = Slot.of(offered, request.day)
        if request.hold_id is not None:
            tables, slot = self._take_hold(conn, state, request)
        elif public and request.party_size > state.venue.max_online_party_size:
            status, pending_reason = Status.PENDING, "approval"
        else:
            try:
                plan = self._allocate(conn, state, slot, request.party_size, request.zone)
                tables = plan.tables
            except SelectorTimeout:
                status, pending_reason = Status.PENDING, "allocation"
        booking = store.NewBooking(
            id=uuid4(),
            created_at=datetime.now(UTC),
            reference=new_reference(),
            status=status,
            pending_reason=pending_reason,
            party_size=request.party_size,
            service_date=request.day,
            local_time=request.local_time,
            start_at=slot.start_at,
            end_at=slot.end_at,
            zone_id=None if request.zone is None else state.zone_ids[request.zone],
            guest_name=request.guest.name,
            guest_email=request.guest.email,
            guest_phone=request.guest.phone,
            notes=request.notes,
            source=source,
            manage_token_hash=hash_key(self.secret, token),
        )
        store.insert_booking(conn, state.restaurant_id, booking)
        if tables and request.hold_id is not None:
            store.hand_hold_to_booking(conn, state.restaurant_id, request.hold_id, booking.id)
        elif tables:
            self._seat(conn, state, tables, slot, booking.id)
        store.record_status(conn, state.restaurant_id, booking.id, None, status, caller.actor)
        body = booking_body(_row_of(booking, request.zone, tables), state, manage_token=token)
        return Outcome(202 if status is Status.PENDING else 201, body)

    def _take_hold(
        self, conn: Connection, state: VenueState, request: BookingRequest
    ) -> tuple[list[str], Slot]:
        """The held tables and the hold's window, which the booking keeps."""
        assert request.hold_id is not None
        hold = store.get_hold(conn, state.restaurant_id, request.hold_id)
        if hold is None or hold["expires_at"] <= self.clock():
            if hold is not None:
                store.delete_hold(conn, state.restaurant_id, request.hold_id)
                metrics.HOLDS.labels("expired").inc()
            raise HoldExpired("the hold has expired or was released; search again")
        if (hold["party_size"], hold["service_date"], hold["local_time"]) != (
            request.party_size,
            request.day,
            request.local_time,
        ):
            raise InvalidRequest("party_size, date and time must match the hold's")
        metrics.HOLDS.labels("confirmed").inc()
        tables = [state.table_labels[table_id] for table_id in hold["table_ids"]]
        return tables, Slot.of_row(state, hold)

    # --- a booking once made -----------------------------------------------------------

    def get(self, booking_id: UUID, caller: Caller) -> dict[str, Any]:
        with self.database.transaction() as conn:
            state, row = self._authorised(conn, booking_id, caller)
            return booking_body(row, state)

    def cancel(self, booking_id: UUID, caller: Caller) -> dict[str, Any]:
        def work(conn: Connection) -> dict[str, Any]:
            state, row = self._authorised(conn, booking_id, caller, for_update=True)
            current = Status(row["status"])
            if current is not Status.CANCELLED:
                check_transition(current, Status.CANCELLED)
                store.free_booking_tables(conn, state.restaurant_id, booking_id)
                store.set_status(conn, state.restaurant_id, booking_id, Status.CANCELLED)
                store.record_status(
                    conn, state.restaurant_id, booking_id, current, Status.CANCELLED, caller.actor
                )
                metrics.BOOKINGS.labels("cancelled").inc()
            return self._body(conn, state, booking_id)

        return self._retrying(work)

    def modify(
        self,
        booking_id: UUID,
        caller: Caller,
        *,
        party_size: int | None = None,
        day: date | None = None,
        local_time: time | None = None,
    ) -> dict[str, Any]:
        """Move or resize a booking in one transaction; on any failure the original stands."""

        def work(conn: Connection) -> dict[str, Any]:
            state, row = self._authorised(conn, booking_id, caller, for_update=True)
            current = Status(row["status"])
            if current not in CHANGEABLE:
                raise InvalidRequest(f"a {current} booking can no longer be changed")
            size = row["party_size"] if party_size is None else party_size
            new_day = row["service_date"] if day is None else day
            at = row["local_time"] if local_time is None else local_time
            public = not caller.is_staff_of(state.restaurant_id)
            self._check_party(state, size)
            offered = self._offered(state, new_day, at, size, public=public)
            if public and size > state.venue.max_online_party_size:
                raise InvalidRequest(
                    f"parties above {state.venue.max_online_party_size} are booked by the "
                    "restaurant; please call"
                )
            if current is Status.CONFIRMED:
                if self.serialise and new_day != row["service_date"]:
                    # Both days, in date order, so two moves between them cannot deadlock.
                    for locked in sorted({row["service_date"], new_day}):
                        store.lock_day(conn, state.restaurant_id, locked, self.lock_timeout_ms)
                store.free_booking_tables(conn, state.restaurant_id, booking_id)
                slot = Slot.of(offered, new_day)
                plan = self._allocate_now(conn, state, slot, size, row["zone"])
                self._seat(conn, state, plan.tables, slot, booking_id)
            store.reschedule(
                conn,
                state.restaurant_id,
                booking_id,
                party_size=size,
                service_date=new_day,
                local_time=at,
                start_at=offered.start_at,
                end_at=offered.end_at,
            )
            return self._body(conn, state, booking_id)

        return self._retrying(work)

    # --- staff -------------------------------------------------------------------------

    def set_status(self, booking_id: UUID, wanted: Status, caller: Caller) -> dict[str, Any]:
        _require_staff(caller)

        def work(conn: Connection) -> dict[str, Any]:
            state, row = self._authorised(conn, booking_id, caller, for_update=True, staff=True)
            current = Status(row["status"])
            check_transition(current, wanted)
            rid = state.restaurant_id
            if wanted in (Status.CANCELLED, Status.NO_SHOW):
                store.free_booking_tables(conn, rid, booking_id)
            elif wanted is Status.COMPLETED:
                store.end_booking_allocations(conn, rid, booking_id, self.clock())
            elif wanted is Status.CONFIRMED:
                # Approving a pending booking, or undoing a no-show: it needs tables again,
                # for the window it was booked for.
                slot = Slot.of_row(state, row)
                plan = self._allocate_now(conn, state, slot, row["party_size"], row["zone"])
                self._seat(conn, state, plan.tables, slot, booking_id)
            store.set_status(conn, rid, booking_id, wanted)
            store.record_status(conn, rid, booking_id, current, wanted, caller.actor)
            return self._body(conn, state, booking_id)

        return self._retrying(work)

    def reassign(self, booking_id: UUID, labels: Sequence[str], caller: Caller) -> dict[str, Any]:
        """Seat a booking at tables staff chose, checked as the allocator checks its own."""
        _require_staff(caller)

        def work(conn: Connection) -> dict[str, Any]:
            state, row = self._authorised(conn, booking_id, caller, for_update=True, staff=True)
            if Status(row["status"]) not in SEATING:
                raise InvalidRequest("only a confirmed or seated booking has tables")
            chosen = tuple(sorted(set(labels)))
            unknown = [label for label in chosen if label not in state.floor.index]
            if unknown or not chosen:
                raise InvalidRequest(f"unknown or inactive tables: {', '.join(unknown) or '-'}")
            allowed = {
                c.labels for c in state.floor.candidates_for(row["party_size"], state.policy.rule)
            }
            if chosen not in allowed:
                raise InvalidRequest(
                    f"tables {', '.join(chosen)} cannot seat a party of {row['party_size']} "
                    "under this venue's rules"
                )
            slot = Slot.of_row(state, row)
            self._lock(conn, state, row["service_date"])
            store.free_booking_tables(conn, state.restaurant_id, booking_id)
            busy = self._occupancy(conn, state, row["service_date"], self.clock(), purge=True)
            mask = 0
            for label in chosen:
                mask |= 1 << state.floor.index[label]
            if busy.busy(slot.start_at.timestamp(), slot.occupied_until.timestamp()) & mask:
                raise NoAvailability(f"tables {', '.join(chosen)} are taken at that time")
            self._seat(conn, state, chosen, slot, booking_id)
            return self._body(conn, state, booking_id)

        return self._retrying(work)

    def bookings_of_day(
        self, slug: str, day: date, statuses: Sequence[Status] | None, caller: Caller
    ) -> list[dict[str, Any]]:
        with self.database.transaction() as conn:
            state = self._staff_venue(conn, slug, caller)
            rows = store.bookings_of_day(conn, state.restaurant_id, day, statuses)
            return [booking_body(row, state) for row in rows]

    def timeline(self, slug: str, day: date, caller: Caller) -> dict[str, Any]:
        _check_day(day)
        with self.database.transaction() as conn:
            state = self._staff_venue(conn, slug, caller)
            rows = store.timeline(conn, state.restaurant_id, day)
        zone = ZoneInfo(state.venue.timezone)
        by_table: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            kind = "booking" if row["booking_id"] else "hold" if row["hold_id"] else "block"
            by_table.setdefault(row["label"], []).append(
                {
                    "kind": kind,
                    f"{kind}_id": str(row[f"{kind}_id"]),
                    "start_at": row["starts"].astimezone(zone).isoformat(),
                    "end_at": row["ends"].astimezone(zone).isoformat(),
                    "party_size": row["party_size"],
                    "status": row["status"],
                    "guest_name": row["guest_name"],
                }
            )
        return {
            "date": day.isoformat(),
            "tables": [
                {
                    "label": table.label,
                    "zone": table.zone,
                    "capacity": table.capacity,
                    "allocations": by_table.get(table.label, []),
                }
                for table in state.venue.tables
                if table.active
            ],
        }

    def block(
        self,
        slug: str,
        labels: Sequence[str],
        day: date,
        start: time,
        end: time,
        reason: str,
        caller: Caller,
    ) -> dict[str, Any]:
        def work(conn: Connection) -> dict[str, Any]:
            state = self._staff_venue(conn, slug, caller)
            chosen = sorted(set(labels))
            unknown = [label for label in chosen if label not in state.table_ids]
            if unknown or not chosen:
                raise InvalidRequest(f"unknown tables: {', '.join(unknown) or '-'}")
            starts, ends = _local_span(state, day, start, end)
            self._lock(conn, state, day)
            store.purge_expired_holds(conn, state.restaurant_id, self.clock())
            block_id = uuid4()
            store.insert_block(
                conn,
                state.restaurant_id,
                block_id,
                start_at=starts,
                end_at=ends,
                reason=reason,
                created_by=caller.actor,
            )
            store.allocate_tables(
                conn,
                state.restaurant_id,
                [state.table_ids[label] for label in chosen],
                owner="block",
                owner_id=block_id,
                service_date=day,
                start=starts,
                end=ends,
            )
            return {
                "id": str(block_id),
                "tables": chosen,
                "start_at": starts.isoformat(),
                "end_at": ends.isoformat(),
                "reason": reason,
            }

        return self._retrying(work)

    # --- the background allocator ------------------------------------------------------

    def retry_pending(self) -> int:
        """Try once more to seat every booking left pending for want of time; how many were
        confirmed."""
        now = self.clock()
        with self.database.transaction() as conn:
            pending = conn.execute(
                "SELECT restaurant_id, booking_id FROM reserve_pending_allocations(%s)",
                (now + PENDING_CUTOFF,),
            ).fetchall()
        confirmed = 0
        for item in pending:
            caller = Caller(Principal(UUID(int=0), Role.ADMIN, item["restaurant_id"]))
            try:
                self.set_status(item["booking_id"], Status.CONFIRMED, caller)
            except ReserveError:  # no table yet, taken by another worker, venue busy...
                continue
            confirmed += 1
        return confirmed

    # --- shared steps ------------------------------------------------------------------

    def _retrying(self, work: Callable[[Connection], T], *, pipeline: bool = False) -> T:
        for attempt in range(1, RETRIES + 1):
            try:
                with self.database.transaction(pipeline=pipeline) as conn:
                    return work(conn)
            except (pg.DeadlockDetected, pg.SerializationFailure):
                metrics.CONFLICTS.labels("retried").inc()
                if attempt == RETRIES:
                    raise Busy("the venue is busy; try again") from None
            except pg.UniqueViolation as clash:
                # Two bookings drew the same random reference: draw again.
                if clash.diag.constraint_name != "bookings_reference_key" or attempt == RETRIES:
                    raise
            except pg.LockNotAvailable:
                metrics.CONFLICTS.labels("lock_timeout").inc()
                raise Busy("the venue is busy; try again") from None
            except pg.ExclusionViolation:
                # The constraint caught what serialisation should have: never a double booking.
                metrics.CONFLICTS.labels("exclusion").inc()
                raise NoAvailability("those tables were just taken; search again") from None
        raise AssertionError("unreachable")

    @staticmethod
    def _seat(
        conn: Connection,
        state: VenueState,
        labels: Sequence[str],
        slot: Slot,
        owner_id: UUID,
        owner: str = "booking",
    ) -> None:
        """Allocate ``labels`` for the slot's occupied window to a booking or hold."""
        store.allocate_tables(
            conn,
            state.restaurant_id,
            [state.table_ids[label] for label in labels],
            owner=owner,
            owner_id=owner_id,
            service_date=slot.day,
            start=slot.start_at,
            end=slot.occupied_until,
        )

    def _lock(self, conn: Connection, state: VenueState, day: date) -> None:
        if self.serialise:
            store.lock_day(conn, state.restaurant_id, day, self.lock_timeout_ms)

    def _occupancy(
        self, conn: Connection, state: VenueState, day: date, now: datetime, *, purge: bool = False
    ) -> Occupancy:
        """The day's occupancy; with ``purge``, expired holds are deleted in the same trip."""
        start, end = _day_span(state, day)
        if not purge:
            windows = store.occupied_windows(conn, state.restaurant_id, start, end, now)
            return _occupancy_of(state, windows)
        purged, windows = store.purge_and_read(conn, state.restaurant_id, start, end, now)
        if purged:
            metrics.HOLDS.labels("expired").inc(purged)
        return _occupancy_of(state, windows)

    def _allocate(
        self,
        conn: Connection,
        state: VenueState,
        slot: Slot,
        party_size: int,
        zone: str | None,
    ) -> Plan:
        """Lock the day, purge expired holds, read occupancy, choose tables (or refuse).

        ``SelectorTimeout`` means the search ran out of time before it found tables."""
        self._lock(conn, state, slot.day)
        now = self.clock()
        occupancy = self._occupancy(conn, state, slot.day, now, purge=True)
        if state.venue.max_covers_per_slot is not None:
            starting = store.covers_by_start(conn, state.restaurant_id, slot.day, now)
            if not within_pacing(state.venue, starting.get(slot.start_at, 0), party_size):
                raise NoAvailability(
                    f"{state.venue.name} takes at most {state.venue.max_covers_per_slot} covers "
                    f"starting at {slot.local_time:%H:%M}"
                )
        request = Request(
            party_size, slot.start_at.timestamp(), slot.occupied_until.timestamp(), zone
        )
        with metrics.ALLOCATION_SECONDS.time():
            plan = allocate(state.floor, occupancy, request, state.policy, state.lookahead)
        if plan is None:
            raise NoAvailability(
                f"no table for {party_size} at {slot.local_time:%H:%M} on {slot.day.isoformat()}"
            )
        return plan

    def _allocate_now(
        self, conn: Connection, state: VenueState, slot: Slot, party_size: int, zone: str | None
    ) -> Plan:
        """``_allocate`` for a change to an existing booking or a hold: there is no pending
        state to fall back on, so a search that ran out of time finds nothing."""
        try:
            return self._allocate(conn, state, slot, party_size, zone)
        except SelectorTimeout:
            raise NoAvailability("no table could be found in time; try again") from None

    def _offered(
        self, state: VenueState, day: date, at: time, party_size: int, *, public: bool
    ) -> OfferedTime:
        _check_day(day)
        offered = offered_time(state.venue, day, at, party_size)
        if public:
            check_booking_window(state.venue, offered.start_at, self.clock())
        return offered

    @staticmethod
    def _check_party(state: VenueState, party_size: int) -> None:
        if party_size > state.largest_party:
            raise PartyTooLarge(
                f"{state.venue.name} cannot seat a party of {party_size}; "
                f"the largest it can seat is {state.largest_party}"
            )

    def _authorised(
        self,
        conn: Connection,
        booking_id: UUID,
        caller: Caller,
        *,
        for_update: bool = False,
        staff: bool = False,
    ) -> tuple[VenueState, dict[str, Any]]:
        """The booking and its venue, if the caller may see it (with ``staff``, only its
        restaurant's staff may); else as if it did not exist."""
        restaurant_id = _owner(conn, "reserve_booking_restaurant", booking_id)
        if restaurant_id is None:
            raise NotFound("no such booking")
        state = self.states.of(conn, restaurant_id)
        row = store.get_booking(conn, restaurant_id, booking_id, for_update=for_update)
        if row is None or not self._may_see(caller, restaurant_id, row, staff=staff):
            raise NotFound("no such booking")
        return state, row

    def _may_see(
        self, caller: Caller, restaurant_id: UUID, row: dict[str, Any], *, staff: bool
    ) -> bool:
        if caller.is_staff_of(restaurant_id):
            return True
        if staff or caller.manage_token is None:
            return False
        expected = bytes(row["manage_token_hash"])
        return hmac.compare_digest(expected, hash_key(self.secret, caller.manage_token))

    def _staff_venue(self, conn: Connection, slug: str, caller: Caller) -> VenueState:
        _require_staff(caller)
        state = self.states.scoped(conn, slug)
        assert caller.principal is not None
        if not caller.principal.may_manage(state.restaurant_id):
            raise NotFound(f"no restaurant {slug!r}")
        return state

    def _body(self, conn: Connection, state: VenueState, booking_id: UUID) -> dict[str, Any]:
        row = store.get_booking(conn, state.restaurant_id, booking_id)
        assert row is not None
        return booking_body(row, state)


# --- helpers ----------------------------------------------------------------------------


def _require_staff(caller: Caller) -> None:
    if caller.principal is None:
        raise Unauthorized("this needs a staff key: Authorization: Bearer <key>")


def _owner(conn: Connection, function: str, item: UUID) -> UUID | None:
    row = conn.execute(f"SELECT {function}(%s) AS owner", (item,)).fetchone()
    return None if row is None else row["owner"]


def _check_zone(state: VenueState, zone: str | None) -> None:
    if zone is not None and zone not in state.zone_ids:
        known = ", ".join(sorted(state.zone_ids))
        raise InvalidRequest(f"unknown zone {zone!r}; zones: {known}")


def _check_day(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidRequest(f"{day.isoformat()} is not a date this venue takes bookings for")


def _day_span(state: VenueState, day: date) -> tuple[datetime, datetime]:
    """From the venue's midnight starting ``day`` to 36 hours later: every window of the day.

    A bound of the read, not a window: the few hours' error a clock change makes to a
    wall-clock sum do not matter here."""
    _check_day(day)
    start = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(state.venue.timezone))
    return start, start + timedelta(hours=36)


def _local_span(state: VenueState, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    _check_day(day)
    zone = ZoneInfo(state.venue.timezone)
    instants = []
    for clock in (start, end):
        local = datetime.combine(day, clock, zone)
        if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(
            tzinfo=None
        ):
            raise InvalidRequest(f"{clock:%H:%M} does not exist on {day}: the clocks skip it")
        instants.append(local.astimezone(UTC))
    # Compared in UTC: aware datetimes of one zone compare by the wall clock.
    if instants[1] <= instants[0]:
        raise InvalidRequest("a block must end after it starts")
    return instants[0].astimezone(zone), instants[1].astimezone(zone)


def _occupancy_of(state: VenueState, windows: Sequence[store.Window]) -> Occupancy:
    return Occupancy(
        state.floor, ((label, start.timestamp(), end.timestamp()) for label, start, end in windows)
    )


def _row_of(booking: store.NewBooking, zone: str | None, tables: Sequence[str]) -> dict[str, Any]:
    """The row ``get_booking`` would read back for a booking just written."""
    return {
        "id": booking.id,
        "reference": booking.reference,
        "status": booking.status,
        "pending_reason": booking.pending_reason,
        "party_size": booking.party_size,
        "service_date": booking.service_date,
        "local_time": booking.local_time,
        "start_at": booking.start_at,
        "end_at": booking.end_at,
        "zone": zone,
        "guest_name": booking.guest_name,
        "guest_email": booking.guest_email,
        "guest_phone": booking.guest_phone,
        "notes": booking.notes,
        "source": booking.source,
        "created_at": booking.created_at,
        "updated_at": booking.created_at,
        "tables": sorted(tables),
    }


def _fingerprint(slug: str, request: BookingRequest) -> bytes:
    payload = {
        "restaurant": slug,
        "party_size": request.party_size,
        "date": request.day.isoformat(),
        "time": request.local_time.strftime("%H:%M"),
        "guest": [request.guest.name, request.guest.email, request.guest.phone],
        "notes": request.notes,
        "hold_id": None if request.hold_id is None else str(request.hold_id),
        "zone": request.zone,
        "source": None if request.source is None else str(request.source),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).digest()


def booking_body(
    row: dict[str, Any], state: VenueState, manage_token: str | None = None
) -> dict[str, Any]:
    """The booking as the API shows it (guest details: callers here are token holders or
    staff)."""
    zone = ZoneInfo(state.venue.timezone)
    body: dict[str, Any] = {
        "id": str(row["id"]),
        "reference": row["reference"],
        "restaurant": state.venue.slug,
        "status": row["status"],
        "party_size": row["party_size"],
        "date": row["service_date"].isoformat(),
        "time": row["local_time"].strftime("%H:%M"),
        "start_at": row["start_at"].astimezone(zone).isoformat(),
        "end_at": row["end_at"].astimezone(zone).isoformat(),
        "tables": list(row["tables"]),
        "zone": row["zone"],
        "guest": {
            "name": row["guest_name"],
            "email": row["guest_email"],
            "phone": row["guest_phone"],
        },
        "notes": row["notes"],
        "source": row["source"],
        "created_at": row["created_at"].astimezone(zone).isoformat(),
        "updated_at": row["updated_at"].astimezone(zone).isoformat(),
    }
    if row["status"] == Status.PENDING:
        body["pending_reason"] = row["pending_reason"]
    if manage_token is not None:
        body["manage_token"] = manage_token
    return body
