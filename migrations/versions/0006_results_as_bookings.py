"""An idempotency record keeps the booking a request made, not an HTTP response: the
status it was answered with follows from the booking's own status.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE booking_confirmation_results DROP CONSTRAINT booking_confirmation_results_status;
ALTER TABLE booking_confirmation_results DROP COLUMN response_status;
ALTER TABLE booking_confirmation_results RENAME COLUMN response_body TO result;
"""

# Every stored result is a booking made: pending ones were answered 202, the others 201.
DOWNGRADE = """
ALTER TABLE booking_confirmation_results RENAME COLUMN result TO response_body;
ALTER TABLE booking_confirmation_results ADD COLUMN response_status smallint;
UPDATE booking_confirmation_results
   SET response_status = CASE response_body->>'status' WHEN 'pending' THEN 202 ELSE 201 END;
ALTER TABLE booking_confirmation_results ALTER COLUMN response_status SET NOT NULL;
ALTER TABLE booking_confirmation_results ADD CONSTRAINT booking_confirmation_results_status
    CHECK (response_status BETWEEN 100 AND 599);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
