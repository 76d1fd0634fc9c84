"""Bookings, holds and allocations no longer notify inside their transaction: their
triggers only say what changed (a NOTICE, ``reserve_floor <restaurant id> <date>``), and
the application sends the notification once the transaction has committed.

A transaction that has called ``pg_notify`` takes one lock for the whole cluster at its
commit and holds it until the commit is on disk, so notifying commits flush one at a time:
booking throughput fell by a fifth to a third over HTTP (bench/README.md, "What the
notifications cost"). The tables that change seldom (blocks, the waitlist, the floor, the
restaurant) keep notifying from their triggers.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SAID = """
CREATE OR REPLACE FUNCTION reserve_floor_changed_on_day() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE NOTICE USING MESSAGE = 'reserve_floor ' || OLD.restaurant_id::text || ' '
            || to_char(OLD.service_date, 'YYYY-MM-DD');
    END IF;
    IF TG_OP <> 'DELETE' THEN
        RAISE NOTICE USING MESSAGE = 'reserve_floor ' || NEW.restaurant_id::text || ' '
            || to_char(NEW.service_date, 'YYYY-MM-DD');
    END IF;
    RETURN NULL;
END
$$;
"""

NOTIFIED = """
CREATE OR REPLACE FUNCTION reserve_floor_changed_on_day() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('reserve_floor',
            OLD.restaurant_id::text || ' ' || to_char(OLD.service_date, 'YYYY-MM-DD'));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('reserve_floor',
            NEW.restaurant_id::text || ' ' || to_char(NEW.service_date, 'YYYY-MM-DD'));
    END IF;
    RETURN NULL;
END
$$;
"""


def upgrade() -> None:
    op.execute(SAID)


def downgrade() -> None:
    op.execute(NOTIFIED)
