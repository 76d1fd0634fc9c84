"""A guest who needs more time extends their hold, a bounded number of times (WCAG 2.2.1);
a venue names the origins of its own website that may frame its booking page.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Both columns have a constant default, so PostgreSQL adds them without rewriting the
# tables (the default is kept in the catalog), and the lock each ALTER takes is brief; the
# CHECK's validation reads holds, which keeps only live holds and those not yet purged.
# Its bound is reserve.domain.limits.MAX_HOLD_EXTENSIONS. (No colons in the SQL comments:
# Alembic would read one followed by a word as a bind parameter.)
UPGRADE = """
ALTER TABLE holds ADD COLUMN extensions smallint NOT NULL DEFAULT 0;
ALTER TABLE holds ADD CONSTRAINT holds_extensions CHECK (extensions BETWEEN 0 AND 10);

-- Origins (a scheme, a host and an optional port, lower case) allowed to frame the venue's
-- booking page, as Content-Security-Policy frame-ancestors; none by default.
ALTER TABLE restaurants ADD COLUMN embed_origins text[] NOT NULL DEFAULT '{}';
"""

DOWNGRADE = """
ALTER TABLE restaurants DROP COLUMN embed_origins;
ALTER TABLE holds DROP CONSTRAINT holds_extensions;
ALTER TABLE holds DROP COLUMN extensions;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
