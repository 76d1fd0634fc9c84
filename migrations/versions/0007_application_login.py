"""Requests log in as reserve_app itself, rather than as the schema's owner with
``SET ROLE reserve_app`` (which one ``RESET ROLE`` would undo).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The role still owns nothing and bypasses nothing; ``reserve db migrate`` gives it its
# password when RESERVE_APP_PASSWORD is set.
UPGRADE = "ALTER ROLE reserve_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"

# Nothing to undo: the role is shared by every database of the cluster (as in 0001), and
# other databases of it may already log in with it.
DOWNGRADE = "SELECT 1"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
