"""No manage token at rest: idempotency records made before kept the token in the booking
they replay; a retry now derives it again from the secret, for the caller who booked.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = """
UPDATE booking_confirmation_results SET result = result - 'manage_token'
 WHERE result ? 'manage_token';
"""

# The tokens are gone for good, which is the point; a replay then answers without one.
DOWNGRADE = "SELECT 1"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
