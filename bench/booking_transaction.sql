-- One booking, as the service writes it (see bench/booking_http.py), for pgbench.
-- A random table stands in for the allocator's choice; a clash with an earlier booking
-- is skipped (ON CONFLICT DO NOTHING) where the service would have chosen another table.
\set d random(0, 59)
\set q random(0, 35)
\set t random(0, 39)
\set p random(2, 4)
\set n random(1, 2000000000)
SELECT key_id FROM reserve_authenticate('\x00'::bytea);
BEGIN;
SET LOCAL ROLE reserve_app;
SELECT restaurant_id, version FROM reserve_enter('white-horse');
SELECT pg_try_advisory_xact_lock(hashtextextended('reserve:idempotency:' || random()::text, 0));
SELECT request_hash, response_status, response_body FROM booking_confirmation_results
 WHERE restaurant_id = reserve_current_restaurant() AND idempotency_key = random()::text;
SELECT pg_advisory_xact_lock(k.key)
  FROM (SELECT set_config('lock_timeout', '3000ms', true),
               hashtextextended('reserve:day:' || reserve_current_restaurant()::text || ':'
                                || (date '2026-12-07' + :d)::text, 0) AS key) AS k;
WITH purged AS (
    DELETE FROM holds WHERE restaurant_id = reserve_current_restaurant() AND expires_at <= now()
    RETURNING id
)
SELECT t.label, lower(a.occupied), upper(a.occupied), (SELECT count(*) FROM purged)
  FROM (SELECT 1) AS one
  LEFT JOIN (allocations a
        JOIN tables t ON t.restaurant_id = a.restaurant_id AND t.id = a.table_id
        LEFT JOIN holds h ON h.restaurant_id = a.restaurant_id AND h.id = a.hold_id)
    ON a.restaurant_id = reserve_current_restaurant()
       AND a.occupied && tstzrange((((date '2026-12-07' + :d) + time '12:00' + :q * interval '15 minutes') AT TIME ZONE 'Europe/London') - interval '20 hours', (((date '2026-12-07' + :d) + time '12:00' + :q * interval '15 minutes') AT TIME ZONE 'Europe/London') + interval '16 hours')
       AND (a.hold_id IS NULL OR h.expires_at > now());
INSERT INTO bookings (restaurant_id, id, reference, status, party_size, service_date, local_time,
    start_at, end_at, guest_name, guest_email, notes, source, manage_token_hash)
VALUES (reserve_current_restaurant(), md5(:client_id || '-' || :n)::uuid, upper(substr(md5(random()::text), 1, 10)), 'confirmed', :p,
    date '2026-12-07' + :d, time '12:00' + :q * interval '15 minutes', (((date '2026-12-07' + :d) + time '12:00' + :q * interval '15 minutes') AT TIME ZONE 'Europe/London'),
    (((date '2026-12-07' + :d) + time '12:00' + :q * interval '15 minutes') AT TIME ZONE 'Europe/London') + interval '75 minutes', 'Bench', 'bench@example.com', '', 'load_test', '\x00');
INSERT INTO allocations (restaurant_id, table_id, booking_id, service_date, occupied)
SELECT reserve_current_restaurant(), id, md5(:client_id || '-' || :n)::uuid, date '2026-12-07' + :d,
       tstzrange((((date '2026-12-07' + :d) + time '12:00' + :q * interval '15 minutes') AT TIME ZONE 'Europe/London'), (((date '2026-12-07' + :d) + time '12:00' + :q * interval '15 minutes') AT TIME ZONE 'Europe/London') + interval '80 minutes')
  FROM tables WHERE restaurant_id = reserve_current_restaurant() ORDER BY label OFFSET :t LIMIT 1
ON CONFLICT DO NOTHING;
INSERT INTO booking_status_history (restaurant_id, booking_id, from_status, to_status, actor)
VALUES (reserve_current_restaurant(), md5(:client_id || '-' || :n)::uuid, NULL, 'confirmed', 'staff:bench');
INSERT INTO booking_confirmation_results (restaurant_id, idempotency_key, request_hash,
    response_status, response_body, booking_id)
VALUES (reserve_current_restaurant(), md5(:client_id || '-' || :n)::uuid, '\x00', 201,
    '{"id": "00000000-0000-0000-0000-000000000000", "reference": "ABCDEFGH", "restaurant": "white-horse", "status": "confirmed", "party_size": 2, "date": "2026-12-07", "time": "19:00", "start_at": "2026-12-07T19:00:00+00:00", "end_at": "2026-12-07T20:00:00+00:00", "tables": ["MD-01"], "zone": null, "guest": {"name": "Bench", "email": "bench@example.com", "phone": null}, "notes": "", "source": "load_test"}',
    md5(:client_id || '-' || :n)::uuid);
END;
