"""What the server's metrics read from the database, for every restaurant at once:
``reserve_observe()`` answers the application role with counts and ages only (holds live,
pending bookings, the confirmation results' rows, size and oldest), never a row.

It runs as the schema's owner, so row-level security, which would limit it to one
restaurant, does not apply; like ``reserve_prune``, only ``reserve_app`` may call it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE FUNCTION reserve_observe()
    RETURNS TABLE (
        holds_live bigint,
        pending bigint,
        pending_oldest_age_seconds float8,
        pending_next_start_seconds float8,
        results_rows bigint,
        results_bytes bigint,
        results_oldest_age_seconds float8
    )
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        SELECT
            (SELECT count(*) FROM holds WHERE expires_at > now()),
            p.pending,
            extract(epoch FROM now() - p.oldest)::float8,
            extract(epoch FROM p.next_start - now())::float8,
            -- Counted while the table is small; past that, the planner's estimate (kept
            -- by autovacuum) costs nothing where a count would read every row.
            CASE WHEN c.reltuples BETWEEN 0 AND 100000 OR c.reltuples < 0
                 THEN (SELECT count(*) FROM booking_confirmation_results)
                 ELSE c.reltuples::bigint END,
            pg_total_relation_size(c.oid),
            (SELECT extract(epoch FROM now() - min(created_at))::float8
               FROM booking_confirmation_results)
          FROM pg_class AS c,
               (SELECT count(*) AS pending,
                       min(created_at) AS oldest,
                       min(start_at) FILTER (WHERE end_at > now()) AS next_start
                  FROM bookings WHERE status = 'pending') AS p
         WHERE c.oid = 'public.booking_confirmation_results'::regclass
    $$;
REVOKE ALL ON FUNCTION reserve_observe() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reserve_observe() TO reserve_app;
"""

DOWNGRADE = """
DROP FUNCTION reserve_observe();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
