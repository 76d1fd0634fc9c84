"""Demand records: every booking request a venue receives, whatever its answer, with its
service date, weekday, local time asked, party size and outcome. Turned-away requests are
the demand a forecast built from bookings never sees; the learned outlook reads them.
``reserve_prune_demand`` deletes those received before a given instant, for every restaurant.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TENANT_TABLES = ("demand_requests",)

# weekday is the service date's ISO weekday less one (Monday 0 .. Sunday 6), kept so that a
# weekday's history is read through the index without computing it for every row.
# kind says what was asked for (a booking, or a hold before one); outcome what the venue
# answered. (No colons in the SQL comments: Alembic would read one followed by a word as a
# bind parameter.)
UPGRADE = """
CREATE TABLE demand_requests (
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    received_at timestamptz NOT NULL,
    service_date date NOT NULL,
    weekday smallint NOT NULL,
    local_time time NOT NULL,
    party_size integer NOT NULL,
    kind text NOT NULL,
    source text NOT NULL,
    outcome text NOT NULL,
    booking_id uuid,
    PRIMARY KEY (restaurant_id, id),
    CONSTRAINT demand_requests_weekday CHECK (
        weekday BETWEEN 0 AND 6 AND weekday = extract(isodow FROM service_date) - 1),
    CONSTRAINT demand_requests_party_size CHECK (party_size BETWEEN 1 AND 1000),
    CONSTRAINT demand_requests_kind CHECK (kind IN ('booking', 'hold')),
    CONSTRAINT demand_requests_source CHECK (
        source IN ('web', 'phone', 'walk_in', 'staff', 'load_test')),
    CONSTRAINT demand_requests_outcome CHECK (
        outcome IN ('confirmed', 'pending', 'held', 'full', 'paced', 'declined', 'not_offered'))
);
CREATE INDEX demand_requests_day ON demand_requests (restaurant_id, service_date);
CREATE INDEX demand_requests_weekday ON demand_requests (restaurant_id, weekday, service_date);
CREATE INDEX demand_requests_received ON demand_requests (received_at);

ALTER TABLE demand_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON demand_requests
    USING (restaurant_id = reserve_current_restaurant())
    WITH CHECK (restaurant_id = reserve_current_restaurant());
GRANT SELECT, INSERT, UPDATE, DELETE ON demand_requests TO reserve_app;

-- Retention, beside reserve_prune: the server prunes as reserve_app, unscoped, so row-level
-- security would show it no row; the delete runs as the owner, and only this one.
CREATE FUNCTION reserve_prune_demand(p_received_before timestamptz)
    RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        WITH pruned AS (
            DELETE FROM demand_requests WHERE received_at < p_received_before RETURNING 1
        )
        SELECT count(*) FROM pruned
    $$;
REVOKE ALL ON FUNCTION reserve_prune_demand(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reserve_prune_demand(timestamptz) TO reserve_app;
"""

DOWNGRADE = """
DROP FUNCTION reserve_prune_demand(timestamptz);
DROP TABLE demand_requests;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
