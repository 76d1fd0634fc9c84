"""Staff routes: the day's bookings, status changes, table changes, the timeline, blocks,
the waitlist, flags, and (admin) the venue document itself. Every one needs a key of the
restaurant."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from reserve.api.deps import CallerDep, ContextDep
from reserve.api.openapi import ANY_CALL, problems
from reserve.api.schemas import (
    BlockIn,
    BlockOut,
    DayBlocksOut,
    DayBookingsOut,
    HistoryOut,
    RestaurantOut,
    SeatIn,
    StaffBookingOut,
    StatusIn,
    TableChoicesOut,
    TablesIn,
    WaitlistEntryOut,
    WaitlistIn,
    WaitlistOut,
    WalkInIn,
    clock_time,
    timeline_body,
)
from reserve.domain.booking import Status
from reserve.services import blocks, changes, floor, history, management, waitlist, walk_ins
from reserve.services.flags import FlagState

router = APIRouter(prefix="/v1", tags=["staff"])


@router.get("/restaurants/{slug}/bookings", responses=problems(*ANY_CALL, 404))
def day_bookings(
    slug: str,
    ctx: ContextDep,
    caller: CallerDep,
    date: Annotated[dt.date, Query()],
    status: Annotated[list[Status] | None, Query()] = None,
) -> DayBookingsOut:
    """The day's bookings, optionally of some statuses only."""
    found = floor.bookings_of_day(ctx, slug, date, status, caller)
    return DayBookingsOut(date=date, bookings=[StaffBookingOut.of(booking) for booking in found])


@router.post("/bookings/{booking_id}/status", responses=problems(*ANY_CALL, 404, 409))
def change_status(
    booking_id: UUID, body: StatusIn, ctx: ContextDep, caller: CallerDep
) -> StaffBookingOut:
    """Move a booking along its lifecycle (seated, completed, no_show...)."""
    return StaffBookingOut.of(changes.set_status(ctx, booking_id, body.status, caller))


@router.put("/bookings/{booking_id}/tables", responses=problems(*ANY_CALL, 404, 409))
def change_tables(
    booking_id: UUID, body: TablesIn, ctx: ContextDep, caller: CallerDep
) -> StaffBookingOut:
    """Seat the booking at other tables, checked as the allocator checks its own, and pin
    them (pooling leaves them where they are); a move goes in the booking's history. A
    pending booking seated so is approved (confirmed at those tables)."""
    return StaffBookingOut.of(floor.reassign(ctx, booking_id, body.tables, caller))


@router.post("/bookings/{booking_id}/tables/unpin", responses=problems(*ANY_CALL, 404))
def unpin_tables(booking_id: UUID, ctx: ContextDep, caller: CallerDep) -> StaffBookingOut:
    """Unpin the booking's tables: pooling may move them again until the party is seated.
    Unpinning again changes nothing."""
    return StaffBookingOut.of(floor.unpin(ctx, booking_id, caller))


@router.get("/bookings/{booking_id}/tables", responses=problems(*ANY_CALL, 404))
def table_choices(booking_id: UUID, ctx: ContextDep, caller: CallerDep) -> TableChoicesOut:
    """Where the booking could sit for its window (its own tables counted free): every
    table with what else takes it, and the free ways to seat the party, the allocator's
    choice first."""
    return TableChoicesOut.of(booking_id, floor.table_choices(ctx, booking_id, caller))


@router.get("/bookings/{booking_id}/history", responses=problems(*ANY_CALL, 404))
def booking_history(booking_id: UUID, ctx: ContextDep, caller: CallerDep) -> HistoryOut:
    """Every status the booking has had (``transitions``: from, to, who, when), and with
    them every move of its tables (``entries``: from which tables to which, who, when), in
    time order."""
    return HistoryOut.of(booking_id, history.booking_history(ctx, booking_id, caller))


@router.post(
    "/restaurants/{slug}/walk-ins", status_code=201, responses=problems(*ANY_CALL, 404, 409)
)
def seat_walk_in(slug: str, body: WalkInIn, ctx: ContextDep, caller: CallerDep) -> StaffBookingOut:
    """Seat a party now, for its turn time cut at closing: on ``tables`` (checked as the
    allocator checks its own) or where the allocator would seat it. 409 ``no-availability``
    when no table is free; 422 ``outside-service-hours`` when the venue is not open now or
    closes too soon."""
    booking = walk_ins.seat_walk_in(
        ctx, slug, body.party_size, caller, tables=body.tables, name=body.name, phone=body.phone
    )
    return StaffBookingOut.of(booking)


@router.get("/restaurants/{slug}/timeline", responses=problems(*ANY_CALL, 404))
def timeline(
    slug: str, ctx: ContextDep, caller: CallerDep, date: Annotated[dt.date, Query()]
) -> dict[str, Any]:
    """Every table and what occupies it that day, windows as occupied (buffer included)."""
    return timeline_body(date, floor.timeline(ctx, slug, date, caller))


@router.post("/restaurants/{slug}/blocks", status_code=201, responses=problems(*ANY_CALL, 404, 409))
def block_tables(slug: str, body: BlockIn, ctx: ContextDep, caller: CallerDep) -> BlockOut:
    """Take tables out of service from ``start`` on ``date`` to ``end`` on ``end_date`` (the
    same date unless given); refused, naming them, when bookings or holds are in the way."""
    block = blocks.block(
        ctx,
        slug,
        body.tables,
        body.date,
        clock_time(body.start),
        clock_time(body.end),
        body.reason,
        caller,
        end_day=body.end_date,
    )
    return BlockOut.of(block)


@router.get("/restaurants/{slug}/blocks", responses=problems(*ANY_CALL, 404))
def day_blocks(
    slug: str, ctx: ContextDep, caller: CallerDep, date: Annotated[dt.date, Query()]
) -> DayBlocksOut:
    """The blocks with a part on that date (one spanning midnight is listed on both
    days), by start."""
    found = blocks.blocks_of_day(ctx, slug, date, caller)
    return DayBlocksOut(date=date, blocks=[BlockOut.of(block) for block in found])


@router.delete("/blocks/{block_id}", status_code=204, responses=problems(*ANY_CALL, 404))
def remove_block(block_id: UUID, ctx: ContextDep, caller: CallerDep) -> Response:
    """Put the block's tables back in service."""
    blocks.remove_block(ctx, block_id, caller)
    return Response(status_code=204)


@router.get("/restaurants/{slug}/waitlist", responses=problems(*ANY_CALL, 404))
def get_waitlist(slug: str, ctx: ContextDep, caller: CallerDep) -> WaitlistOut:
    """The parties waiting for a table, the longest waiting first, with how long each has
    waited and whether that is past the wait they were quoted."""
    entries = waitlist.waiting(ctx, slug, caller)
    now = ctx.clock()
    return WaitlistOut(entries=[WaitlistEntryOut.of(entry, now) for entry in entries])


@router.post("/restaurants/{slug}/waitlist", status_code=201, responses=problems(*ANY_CALL, 404))
def join_waitlist(
    slug: str, body: WaitlistIn, ctx: ContextDep, caller: CallerDep
) -> WaitlistEntryOut:
    """Put a party on the waitlist, added now; 422 ``party-too-large`` when no table or
    combination of the venue could ever seat it."""
    entry = waitlist.add(
        ctx,
        slug,
        caller,
        body.name,
        body.party_size,
        phone=body.phone,
        quoted_wait_minutes=body.quoted_wait_minutes,
        notes=body.notes,
    )
    return WaitlistEntryOut.of(entry, ctx.clock())


@router.post("/waitlist/{entry_id}/seat", responses=problems(*ANY_CALL, 404, 409))
def seat_from_waitlist(
    entry_id: UUID, ctx: ContextDep, caller: CallerDep, body: SeatIn | None = None
) -> StaffBookingOut:
    """Seat the waiting party now, as a walk-in under its name: on ``tables`` or where the
    allocator would seat it. 409 ``no-availability`` when nothing is free (the party keeps
    waiting), ``invalid-transition`` when it was already seated or removed; 422
    ``outside-service-hours`` when the venue is not open now."""
    tables = None if body is None else body.tables
    return StaffBookingOut.of(waitlist.seat(ctx, entry_id, caller, tables))


@router.delete("/waitlist/{entry_id}", status_code=204, responses=problems(*ANY_CALL, 404, 409))
def leave_waitlist(entry_id: UUID, ctx: ContextDep, caller: CallerDep) -> Response:
    """Take the party off the waitlist (removing it again changes nothing); 409
    ``invalid-transition`` when it was already seated."""
    waitlist.remove(ctx, entry_id, caller)
    return Response(status_code=204)


@router.get("/restaurants/{slug}/flags", responses=problems(*ANY_CALL, 404))
def get_flags(slug: str, ctx: ContextDep, caller: CallerDep) -> dict[str, Any]:
    """Every flag: its default, this venue's override, and the value in force."""
    return _flags_body(management.venue_flags(ctx, slug, caller))


@router.put("/restaurants/{slug}/flags", responses=problems(*ANY_CALL, 404))
def put_flags(
    slug: str, body: dict[str, Any], ctx: ContextDep, caller: CallerDep
) -> dict[str, Any]:
    """Set this venue's overrides: ``{"allocator.max_tables": 2, "allocator.lookahead": null}``
    sets the first and removes the second. All or nothing."""
    return _flags_body(management.change_flags(ctx, slug, body, caller))


@router.put("/restaurants/{slug}", responses=problems(*ANY_CALL, 403, 409))
def put_restaurant(
    slug: str, body: dict[str, Any], ctx: ContextDep, caller: CallerDep
) -> RestaurantOut:
    """(Admin) create or update the venue from its document (the TOML's content as JSON);
    refuses to drop tables that have future allocations."""
    return RestaurantOut.of(management.replace_venue(ctx, slug, body, caller))


def _flags_body(states: list[FlagState]) -> dict[str, Any]:
    return {
        "flags": {
            state.name: {
                "default": state.default,
                "override": state.override if state.overridden else None,
                "overridden": state.overridden,
                "value": state.value,
            }
            for state in states
        }
    }
