"""Holds: tables kept for a party and a time while the guest gives their details.

A hold occupies its tables like a booking until ``expires_at``; booking with its id turns
it into a booking on the same tables and window. Expired holds block nobody: the booking
path ignores them and purges a venue's whenever it allocates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid4

from reserve import metrics
from reserve.db import holds as store
from reserve.db.database import Connection, scope_to_restaurant
from reserve.domain.errors import HoldExpired, InvalidRequest, NotFound
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
        metrics.HOLDS.labels("placed").inc()
        return Hold(
            hold_id,
            tuple(plan.tables),
            slot.start_at,
            slot.end_at,
            expires_at.astimezone(slot.start_at.tzinfo),
        )

    return ctx.database.run(work)


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
