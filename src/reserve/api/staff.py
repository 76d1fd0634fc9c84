"""Staff routes: the day's bookings, status changes, table changes, the timeline, blocks,
flags, and (admin) the venue document itself. Every one needs a key of the restaurant."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from reserve.api.deps import CallerDep, ContextDep
from reserve.api.openapi import ANY_CALL, problems
from reserve.api.schemas import (
    BlockIn,
    BlockOut,
    BookingOut,
    DayBookingsOut,
    RestaurantOut,
    StatusIn,
    TablesIn,
    clock_time,
    timeline_body,
)
from reserve.domain.booking import Status
from reserve.services import blocks, changes, floor, management
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
    return DayBookingsOut(date=date, bookings=[BookingOut.of(booking) for booking in found])


@router.post("/bookings/{booking_id}/status", responses=problems(*ANY_CALL, 404, 409))
def change_status(
    booking_id: UUID, body: StatusIn, ctx: ContextDep, caller: CallerDep
) -> BookingOut:
    """Move a booking along its lifecycle (seated, completed, no_show...)."""
    return BookingOut.of(changes.set_status(ctx, booking_id, body.status, caller))


@router.put("/bookings/{booking_id}/tables", responses=problems(*ANY_CALL, 404, 409))
def change_tables(
    booking_id: UUID, body: TablesIn, ctx: ContextDep, caller: CallerDep
) -> BookingOut:
    """Seat the booking at other tables, checked as the allocator checks its own."""
    return BookingOut.of(floor.reassign(ctx, booking_id, body.tables, caller))


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
