"""Schema v1: venues, floors, bookings, holds, blocks, allocations, idempotency, flags, keys.

Every tenant table carries ``restaurant_id`` and every primary, unique, exclusion and
foreign key between tenant tables includes it, so the schema can be distributed by
restaurant. Requests run as ``reserve_app``, a role that owns nothing and sees only the
rows of the restaurant named by the transaction setting ``reserve.restaurant_id``.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "services",
    "turn_time_bands",
    "service_periods",
    "closures",
    "zones",
    "tables",
    "table_adjacency",
    "bookings",
    "booking_status_history",
    "holds",
    "blocks",
    "allocations",
    "booking_confirmation_results",
    "feature_flag_overrides",
)

UPGRADE = r"""
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Roles are shared by every database of a cluster: create the application role only once.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reserve_app') THEN
        CREATE ROLE reserve_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END
$$;

-- The restaurant a request is scoped to; NULL (and so no rows) when none is set.
CREATE FUNCTION reserve_current_restaurant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('reserve.restaurant_id', true), '')::uuid $$;

CREATE TABLE restaurants (
    id uuid PRIMARY KEY,
    slug text NOT NULL,
    name text NOT NULL,
    timezone text NOT NULL,
    slot_interval_minutes integer NOT NULL,
    hold_ttl_seconds integer NOT NULL,
    buffer_minutes integer NOT NULL,
    max_online_party_size integer NOT NULL,
    booking_horizon_days integer NOT NULL,
    lead_time_minutes integer NOT NULL DEFAULT 0,
    max_covers_per_slot integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT restaurants_slug_key UNIQUE (slug),
    CONSTRAINT restaurants_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 64),
    CONSTRAINT restaurants_name_length CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT restaurants_slot_interval CHECK (
        slot_interval_minutes BETWEEN 5 AND 240 AND 1440 % slot_interval_minutes = 0),
    CONSTRAINT restaurants_hold_ttl CHECK (hold_ttl_seconds >= 10),
    CONSTRAINT restaurants_buffer CHECK (buffer_minutes >= 0),
    CONSTRAINT restaurants_max_online_party CHECK (max_online_party_size >= 1),
    CONSTRAINT restaurants_horizon CHECK (booking_horizon_days >= 1),
    CONSTRAINT restaurants_lead_time CHECK (lead_time_minutes >= 0),
    CONSTRAINT restaurants_pacing CHECK (max_covers_per_slot IS NULL OR max_covers_per_slot >= 1)
);

CREATE TABLE services (
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    name text NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (restaurant_id, name),
    CONSTRAINT services_name_length CHECK (length(name) BETWEEN 1 AND 40)
);

CREATE TABLE turn_time_bands (
    restaurant_id uuid NOT NULL,
    service text NOT NULL,
    max_party_size integer NOT NULL,
    minutes integer NOT NULL,
    PRIMARY KEY (restaurant_id, service, max_party_size),
    FOREIGN KEY (restaurant_id, service) REFERENCES services (restaurant_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT turn_time_bands_party CHECK (max_party_size >= 1),
    CONSTRAINT turn_time_bands_minutes CHECK (minutes BETWEEN 1 AND 1440)
);

-- end_time '24:00' is midnight at the end of the day.
CREATE TABLE service_periods (
    restaurant_id uuid NOT NULL,
    id uuid NOT NULL,
    service text NOT NULL,
    weekdays smallint[] NOT NULL,
    start_time time NOT NULL,
    end_time time NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (restaurant_id, id),
    FOREIGN KEY (restaurant_id, service) REFERENCES services (restaurant_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT service_periods_weekdays CHECK (
        cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ '{1,2,3,4,5,6,7}'::smallint[]),
    CONSTRAINT service_periods_order CHECK (start_time < end_time)
);

CREATE TABLE closures (
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    closed_on date NOT NULL,
    reason text NOT NULL DEFAULT '',
    PRIMARY KEY (restaurant_id, closed_on),
    CONSTRAINT closures_reason_length CHECK (length(reason) <= 200)
);

CREATE TABLE zones (
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    key text NOT NULL,
    name text NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (restaurant_id, id),
    CONSTRAINT zones_key_key UNIQUE (restaurant_id, key),
    CONSTRAINT zones_key_format CHECK (key ~ '^[a-z0-9]+([-_][a-z0-9]+)*$' AND length(key) <= 40),
    CONSTRAINT zones_name_length CHECK (length(name) BETWEEN 1 AND 80)
);

CREATE TABLE tables (
    restaurant_id uuid NOT NULL,
    id uuid NOT NULL,
    zone_id uuid NOT NULL,
    label text NOT NULL,
    capacity integer NOT NULL,
    min_party integer NOT NULL,
    max_party integer NOT NULL,
    category text NOT NULL DEFAULT 'dining',
    seating text NOT NULL DEFAULT 'standard',
    combinable boolean NOT NULL DEFAULT true,
    active boolean NOT NULL DEFAULT true,
    position integer NOT NULL,
    PRIMARY KEY (restaurant_id, id),
    CONSTRAINT tables_label_key UNIQUE (restaurant_id, label),
    -- The target of the adjacency foreign keys: naming the zone there keeps pairs in one zone.
    CONSTRAINT tables_zone_key UNIQUE (restaurant_id, id, zone_id),
    FOREIGN KEY (restaurant_id, zone_id) REFERENCES zones (restaurant_id, id),
    CONSTRAINT tables_label_length CHECK (length(label) BETWEEN 1 AND 32),
    CONSTRAINT tables_capacity CHECK (capacity BETWEEN 1 AND 1000),
    CONSTRAINT tables_party_range CHECK (min_party >= 1 AND min_party <= max_party)
);

-- Each undirected pair once: table_a < table_b. Both tables must be in zone_id.
CREATE TABLE table_adjacency (
    restaurant_id uuid NOT NULL,
    zone_id uuid NOT NULL,
    table_a uuid NOT NULL,
    table_b uuid NOT NULL,
    PRIMARY KEY (restaurant_id, table_a, table_b),
    FOREIGN KEY (restaurant_id, table_a, zone_id) REFERENCES tables (restaurant_id, id, zone_id)
        ON DELETE CASCADE ON UPDATE CASCADE,
    FOREIGN KEY (restaurant_id, table_b, zone_id) REFERENCES tables (restaurant_id, id, zone_id)
        ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT table_adjacency_canonical CHECK (table_a < table_b)
);
CREATE INDEX table_adjacency_b ON table_adjacency (restaurant_id, table_b);

CREATE TABLE bookings (
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    reference text NOT NULL,
    status text NOT NULL,
    party_size integer NOT NULL,
    service_date date NOT NULL,
    local_time time NOT NULL,
    start_at timestamptz NOT NULL,
    end_at timestamptz NOT NULL,
    zone_id uuid,
    guest_name text NOT NULL,
    guest_email text,
    guest_phone text,
    notes text NOT NULL DEFAULT '',
    source text NOT NULL,
    manage_token_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (restaurant_id, id),
    CONSTRAINT bookings_reference_key UNIQUE (restaurant_id, reference),
    FOREIGN KEY (restaurant_id, zone_id) REFERENCES zones (restaurant_id, id)
        ON DELETE SET NULL (zone_id),
    CONSTRAINT bookings_status CHECK (
        status IN ('pending', 'confirmed', 'seated', 'completed', 'cancelled', 'no_show')),
    CONSTRAINT bookings_source CHECK (
        source IN ('web', 'phone', 'walk_in', 'staff', 'load_test')),
    CONSTRAINT bookings_reference_format CHECK (reference ~ '^[A-Z0-9]{4,16}$'),
    CONSTRAINT bookings_party_size CHECK (party_size BETWEEN 1 AND 1000),
    CONSTRAINT bookings_times CHECK (start_at < end_at),
    CONSTRAINT bookings_guest_name CHECK (length(guest_name) BETWEEN 1 AND 120),
    CONSTRAINT bookings_guest_email CHECK (guest_email IS NULL OR length(guest_email) BETWEEN 3 AND 254),
    CONSTRAINT bookings_guest_phone CHECK (guest_phone IS NULL OR length(guest_phone) BETWEEN 7 AND 30),
    CONSTRAINT bookings_notes CHECK (length(notes) <= 500)
);
CREATE INDEX bookings_day ON bookings (restaurant_id, service_date, local_time);

CREATE TABLE booking_status_history (
    restaurant_id uuid NOT NULL,
    id bigint GENERATED ALWAYS AS IDENTITY,
    booking_id uuid NOT NULL,
    from_status text,
    to_status text NOT NULL,
    actor text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (restaurant_id, id),
    FOREIGN KEY (restaurant_id, booking_id) REFERENCES bookings (restaurant_id, id) ON DELETE CASCADE,
    CONSTRAINT booking_status_history_statuses CHECK (
        (from_status IS NULL OR from_status IN
            ('pending', 'confirmed', 'seated', 'completed', 'cancelled', 'no_show'))
        AND to_status IN ('pending', 'confirmed', 'seated', 'completed', 'cancelled', 'no_show')),
    CONSTRAINT booking_status_history_actor CHECK (length(actor) BETWEEN 1 AND 120)
);
CREATE INDEX booking_status_history_booking
    ON booking_status_history (restaurant_id, booking_id, changed_at);

CREATE TABLE holds (
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    party_size integer NOT NULL,
    service_date date NOT NULL,
    local_time time NOT NULL,
    start_at timestamptz NOT NULL,
    end_at timestamptz NOT NULL,
    zone_id uuid,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (restaurant_id, id),
    FOREIGN KEY (restaurant_id, zone_id) REFERENCES zones (restaurant_id, id)
        ON DELETE SET NULL (zone_id),
    CONSTRAINT holds_party_size CHECK (party_size BETWEEN 1 AND 1000),
    CONSTRAINT holds_times CHECK (start_at < end_at)
);
CREATE INDEX holds_expiry ON holds (restaurant_id, expires_at);

CREATE TABLE blocks (
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    start_at timestamptz NOT NULL,
    end_at timestamptz NOT NULL,
    reason text NOT NULL DEFAULT '',
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (restaurant_id, id),
    CONSTRAINT blocks_times CHECK (start_at < end_at),
    CONSTRAINT blocks_reason_length CHECK (length(reason) <= 200)
);

-- One row per table and occupied window [start, end + buffer), owned by exactly one booking,
-- hold or block. allocations_no_overlap is the invariant: no two windows of one table of
-- one restaurant overlap, whatever the application does.
CREATE TABLE allocations (
    restaurant_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    table_id uuid NOT NULL,
    booking_id uuid,
    hold_id uuid,
    block_id uuid,
    service_date date NOT NULL,
    occupied tstzrange NOT NULL,
    PRIMARY KEY (restaurant_id, id),
    FOREIGN KEY (restaurant_id, table_id) REFERENCES tables (restaurant_id, id),
    FOREIGN KEY (restaurant_id, booking_id) REFERENCES bookings (restaurant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (restaurant_id, hold_id) REFERENCES holds (restaurant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (restaurant_id, block_id) REFERENCES blocks (restaurant_id, id) ON DELETE CASCADE,
    CONSTRAINT allocations_one_owner CHECK (num_nonnulls(booking_id, hold_id, block_id) = 1),
    CONSTRAINT allocations_window_bounded CHECK (
        NOT isempty(occupied) AND NOT lower_inf(occupied) AND NOT upper_inf(occupied)),
    CONSTRAINT allocations_no_overlap EXCLUDE USING gist (
        restaurant_id WITH =, table_id WITH =, occupied WITH &&)
);
CREATE INDEX allocations_day ON allocations (restaurant_id, service_date);
CREATE INDEX allocations_booking ON allocations (restaurant_id, booking_id)
    WHERE booking_id IS NOT NULL;
CREATE INDEX allocations_hold ON allocations (restaurant_id, hold_id) WHERE hold_id IS NOT NULL;
CREATE INDEX allocations_block ON allocations (restaurant_id, block_id) WHERE block_id IS NOT NULL;

-- Idempotency records: written in the transaction that creates or confirms the booking.
CREATE TABLE booking_confirmation_results (
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    idempotency_key text NOT NULL,
    request_hash bytea NOT NULL,
    response_status smallint NOT NULL,
    response_body jsonb NOT NULL,
    booking_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (restaurant_id, idempotency_key),
    FOREIGN KEY (restaurant_id, booking_id) REFERENCES bookings (restaurant_id, id)
        ON DELETE SET NULL (booking_id),
    CONSTRAINT booking_confirmation_results_key_length CHECK (
        length(idempotency_key) BETWEEN 1 AND 255),
    CONSTRAINT booking_confirmation_results_status CHECK (response_status BETWEEN 100 AND 599)
);
CREATE INDEX booking_confirmation_results_age
    ON booking_confirmation_results (restaurant_id, created_at);

CREATE TABLE feature_flag_overrides (
    restaurant_id uuid NOT NULL REFERENCES restaurants (id) ON DELETE CASCADE,
    name text NOT NULL,
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (restaurant_id, name)
);

-- Not a tenant table: an admin key belongs to no restaurant. Only hashes are stored.
CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL,
    restaurant_id uuid REFERENCES restaurants (id) ON DELETE CASCADE,
    prefix text NOT NULL,
    key_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_role CHECK (role IN ('staff', 'admin')),
    CONSTRAINT api_keys_scope CHECK ((role = 'admin') = (restaurant_id IS NULL)),
    CONSTRAINT api_keys_name_length CHECK (length(name) BETWEEN 1 AND 120)
);
CREATE INDEX api_keys_restaurant ON api_keys (restaurant_id);

-- The few things a request needs before it knows its restaurant, through functions that
-- run as their owner: the restaurant of a slug, the key behind a credential, the schema
-- version for /readyz. The application role can read nothing else unscoped.
CREATE FUNCTION reserve_restaurant_id(p_slug text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ SELECT id FROM restaurants WHERE slug = p_slug $$;

CREATE FUNCTION reserve_authenticate(p_key_hash bytea)
    RETURNS TABLE (key_id uuid, role text, restaurant_id uuid)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$
        -- last_used_at is refreshed at most once a minute so that reads stay cheap.
        UPDATE api_keys SET last_used_at = now()
         WHERE key_hash = p_key_hash AND revoked_at IS NULL
           AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');
        SELECT id, role, restaurant_id FROM api_keys
         WHERE key_hash = p_key_hash AND revoked_at IS NULL;
    $$;

CREATE FUNCTION reserve_schema_version() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
    AS $$ BEGIN RETURN (SELECT string_agg(version_num, ',') FROM alembic_version); END $$;

REVOKE ALL ON FUNCTION reserve_restaurant_id(text), reserve_authenticate(bytea),
    reserve_schema_version() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reserve_current_restaurant(), reserve_restaurant_id(text),
    reserve_authenticate(bytea), reserve_schema_version() TO reserve_app;
GRANT USAGE ON SCHEMA public TO reserve_app;

ALTER TABLE restaurants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON restaurants
    USING (id = reserve_current_restaurant())
    WITH CHECK (id = reserve_current_restaurant());
GRANT SELECT, INSERT, UPDATE ON restaurants TO reserve_app;
"""

TENANT_POLICY = """
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON {table}
    USING (restaurant_id = reserve_current_restaurant())
    WITH CHECK (restaurant_id = reserve_current_restaurant());
GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO reserve_app;
"""

DOWNGRADE = """
DROP TABLE api_keys, feature_flag_overrides, booking_confirmation_results, allocations,
    blocks, holds, booking_status_history, bookings, table_adjacency, tables, zones,
    closures, service_periods, turn_time_bands, services, restaurants;
DROP FUNCTION reserve_schema_version(), reserve_authenticate(bytea),
    reserve_restaurant_id(text), reserve_current_restaurant();
REVOKE USAGE ON SCHEMA public FROM reserve_app;
-- reserve_app and btree_gist stay: the role is shared by every database of the cluster,
-- and the extension may serve other schemas.
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    for table in TENANT_TABLES:
        op.execute(TENANT_POLICY.format(table=table))


def downgrade() -> None:
    op.execute(DOWNGRADE)
