"""Retention in one call: idempotency records past their keeping time and expired holds, of
every restaurant.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = """
-- The server prunes in the background as reserve_app, unscoped, so row-level security would
-- show it no row: the deletes run as the owner, and only these two can be asked for.
-- A hold being confirmed is locked (FOR UPDATE) until its booking commits; its delete here
-- waits for that and then finds nothing to remove.
CREATE FUNCTION reserve_prune(p_now timestamptz, p_results_before timestamptz)
    RETURNS TABLE (results_deleted bigint, holds_deleted bigint)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        WITH results AS (
            DELETE FROM booking_confirmation_results WHERE created_at < p_results_before
            RETURNING 1
        ), expired AS (
            DELETE FROM holds WHERE expires_at <= p_now RETURNING 1
        )
        SELECT (SELECT count(*) FROM results), (SELECT count(*) FROM expired)
    $$;
REVOKE ALL ON FUNCTION reserve_prune(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reserve_prune(timestamptz, timestamptz) TO reserve_app;
"""

DOWNGRADE = """
DROP FUNCTION reserve_prune(timestamptz, timestamptz);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
