"""A booking's history: every status it has had and every move of its tables, who made
each and when, for the staff of its venue."""

from __future__ import annotations

from uuid import UUID

from reserve.db import bookings as store
from reserve.db.database import Connection
from reserve.domain.booking import HistoryEntry
from reserve.services.authorisation import Caller, booking_for
from reserve.services.context import Context


def booking_history(ctx: Context, booking_id: UUID, caller: Caller) -> list[HistoryEntry]:
    """The booking's transitions and table moves in time order (staff of its venue; anyone
    else, a guest holding its manage token included, is told there is no such booking)."""

    def work(conn: Connection) -> list[HistoryEntry]:
        state, booking = booking_for(ctx, conn, booking_id, caller, staff=True)
        return store.history(conn, state.restaurant_id, booking.id, state.venue)

    return ctx.database.run(work)
