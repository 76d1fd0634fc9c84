"""Holds: tables kept for a party and a time while the guest gives their details.

A hold occupies its tables like a booking until ``expires_at``; booking with its id turns
it into a booking on the same tables and window. A guest who needs more time extends it,
up to ``MAX_HOLD_EXTENSIONS`` times. Expired holds block nobody: the booking path ignores
them and purges a venue's whenever it allocates.

The hold's id is a random UUID and is the guest's capability: whoever has it may read,
extend and release the hold, as whoever placed it could.

Placing a hold is the first step of a guest's booking, so it is the request recorded as
demand (``reserve.services.demand``), held or refused; confirming the hold is not another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from reserve import metrics
from reserve.db import demand as demand_records
from reserve.db import holds as store
from reserve.db.database import Connection, scope_to_restaurant
from reserve.domain.booking import Source
from reserve.domain.demand import NOT_OFFERED, Outcome
from reserve.domain.errors import (
    HoldExpired,
    HoldExtensionLimit,
    InvalidRequest,
    NoAvailability,
    NotFound,
)
from reserve.domain.limits import MAX_HOLD_EXTENSIONS
from reserve.services import demand
from reserve.services.context import Context
from reserve.services.seating import (
    Slot,
    check_party,
    check_zone,
    find_tables_now,
    offered,
    seat,
)
from reserve.services.venue_state import VenueState


@dataclass(frozen=True, slots=True)
class Hold:
    id: UUID
    tables: tuple[str, ...]
    start_at: datetime
    end_at: datetime
    expires_at: datetime  # in the venue's zone, like the times
    extensions_left: int  # how many more times the guest may extend it


@dataclass(frozen=True, slots=True)
class HoldView:
    """A hold as its guest's page shows it; the times in the venue's zone."""

    id: UUID
    restaurant: str  # the venue's slug
    party_size: int
    day: date
    local_time: time
    tables: tuple[str, ...]
    start_at: datetime
    end_at: datetime
    expires_at: datetime
    extensions_left: int
    expired: bool  # by the clock; an expired hold stays readable until it is purged


def place_hold(
    ctx: Context, slug: str, party_size: int, day: date, local_time: time, zone: str | None
) -> Hold:
    def work(conn: Connection) -> Hold:
        state = ctx.venues.scoped(conn, slug)
        check_party(state, party_size)
        check_zone(state, zone)
        if party_size > state.venue.max_online_party_size:
            raise InvalidRequest(
                f"parties above {state.venue.max_online_party_size} are booked without a "
                "hold and confirmed by the restaurant"
            )
        slot = Slot.of(offered(ctx, state, day, local_time, party_size, public=True), day)
        plan = find_tables_now(ctx, conn, state, slot, party_size, zone)
        hold_id = uuid4()
        expires_at = ctx.clock() + timedelta(seconds=state.venue.hold_ttl_seconds)
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
        seat(conn, state, plan.tables, slot, hold_id, owner="hold")
        demand_records.record(
            conn,
            state.restaurant_id,
            received_at=ctx.clock(),
            service_date=day,
            local_time=local_time,
            party_size=party_size,
            kind="hold",
            source=Source.WEB,
            outcome=Outcome.HELD,
        )
        metrics.HOLDS.labels("placed").inc()
        return Hold(
            hold_id,
            tuple(plan.tables),
            slot.start_at,
            slot.end_at,
            expires_at.astimezone(slot.start_at.tzinfo),
            MAX_HOLD_EXTENSIONS,
        )

    try:
        return ctx.database.run(work)
    except (NoAvailability, *NOT_OFFERED) as refusal:
        demand.record_refusal(
            ctx,
            slug,
            refusal,
            kind="hold",
            day=day,
            local_time=local_time,
            party_size=party_size,
            source=lambda state: Source.WEB,
        )
        raise


def extend_hold(ctx: Context, hold_id: UUID) -> Hold:
    """Give the guest time again: the hold now expires ``hold_ttl_seconds`` (the venue's)
    from now. The countdown starts again at its full length rather than adding to what was
    left, and never ends sooner than it did. A hold may be extended ``MAX_HOLD_EXTENSIONS``
    times; after that ``HoldExtensionLimit``, and the hold stands until it expires.

    An expired hold is ``HoldExpired`` whether or not it has been purged yet (when found
    gone after its restaurant was, it expired or was released a moment ago); an id that
    never was a hold, or whose hold was purged, is ``NotFound``.

    The hold's row is locked before the clock is read, so extending, confirming and purging
    one hold take turns: a booking that purges expired holds waits for the extension, then
    finds the hold live. No day lock is needed: the tables stay the hold's throughout.
    """

    def work(conn: Connection) -> Hold:
        restaurant_id = store.restaurant_of(conn, hold_id)
        if restaurant_id is None:
            raise NotFound("no such hold")
        state = ctx.venues.of(conn, restaurant_id)
        hold = store.get_hold(conn, restaurant_id, hold_id)
        now = ctx.clock()
        if hold is None or hold.expires_at <= now:
            raise HoldExpired("the hold has expired or was released; search again")
        zone = ZoneInfo(state.venue.timezone)
        if hold.extensions >= MAX_HOLD_EXTENSIONS:
            raise HoldExtensionLimit(
                f"the hold was extended {MAX_HOLD_EXTENSIONS} times, as often as it may be; "
                f"it expires at {hold.expires_at.astimezone(zone):%H:%M:%S}"
            )
        expires_at = max(hold.expires_at, now + timedelta(seconds=state.venue.hold_ttl_seconds))
        extensions = store.extend_hold(conn, restaurant_id, hold_id, expires_at)
        metrics.HOLDS.labels("extended").inc()
        return Hold(
            hold.id,
            _labels(state, hold.table_ids),
            hold.start_at.astimezone(zone),
            hold.end_at.astimezone(zone),
            expires_at.astimezone(zone),
            MAX_HOLD_EXTENSIONS - extensions,
        )

    return ctx.database.run(work)


def get_hold(ctx: Context, hold_id: UUID) -> HoldView:
    """The hold, expired or not (``expired`` says which, by the clock), until it is
    purged; an unknown or purged one is ``NotFound``."""

    def work(conn: Connection) -> HoldView:
        restaurant_id = store.restaurant_of(conn, hold_id)
        if restaurant_id is None:
            raise NotFound("no such hold")
        state = ctx.venues.of(conn, restaurant_id)
        hold = store.get_hold(conn, restaurant_id, hold_id, lock=False)
        if hold is None:
            raise NotFound("no such hold")
        zone = ZoneInfo(state.venue.timezone)
        return HoldView(
            id=hold.id,
            restaurant=state.venue.slug,
            party_size=hold.party_size,
            day=hold.day,
            local_time=hold.local_time,
            tables=_labels(state, hold.table_ids),
            start_at=hold.start_at.astimezone(zone),
            end_at=hold.end_at.astimezone(zone),
            expires_at=hold.expires_at.astimezone(zone),
            extensions_left=MAX_HOLD_EXTENSIONS - hold.extensions,
            expired=hold.expires_at <= ctx.clock(),
        )

    return ctx.database.run(work)


def _labels(state: VenueState, table_ids: tuple[UUID, ...]) -> tuple[str, ...]:
    """The held tables' labels, sorted as a booking's are."""
    return tuple(sorted(state.table_labels[table_id] for table_id in table_ids))


def release_hold(ctx: Context, hold_id: UUID) -> None:
    def work(conn: Connection) -> None:
        restaurant_id = store.restaurant_of(conn, hold_id)
        if restaurant_id is None:
            raise NotFound("no such hold")
        scope_to_restaurant(conn, restaurant_id)
        if store.delete_hold(conn, restaurant_id, hold_id):
            metrics.HOLDS.labels("released").inc()

    ctx.database.run(work)


def take_hold(
    ctx: Context,
    conn: Connection,
    state: VenueState,
    hold_id: UUID,
    party_size: int,
    day: date,
    local_time: time,
) -> tuple[list[str], Slot]:
    """The held tables and the hold's window, which the booking confirming it keeps."""
    hold = store.get_hold(conn, state.restaurant_id, hold_id)
    if hold is None or hold.expires_at <= ctx.clock():
        if hold is not None:
            store.delete_hold(conn, state.restaurant_id, hold_id)
            metrics.HOLDS.labels("expired").inc()
        raise HoldExpired("the hold has expired or was released; search again")
    differ = [
        name
        for name, held, asked in (
            ("party_size", hold.party_size, party_size),
            ("date", hold.day, day),
            ("time", hold.local_time, local_time),
        )
        if held != asked
    ]
    if differ:
        raise InvalidRequest("party_size, date and time must match the hold's", fields=differ)
    metrics.HOLDS.labels("confirmed").inc()
    tables = [state.table_labels[table_id] for table_id in hold.table_ids]
    return tables, Slot.kept(state, hold.day, hold.local_time, hold.start_at, hold.end_at)
