"""Pooled tables: a confirmed booking's tables may move until the party is seated, unless
a host chose them by hand (``tables_pinned``). Every move is recorded beside the booking's
status history, with the tables before and after and who moved them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TENANT_TABLES = ("booking_table_moves",)

# from_tables and to_tables are table labels as they were at the move, sorted, so the
# record reads the same after a floor is renamed or a table removed.
UPGRADE = """
ALTER TABLE bookings ADD COLUMN tables_pinned boolean NOT NULL DEFAULT false;

CREATE TABLE booking_table_moves (
    restaurant_id uuid NOT NULL,
    id bigint GENERATED ALWAYS AS IDENTITY,
    booking_id uuid NOT NULL,
    from_tables text[] NOT NULL,
    to_tables text[] NOT NULL,
    actor text NOT NULL,
    moved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (restaurant_id, id),
    FOREIGN KEY (restaurant_id, booking_id) REFERENCES bookings (restaurant_id, id)
        ON DELETE CASCADE,
    CONSTRAINT booking_table_moves_actor CHECK (length(actor) BETWEEN 1 AND 120),
    CONSTRAINT booking_table_moves_changed CHECK (from_tables <> to_tables)
);
CREATE INDEX booking_table_moves_booking
    ON booking_table_moves (restaurant_id, booking_id, moved_at);

ALTER TABLE booking_table_moves ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON booking_table_moves
    USING (restaurant_id = reserve_current_restaurant())
    WITH CHECK (restaurant_id = reserve_current_restaurant());
GRANT SELECT, INSERT, UPDATE, DELETE ON booking_table_moves TO reserve_app;
"""

DOWNGRADE = """
DROP TABLE booking_table_moves;
ALTER TABLE bookings DROP COLUMN tables_pinned;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
