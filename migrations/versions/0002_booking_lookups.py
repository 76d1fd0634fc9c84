"""Booking lookups: find the restaurant of a booking or hold before the request is scoped,
and why a booking is pending.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
-- 'approval': the party is above the venue's online limit and waits for staff;
-- 'allocation': tables could not be chosen in time, the background allocator retries.
ALTER TABLE bookings ADD COLUMN pending_reason text;
ALTER TABLE bookings ADD CONSTRAINT bookings_pending_reason CHECK (
    (status = 'pending') = (pending_reason IS NOT NULL)
    AND (pending_reason IS NULL OR pending_reason IN ('approval', 'allocation')));
CREATE INDEX bookings_pending ON bookings (restaurant_id, start_at) WHERE status = 'pending';

CREATE FUNCTION reserve_booking_restaurant(p_booking uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT restaurant_id FROM bookings WHERE id = p_booking $$;

CREATE FUNCTION reserve_hold_restaurant(p_hold uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT restaurant_id FROM holds WHERE id = p_hold $$;

-- The background allocator works across restaurants: it lists the pending bookings it may
-- retry, then handles each in a transaction scoped to its restaurant.
CREATE FUNCTION reserve_pending_allocations(p_before timestamptz)
    RETURNS TABLE (restaurant_id uuid, booking_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        SELECT restaurant_id, id FROM bookings
         WHERE status = 'pending' AND pending_reason = 'allocation' AND start_at > p_before
         ORDER BY start_at
    $$;

REVOKE ALL ON FUNCTION reserve_booking_restaurant(uuid), reserve_hold_restaurant(uuid),
    reserve_pending_allocations(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reserve_booking_restaurant(uuid), reserve_hold_restaurant(uuid),
    reserve_pending_allocations(timestamptz) TO reserve_app;
"""

DOWNGRADE = """
DROP FUNCTION reserve_pending_allocations(timestamptz), reserve_hold_restaurant(uuid),
    reserve_booking_restaurant(uuid);
DROP INDEX bookings_pending;
ALTER TABLE bookings DROP CONSTRAINT bookings_pending_reason;
ALTER TABLE bookings DROP COLUMN pending_reason;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
