"""The background allocator: bookings left pending because their table search ran out of
time are tried again until shortly before they start."""

from __future__ import annotations

from datetime import timedelta

from reserve.db import bookings
from reserve.domain.booking import Status
from reserve.domain.errors import ReserveError
from reserve.services.authorisation import ALLOCATOR
from reserve.services.changes import set_status
from reserve.services.context import Context

# Retrying stops this long before a pending booking's start.
PENDING_CUTOFF = timedelta(minutes=15)


def retry_pending(ctx: Context) -> int:
    """Try once more to seat every booking left pending for want of time; how many were
    confirmed."""
    before = ctx.clock() + PENDING_CUTOFF
    pending = ctx.database.run(lambda conn: bookings.pending_allocations(conn, before))
    confirmed = 0
    for booking_id in pending:
        try:
            set_status(ctx, booking_id, Status.CONFIRMED, ALLOCATOR)
        except ReserveError:  # no table yet, taken by another worker, venue busy...
            continue
        confirmed += 1
    return confirmed
