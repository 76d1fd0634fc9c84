"""Reads that stay fast as history grows: no allocation lasts more than 36 hours, so a
day's occupancy is read through an index on window starts; idempotency records are aged
through an index of their own.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = """
-- A turn lasts at most 24 hours and the buffer at most 12, so a booking's or hold's window
-- is at most 36 hours; a block covers part of one day. Any window overlapping [a, b) then
-- starts within [a - 36 hours, b), and allocations_start finds those without reading the
-- rest of the table. The start is a column of its own because row-level security lets
-- only leakproof operators into an index scan: comparing timestamps qualifies, the range
-- operators (&&, lower()) do not.
ALTER TABLE restaurants DROP CONSTRAINT restaurants_buffer;
ALTER TABLE restaurants ADD CONSTRAINT restaurants_buffer CHECK (buffer_minutes BETWEEN 0 AND 720);
ALTER TABLE allocations ADD CONSTRAINT allocations_window_short
    CHECK (upper(occupied) - lower(occupied) <= interval '36 hours');
ALTER TABLE allocations ADD COLUMN starts_at timestamptz
    GENERATED ALWAYS AS (lower(occupied)) STORED;
CREATE INDEX allocations_start ON allocations (restaurant_id, starts_at);

-- Retention deletes by age across restaurants, which an index leading with restaurant_id
-- serves poorly; and led by restaurant_id it competed with the primary key for the
-- idempotency lookup, which a generic plan could then run through every record.
DROP INDEX booking_confirmation_results_age;
CREATE INDEX booking_confirmation_results_age ON booking_confirmation_results (created_at);
"""

DOWNGRADE = """
DROP INDEX booking_confirmation_results_age;
CREATE INDEX booking_confirmation_results_age
    ON booking_confirmation_results (restaurant_id, created_at);
DROP INDEX allocations_start;
ALTER TABLE allocations DROP COLUMN starts_at;
ALTER TABLE allocations DROP CONSTRAINT allocations_window_short;
ALTER TABLE restaurants DROP CONSTRAINT restaurants_buffer;
ALTER TABLE restaurants ADD CONSTRAINT restaurants_buffer CHECK (buffer_minutes >= 0);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
