-- One booking as the service runs it (bench/booking_http.py), for pgbench -M prepared: the
-- same statements in the same three round trips (pipelines). Variables from the command
-- line: rid (the restaurant), start (the Monday the nine weeks begin), body (a booking as
-- its record keeps it). A random table stands in for the allocator's choice; a clash with an
-- earlier booking is skipped (ON CONFLICT DO NOTHING) where the service would have chosen
-- another table. (A colon before a name is a variable to pgbench, even in quotes: the lock
-- keys are written in pieces.)
\set d 7 * random(0, 8) + random(0, 4)
\set q random(0, 35)
\set t random(0, 39)
\set p random(2, 4)
\set n random(1, 2000000000)
\startpipeline
BEGIN;
SELECT e.restaurant_id, e.version,
       pg_try_advisory_xact_lock(hashtextextended(
           'reserve:' || 'idempotency:' || e.restaurant_id || ':' || (:client_id::int || '-' || :n::int), 0)) AS locked
  FROM reserve_enter('white-horse') AS e;
SELECT request_hash, result FROM booking_confirmation_results
 WHERE restaurant_id = nullif(current_setting('reserve.restaurant_id', true), '')::uuid
   AND idempotency_key = :client_id::int || '-' || :n::int;
\endpipeline
\startpipeline
SELECT pg_advisory_xact_lock(k.key) AS locked,
       extract(epoch FROM clock_timestamp() - k.asked)::float8 AS waited
  FROM (SELECT set_config('lock_timeout', '3000ms', true),
               hashtextextended('reserve:' || 'day:' || :rid::uuid || ':' || (:start::date + :d::int), 0) AS key,
               clock_timestamp() AS asked) AS k;
DELETE FROM holds WHERE restaurant_id = :rid::uuid AND expires_at <= now();
SELECT array_agg(w.label) FILTER (WHERE NOT w.movable) AS tables,
       array_agg(w.starts) FILTER (WHERE NOT w.movable) AS starts,
       array_agg(w.ends) FILTER (WHERE NOT w.movable) AS ends,
       array_agg(w.booking_id) FILTER (WHERE w.movable) AS bookings,
       array_agg(w.label) FILTER (WHERE w.movable) AS booked_tables,
       array_agg(w.starts) FILTER (WHERE w.movable) AS booked_starts,
       array_agg(w.ends) FILTER (WHERE w.movable) AS booked_ends,
       array_agg(w.party_size) FILTER (WHERE w.movable) AS party_sizes,
       array_agg(w.zone) FILTER (WHERE w.movable) AS zones
  FROM (
    SELECT t.label,
           extract(epoch FROM lower(a.occupied))::float8 AS starts,
           extract(epoch FROM upper(a.occupied))::float8 AS ends,
           a.booking_id, b.party_size, z.key AS zone,
           coalesce(b.status = 'confirmed' AND NOT b.tables_pinned
                    AND b.start_at > now() + interval '60 minutes'
                    AND a.service_date = :start::date + :d::int,
                    false) AS movable
      FROM allocations a
      JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
      LEFT JOIN holds h ON h.restaurant_id = a.restaurant_id AND h.id = a.hold_id
      LEFT JOIN bookings b ON b.restaurant_id = a.restaurant_id AND b.id = a.booking_id
      LEFT JOIN zones z ON z.restaurant_id = b.restaurant_id AND z.id = b.zone_id
     WHERE a.restaurant_id = :rid::uuid
       AND a.starts_at >= (:start::date + :d::int)::timestamp AT TIME ZONE 'Europe/London' - interval '36 hours'
       AND a.starts_at < (:start::date + :d::int)::timestamp AT TIME ZONE 'Europe/London' + interval '36 hours'
       AND a.occupied && tstzrange((:start::date + :d::int)::timestamp AT TIME ZONE 'Europe/London',
                                   (:start::date + :d::int)::timestamp AT TIME ZONE 'Europe/London' + interval '36 hours')
       AND (a.hold_id IS NULL OR h.expires_at > now())
       AND NOT coalesce(a.booking_id = NULL::uuid, false)
  ) AS w;
\endpipeline
\startpipeline
WITH booked AS (
    INSERT INTO bookings (restaurant_id, id, reference, status, pending_reason, party_size,
        service_date, local_time, start_at, end_at, zone_id, guest_name, guest_email,
        guest_phone, notes, source, manage_token_hash, created_at, updated_at)
    VALUES (:rid::uuid, md5(:client_id::int || '-' || :n::int)::uuid, upper(substr(md5(random()::text), 1, 10)),
        'confirmed', NULL, :p::int, :start::date + :d::int, time '12:00' + :q::int * interval '15 minutes',
        ((:start::date + :d::int) + time '12:00' + :q::int * interval '15 minutes') AT TIME ZONE 'Europe/London',
        ((:start::date + :d::int) + time '12:00' + :q::int * interval '15 minutes') AT TIME ZONE 'Europe/London' + interval '75 minutes',
        NULL, 'Bench', 'bench@example.com', NULL, '', 'load_test', sha256(random()::text::bytea), now(), now())
    RETURNING restaurant_id, id, status
)
INSERT INTO booking_status_history (restaurant_id, booking_id, from_status, to_status, actor, changed_at)
SELECT restaurant_id, id, NULL, status, 'staff-bench', now() FROM booked;
INSERT INTO allocations (restaurant_id, table_id, booking_id, service_date, occupied)
SELECT :rid::uuid, id, md5(:client_id::int || '-' || :n::int)::uuid, :start::date + :d::int,
       tstzrange(((:start::date + :d::int) + time '12:00' + :q::int * interval '15 minutes') AT TIME ZONE 'Europe/London',
                 ((:start::date + :d::int) + time '12:00' + :q::int * interval '15 minutes') AT TIME ZONE 'Europe/London' + interval '80 minutes')
  FROM tables WHERE restaurant_id = :rid::uuid ORDER BY label OFFSET :t::int LIMIT 1
ON CONFLICT DO NOTHING;
INSERT INTO booking_confirmation_results (restaurant_id, idempotency_key, request_hash,
    result, booking_id)
VALUES (:rid::uuid, :client_id::int || '-' || :n::int, sha256(random()::text::bytea), :body::jsonb,
    md5(:client_id::int || '-' || :n::int)::uuid);
INSERT INTO demand_requests (restaurant_id, received_at, service_date, weekday, local_time,
    party_size, kind, source, outcome, booking_id)
VALUES (:rid::uuid, now(), :start::date + :d::int, extract(isodow FROM :start::date + :d::int)::int - 1,
    time '12:00' + :q::int * interval '15 minutes', :p::int, 'booking', 'load_test', 'confirmed',
    md5(:client_id::int || '-' || :n::int)::uuid);
COMMIT;
\endpipeline
