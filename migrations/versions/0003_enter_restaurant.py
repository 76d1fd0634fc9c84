"""One round trip to scope a transaction to a restaurant and learn its version.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = """
-- Scopes the calling transaction to the restaurant of p_slug (as the application does with
-- set_config) and returns its id and version (updated_at), or no row for an unknown slug.
-- Every booking starts with it, so it saves two round trips on the hot path.
CREATE FUNCTION reserve_enter(p_slug text)
    RETURNS TABLE (restaurant_id uuid, version timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
    BEGIN
        RETURN QUERY SELECT r.id, r.updated_at FROM restaurants r WHERE r.slug = p_slug;
        IF FOUND THEN
            PERFORM set_config('reserve.restaurant_id',
                               (SELECT r.id FROM restaurants r WHERE r.slug = p_slug)::text, true);
        END IF;
    END
    $$;
REVOKE ALL ON FUNCTION reserve_enter(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reserve_enter(text) TO reserve_app;
"""

DOWNGRADE = """
DROP FUNCTION reserve_enter(text);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
