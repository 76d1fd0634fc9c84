"""The host stand's live updates: every change of what a venue's floor shows notifies the
channel ``reserve_floor``, naming the restaurant and the service date changed (``*`` for
any day), so open pages refresh without a reload.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The payload is "<restaurant id> <YYYY-MM-DD>" or "<restaurant id> *". PostgreSQL sends a
# transaction's notifications when it commits (none when it rolls back) and folds identical
# ones, so a booking that writes its row, its allocations and its history sends one.
#
# Bookings, holds and allocations carry their service date. Blocks, waitlist entries and the
# floor itself (tables, zones, and the restaurant row that every import and flag change
# touches) say any day: they change seldom, and a block's own days come with its
# allocations anyway. to_char, not a cast, so that no session's DateStyle changes the date.
DAY_TABLES = ("bookings", "holds", "allocations")
ANY_DAY_TABLES = ("blocks", "waitlist_entries", "tables", "zones")

FUNCTIONS = """
CREATE FUNCTION reserve_floor_changed_on_day() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('reserve_floor',
            OLD.restaurant_id::text || ' ' || to_char(OLD.service_date, 'YYYY-MM-DD'));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('reserve_floor',
            NEW.restaurant_id::text || ' ' || to_char(NEW.service_date, 'YYYY-MM-DD'));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION reserve_floor_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('reserve_floor', OLD.restaurant_id::text || ' *');
    ELSE
        PERFORM pg_notify('reserve_floor', NEW.restaurant_id::text || ' *');
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION reserve_venue_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('reserve_floor', OLD.id::text || ' *');
    RETURN NULL;
END
$$;
"""


def _trigger(table: str, function: str, events: str = "INSERT OR UPDATE OR DELETE") -> str:
    return (
        f"CREATE TRIGGER {table}_floor_changed AFTER {events} ON {table}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION {function}();\n"
    )


UPGRADE = (
    FUNCTIONS
    + "".join(_trigger(table, "reserve_floor_changed_on_day") for table in DAY_TABLES)
    + "".join(_trigger(table, "reserve_floor_changed") for table in ANY_DAY_TABLES)
    # A new restaurant has nobody watching it yet.
    + _trigger("restaurants", "reserve_venue_changed", "UPDATE OR DELETE")
)

DOWNGRADE = (
    "".join(
        f"DROP TRIGGER {table}_floor_changed ON {table};\n"
        for table in (*DAY_TABLES, *ANY_DAY_TABLES, "restaurants")
    )
    + "DROP FUNCTION reserve_venue_changed(), reserve_floor_changed(),"
    " reserve_floor_changed_on_day();\n"
)


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
