"""Indexes for what requests look up by id alone, before they know the restaurant.

``reserve_booking_restaurant``, ``reserve_hold_restaurant``, ``reserve_waitlist_restaurant``
and ``reserve_block_restaurant`` find a row by its id; the primary keys lead with
``restaurant_id``, so without these PostgreSQL searches the key once per restaurant (a skip
scan) or, while its statistics lag behind a growing table, reads the whole table. Confirming
a hold and every request about one booking start with such a lookup.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE INDEX bookings_by_id ON bookings (id);
CREATE INDEX holds_by_id ON holds (id);
CREATE INDEX waitlist_entries_by_id ON waitlist_entries (id);
CREATE INDEX blocks_by_id ON blocks (id);
"""

DOWNGRADE = """
DROP INDEX blocks_by_id;
DROP INDEX waitlist_entries_by_id;
DROP INDEX holds_by_id;
DROP INDEX bookings_by_id;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
