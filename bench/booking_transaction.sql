-- One booking as the service runs it (bench/booking_http.py), for pgbench -M prepared: the
-- same statements in the same four round trips (pipelines). Variables from the command
-- line: rid (the restaurant), start (the Monday the nine weeks begin), body (a booking as its record keeps it).
-- A random table stands in for the allocator's choice; a clash with an earlier booking is
-- skipped (ON CONFLICT DO NOTHING) where the service would have chosen another table.
\set d 7 * random(0, 8) + random(0, 4)
\set q random(0, 35)
\set t random(0, 39)
\set p random(2, 4)
\set n random(1, 2000000000)
\startpipeline
BEGIN;
SELECT restaurant_id, version FROM reserve_enter('white-horse');
\endpipeline
\startpipeline
SELECT pg_try_advisory_xact_lock(hashtextextended('reserve-idempotency-' || :rid::uuid || '-' || :client_id::int || '-' || :n::int, 0)) AS locked;
SELECT request_hash, result FROM booking_confirmation_results
 WHERE restaurant_id = :rid::uuid AND idempotency_key = :client_id::int || '-' || :n::int;
\endpipeline
\startpipeline
SELECT pg_advisory_xact_lock(k.key)
  FROM (SELECT set_config('lock_timeout', '3000ms', true),
               hashtextextended('reserve-day-' || :rid::uuid || '-' || (:start::date + :d::int), 0) AS key) AS k;
DELETE FROM holds WHERE restaurant_id = :rid::uuid AND expires_at <= now();
SELECT t.label, lower(a.occupied) AS starts, upper(a.occupied) AS ends
  FROM allocations a
  JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
  LEFT JOIN holds h ON h.restaurant_id = a.restaurant_id AND h.id = a.hold_id
 WHERE a.restaurant_id = :rid::uuid
   AND a.starts_at >= (:start::date + :d::int)::timestamp AT TIME ZONE 'Europe/London' - interval '36 hours'
   AND a.starts_at < (:start::date + :d::int)::timestamp AT TIME ZONE 'Europe/London' + interval '36 hours'
   AND a.occupied && tstzrange((:start::date + :d::int)::timestamp AT TIME ZONE 'Europe/London',
                               (:start::date + :d::int)::timestamp AT TIME ZONE 'Europe/London' + interval '36 hours')
   AND (a.hold_id IS NULL OR h.expires_at > now());
\endpipeline
\startpipeline
INSERT INTO bookings (restaurant_id, id, reference, status, pending_reason, party_size,
    service_date, local_time, start_at, end_at, zone_id, guest_name, guest_email,
    guest_phone, notes, source, manage_token_hash, created_at, updated_at)
VALUES (:rid::uuid, md5(:client_id::int || '-' || :n::int)::uuid, upper(substr(md5(random()::text), 1, 10)),
    'confirmed', NULL, :p::int, :start::date + :d::int, time '12:00' + :q::int * interval '15 minutes',
    ((:start::date + :d::int) + time '12:00' + :q::int * interval '15 minutes') AT TIME ZONE 'Europe/London',
    ((:start::date + :d::int) + time '12:00' + :q::int * interval '15 minutes') AT TIME ZONE 'Europe/London' + interval '75 minutes',
    NULL, 'Bench', 'bench@example.com', NULL, '', 'load_test', sha256(random()::text::bytea), now(), now());
INSERT INTO allocations (restaurant_id, table_id, booking_id, service_date, occupied)
SELECT :rid::uuid, id, md5(:client_id::int || '-' || :n::int)::uuid, :start::date + :d::int,
       tstzrange(((:start::date + :d::int) + time '12:00' + :q::int * interval '15 minutes') AT TIME ZONE 'Europe/London',
                 ((:start::date + :d::int) + time '12:00' + :q::int * interval '15 minutes') AT TIME ZONE 'Europe/London' + interval '80 minutes')
  FROM tables WHERE restaurant_id = :rid::uuid ORDER BY label OFFSET :t::int LIMIT 1
ON CONFLICT DO NOTHING;
INSERT INTO booking_status_history (restaurant_id, booking_id, from_status, to_status, actor)
VALUES (:rid::uuid, md5(:client_id::int || '-' || :n::int)::uuid, NULL, 'confirmed', 'staff-bench');
INSERT INTO booking_confirmation_results (restaurant_id, idempotency_key, request_hash,
    result, booking_id)
VALUES (:rid::uuid, :client_id::int || '-' || :n::int, sha256(random()::text::bytea), :body::jsonb,
    md5(:client_id::int || '-' || :n::int)::uuid);
COMMIT;
\endpipeline
