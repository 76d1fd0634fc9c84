"""Staff routes: the day's bookings, status changes, table changes, the timeline, blocks,
flags, and (admin) the venue document itself. Every one needs a key of the restaurant."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from reserve.api.deps import BookingsDep, CallerDep, DatabaseDep
from reserve.api.schemas import (
    BlockIn,
    BookingOut,
    DayBookingsOut,
    RestaurantOut,
    StatusIn,
    TablesIn,
    clock_time,
)
from reserve.db.database import Connection, scope_to_restaurant
from reserve.domain.booking import Status
from reserve.domain.errors import Forbidden, InvalidRequest, NotFound, Unauthorized
from reserve.domain.venue_document import parse_venue_document
from reserve.services import flags as flag_service
from reserve.services.bookings import Caller
from reserve.services.keys import Role
from reserve.services.venues import find_venue, import_venue

router = APIRouter(prefix="/v1", tags=["staff"])


@router.get("/restaurants/{slug}/bookings")
def day_bookings(
    slug: str,
    bookings: BookingsDep,
    caller: CallerDep,
    date: Annotated[dt.date, Query()],
    status: Annotated[list[Status] | None, Query()] = None,
) -> DayBookingsOut:
    """The day's bookings, optionally of some statuses only."""
    rows = bookings.bookings_of_day(slug, date, status, caller)
    return DayBookingsOut(date=date, bookings=[BookingOut.model_validate(r) for r in rows])


@router.post("/bookings/{booking_id}/status", responses={409: {}})
def change_status(
    booking_id: UUID, body: StatusIn, bookings: BookingsDep, caller: CallerDep
) -> BookingOut:
    """Move a booking along its lifecycle (seated, completed, no_show...)."""
    return BookingOut.model_validate(bookings.set_status(booking_id, body.status, caller))


@router.put("/bookings/{booking_id}/tables", responses={409: {}})
def change_tables(
    booking_id: UUID, body: TablesIn, bookings: BookingsDep, caller: CallerDep
) -> BookingOut:
    """Seat the booking at other tables, checked as the allocator checks its own."""
    return BookingOut.model_validate(bookings.reassign(booking_id, body.tables, caller))


@router.get("/restaurants/{slug}/timeline")
def timeline(
    slug: str, bookings: BookingsDep, caller: CallerDep, date: Annotated[dt.date, Query()]
) -> dict[str, Any]:
    """Every table and what occupies it that day, windows as occupied (buffer included)."""
    return bookings.timeline(slug, date, caller)


@router.post("/restaurants/{slug}/blocks", status_code=201, responses={409: {}})
def block_tables(
    slug: str, body: BlockIn, bookings: BookingsDep, caller: CallerDep
) -> dict[str, Any]:
    """Take tables out of service for a window."""
    return bookings.block(
        slug,
        body.tables,
        body.date,
        clock_time(body.start),
        clock_time(body.end),
        body.reason,
        caller,
    )


@router.get("/restaurants/{slug}/flags")
def get_flags(slug: str, database: DatabaseDep, caller: CallerDep) -> dict[str, Any]:
    """Every flag: its default, this venue's override, and the value in force."""
    with database.transaction() as conn:
        restaurant = _staff_restaurant(conn, slug, caller)
        states = flag_service.flag_states(conn, restaurant)
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


@router.put("/restaurants/{slug}/flags")
def put_flags(
    slug: str, body: dict[str, Any], database: DatabaseDep, caller: CallerDep
) -> dict[str, Any]:
    """Set this venue's overrides: ``{"allocator.max_tables": 2, "allocator.lookahead": null}``
    sets the first and removes the second. All or nothing."""
    with database.transaction() as conn:
        restaurant = _staff_restaurant(conn, slug, caller)
        for name, value in body.items():
            if value is None:
                flag_service.unset_override(conn, restaurant, name)
            else:
                flag_service.set_override(conn, restaurant, name, value)
    return get_flags(slug, database, caller)


@router.put("/restaurants/{slug}")
def put_restaurant(
    slug: str, body: dict[str, Any], database: DatabaseDep, caller: CallerDep
) -> RestaurantOut:
    """(Admin) create or update the venue from its document (the TOML's content as JSON);
    refuses to drop tables that have future allocations."""
    if caller.principal is None:
        raise Unauthorized("this needs an admin key")
    if caller.principal.role is not Role.ADMIN:
        raise Forbidden("only an admin key may change a venue")
    venue = parse_venue_document(body)
    if venue.slug != slug:
        raise InvalidRequest(f"the document's slug {venue.slug!r} is not {slug!r}")
    with database.transaction() as conn:
        import_venue(conn, venue)
        return RestaurantOut.of(find_venue(conn, slug))


def _staff_restaurant(conn: Connection, slug: str, caller: Caller) -> UUID:
    if caller.principal is None:
        raise Unauthorized("this needs a staff key: Authorization: Bearer <key>")
    restaurant = flag_service.restaurant_id(conn, slug)
    if not caller.principal.may_manage(restaurant):
        raise NotFound(f"no restaurant {slug!r}")
    scope_to_restaurant(conn, restaurant)
    return restaurant
