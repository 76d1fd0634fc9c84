"""Who may do what, for every use case: guests holding a booking's manage token, staff of
a restaurant, admins, and the product's own background processes.

Whatever a caller may not see is answered as if it did not exist (``NotFound``), so an id
or a slug tells nobody else anything.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from uuid import UUID

from reserve.db import bookings
from reserve.db.database import Connection
from reserve.domain.access import Principal, Role
from reserve.domain.booking import Booking
from reserve.domain.errors import Forbidden, NotFound, Unauthorized
from reserve.services.context import Context
from reserve.services.keys import hash_key
from reserve.services.venue_state import VenueState


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: a guest (maybe holding a booking's manage token), a key's principal,
    or one of the product's own processes (``system``), which acts as every venue's staff."""

    principal: Principal | None = None
    manage_token: str | None = None
    system: str | None = None

    def is_staff_of(self, restaurant_id: UUID) -> bool:
        if self.system is not None:
            return True
        return self.principal is not None and self.principal.may_manage(restaurant_id)

    @property
    def actor(self) -> str:
        """How the booking history names the caller."""
        if self.system is not None:
            return f"system:{self.system}"
        if self.principal is None:
            return "guest"
        return f"{self.principal.role}:{str(self.principal.key_id)[:8]}"


# The background allocator, as the history of the bookings it seats names it.
ALLOCATOR = Caller(system="allocator")


def require_staff(caller: Caller) -> None:
    if caller.principal is None and caller.system is None:
        raise Unauthorized("this needs a staff key: Authorization: Bearer <key>")


def require_admin(caller: Caller) -> None:
    if caller.principal is None:
        raise Unauthorized("this needs an admin key")
    if caller.principal.role is not Role.ADMIN:
        raise Forbidden("only an admin key may change a venue")


def staff_venue(ctx: Context, conn: Connection, slug: str, caller: Caller) -> VenueState:
    """The venue named ``slug``, the transaction scoped to it, if the caller is its staff."""
    require_staff(caller)
    state = ctx.venues.scoped(conn, slug)
    if not caller.is_staff_of(state.restaurant_id):
        raise NotFound(f"no restaurant {slug!r}")
    return state


def booking_for(
    ctx: Context,
    conn: Connection,
    booking_id: UUID,
    caller: Caller,
    *,
    lock: bool = False,
    staff: bool = False,
) -> tuple[VenueState, Booking]:
    """The booking and its venue, the transaction scoped to it, if the caller may see it
    (with ``staff``, only its restaurant's staff may); else as if it did not exist. With
    ``lock``, the booking is locked against other changes until the transaction ends."""
    restaurant_id = bookings.restaurant_of(conn, booking_id)
    if restaurant_id is None:
        raise NotFound("no such booking")
    state = ctx.venues.of(conn, restaurant_id)
    stored = bookings.get_booking(conn, restaurant_id, booking_id, state.venue, lock=lock)
    if stored is None or not _may_see(ctx, caller, restaurant_id, stored, staff=staff):
        raise NotFound("no such booking")
    return state, stored.booking


def _may_see(
    ctx: Context,
    caller: Caller,
    restaurant_id: UUID,
    stored: bookings.StoredBooking,
    *,
    staff: bool,
) -> bool:
    if caller.is_staff_of(restaurant_id):
        return True
    if staff or caller.manage_token is None:
        return False
    given = hash_key(ctx.secret, caller.manage_token)
    return hmac.compare_digest(stored.manage_token_hash, given)
