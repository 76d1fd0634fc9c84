"""Status changes respect the clock: a booking may be seated from ``seat_early_minutes``
before its start, and marked a no-show only ``no_show_grace_minutes`` after it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Constant defaults: PostgreSQL adds the columns without rewriting restaurants, and every
# venue takes the defaults (seat half an hour early, a no-show a quarter of an hour late).
# The bounds are reserve.domain.limits.SEAT_EARLY_MINUTES and NO_SHOW_GRACE_MINUTES.
UPGRADE = """
ALTER TABLE restaurants ADD COLUMN seat_early_minutes integer NOT NULL DEFAULT 30;
ALTER TABLE restaurants ADD CONSTRAINT restaurants_seat_early
    CHECK (seat_early_minutes BETWEEN 0 AND 1440);
ALTER TABLE restaurants ADD COLUMN no_show_grace_minutes integer NOT NULL DEFAULT 15;
ALTER TABLE restaurants ADD CONSTRAINT restaurants_no_show_grace
    CHECK (no_show_grace_minutes BETWEEN 0 AND 1440);
"""

DOWNGRADE = """
ALTER TABLE restaurants DROP COLUMN no_show_grace_minutes;
ALTER TABLE restaurants DROP COLUMN seat_early_minutes;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
