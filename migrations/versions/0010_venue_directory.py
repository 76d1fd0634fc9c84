"""The venue directory: the guest pages list every venue (slug, name, zone) before they
know one, through a function that runs as its owner, as a slug's lookup does; the
application role can still read nothing else of a restaurant unscoped.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE FUNCTION reserve_venue_directory()
    RETURNS TABLE (slug text, name text, timezone text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT r.slug, r.name, r.timezone FROM restaurants r ORDER BY r.name, r.slug $$;
REVOKE ALL ON FUNCTION reserve_venue_directory() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reserve_venue_directory() TO reserve_app;
"""

DOWNGRADE = """
DROP FUNCTION reserve_venue_directory();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
