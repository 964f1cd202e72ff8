-- The plans of the hub's hot queries on a seeded database (bench seed): each must be an
-- index lookup whose cost does not grow with the number of customers.
--   psql "$DATABASE_URL" -f bench/plans.sql
-- The statements are the ones the hub sends (with values a seeded database holds);
-- plan_cache_mode forces the generic plan a prepared statement settles on.
SET plan_cache_mode = force_generic_plan;

\echo '== customer lookup by phone (customer.selectJoined)'
PREPARE lookup(text, text, int) AS
SELECT c.id, c.given_name, c.family_name, i.id AS ident_id, i.kind, i.value
  FROM (SELECT id, given_name, family_name FROM customers
         WHERE merged_into IS NULL
           AND id IN (SELECT customer_id FROM customer_identifiers WHERE kind = $1 AND value = $2)
         ORDER BY id LIMIT $3) c
  LEFT JOIN customer_identifiers i ON i.customer_id = c.id
 ORDER BY c.id, i.added_at, i.id;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE lookup('phone', '+447100000042', 51);

\echo '== case timeline, 50 events (timeline.ForCase)'
PREPARE case_timeline(uuid, int) AS
SELECT id, customer_id, case_id, kind, actor_subject, actor_role, data, occurred_at
  FROM timeline_events WHERE case_id IN ($1) ORDER BY occurred_at DESC, id DESC LIMIT $2;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE case_timeline('00000000-0000-7000-9000-000000000042', 51);

\echo '== the customer''s open case about a service (casework.FindOpenTx)'
PREPARE open_case(uuid, int) AS
SELECT id FROM cases WHERE customer_id = $1 AND service_lgsl = $2 AND status NOT IN ('resolved', 'closed')
 ORDER BY created_at DESC LIMIT 1;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE open_case('00000000-0000-7000-8000-000000000042', 58);

\echo '== previous contacts about a service (intake.previousContacts)'
PREPARE previous(uuid, int, timestamptz) AS
SELECT started_at FROM contacts WHERE customer_id = $1 AND service_lgsl = $2 AND started_at >= $3
 ORDER BY started_at DESC LIMIT 100;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE previous('00000000-0000-7000-8000-000000000042', 58, now() - interval '90 days');

\echo '== next case of a queue (casework.Claim)'
PREPARE claim(text) AS
SELECT id FROM cases WHERE queue = $1 AND status = 'open' AND assignee = ''
 ORDER BY priority, sla_due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE claim('advisors');
