"""The waitlist: parties waiting at the host stand, seated from it as walk-ins or removed;
and the lookups that find the restaurant of a waitlist entry or a block by its id alone.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Tenant tables this migration creates: the tenancy test expects each to carry
# restaurant_id in every key and a tenant policy.
TENANT_TABLES = ("waitlist_entries",)

# The limits are those of a booking's guest (DESIGN section 6) and of
# reserve.domain.waitlist. An entry ends once, seated (with the walk-in booking it became)
# or removed, and stays as the record of the wait. A booking seats at most one entry.
# (No colons in the SQL comments: Alembic would read one followed by a word as a bind
# parameter.)
UPGRADE = """
CREATE TABLE waitlist_entries (
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    name text NOT NULL,
    phone text,
    party_size integer NOT NULL,
    quoted_wait_minutes integer,
    notes text NOT NULL DEFAULT '',
    added_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'waiting',
    seated_booking_id uuid,
    ended_at timestamptz,
    PRIMARY KEY (restaurant_id, id),
    FOREIGN KEY (restaurant_id, seated_booking_id) REFERENCES bookings (restaurant_id, id),
    CONSTRAINT waitlist_entries_booking_key UNIQUE (restaurant_id, seated_booking_id),
    CONSTRAINT waitlist_entries_name CHECK (length(name) BETWEEN 1 AND 120),
    CONSTRAINT waitlist_entries_phone CHECK (phone IS NULL OR length(phone) BETWEEN 7 AND 30),
    CONSTRAINT waitlist_entries_party_size CHECK (party_size BETWEEN 1 AND 1000),
    CONSTRAINT waitlist_entries_quoted_wait CHECK (
        quoted_wait_minutes IS NULL OR quoted_wait_minutes BETWEEN 0 AND 600),
    CONSTRAINT waitlist_entries_notes CHECK (length(notes) <= 500),
    CONSTRAINT waitlist_entries_status CHECK (status IN ('waiting', 'seated', 'removed')),
    CONSTRAINT waitlist_entries_seated CHECK ((status = 'seated') = (seated_booking_id IS NOT NULL)),
    CONSTRAINT waitlist_entries_ended CHECK (
        (status = 'waiting') = (ended_at IS NULL) AND (ended_at IS NULL OR ended_at >= added_at))
);
-- The host stand's list, oldest first; ended entries are history and stay out of it.
CREATE INDEX waitlist_entries_waiting ON waitlist_entries (restaurant_id, added_at)
    WHERE status = 'waiting';

ALTER TABLE waitlist_entries ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON waitlist_entries
    USING (restaurant_id = reserve_current_restaurant())
    WITH CHECK (restaurant_id = reserve_current_restaurant());
GRANT SELECT, INSERT, UPDATE, DELETE ON waitlist_entries TO reserve_app;

-- Seating or removing an entry, and removing a block, name it by its id alone; these find
-- its restaurant before the request is scoped, as a booking's and a hold's lookups do.
CREATE FUNCTION reserve_waitlist_restaurant(p_entry uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT restaurant_id FROM waitlist_entries WHERE id = p_entry $$;

CREATE FUNCTION reserve_block_restaurant(p_block uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT restaurant_id FROM blocks WHERE id = p_block $$;

REVOKE ALL ON FUNCTION reserve_waitlist_restaurant(uuid), reserve_block_restaurant(uuid)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reserve_waitlist_restaurant(uuid), reserve_block_restaurant(uuid)
    TO reserve_app;
"""

DOWNGRADE = """
DROP FUNCTION reserve_block_restaurant(uuid), reserve_waitlist_restaurant(uuid);
DROP TABLE waitlist_entries;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
