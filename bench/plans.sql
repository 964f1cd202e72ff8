-- The plans of the hub's hot reads on a seeded database (bench seed): each must be an
-- index lookup whose cost does not grow with the number of customers.
--   psql "$DATABASE_URL" -f bench/plans.sql
-- Recorded from what the hub sends by internal/contract's TestBenchScripts (do not
-- edit; rerun it with -update-bench); plan_cache_mode forces the generic plan.
SET plan_cache_mode = force_generic_plan;
\set i 42

\echo '== FROM (SELECT id, given_name, family_name, date_of_birth, address_line1, address_line2, address_town, postcode,…'
PREPARE q1 AS SELECT c.id, c.given_name, c.family_name, c.date_of_birth, c.address_line1, c.address_line2, c.address_town, c.postcode, c.vulnerable, c.assisted_digital, c.preferred_language, c.accessibility, c.sms_surveys, c.merged_into, c.version, c.created_at, c.updated_at, i.id AS ident_id, i.kind AS ident_kind, i.value AS ident_value, i.added_at AS ident_added_at FROM (SELECT id, given_name, family_name, date_of_birth, address_line1, address_line2, address_town, postcode, vulnerable, assisted_digital, preferred_language, accessibility, sms_surveys, merged_into, version, created_at, updated_at FROM customers WHERE merged_into IS NULL AND id IN (SELECT customer_id FROM customer_identifiers WHERE kind = $1 AND value = $2) ORDER BY id LIMIT $3) c LEFT JOIN customer_identifiers i ON i.customer_id = c.id ORDER BY c.id, i.added_at, i.id;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE q1('phone', '+4471' || lpad((:i)::text, 8, '0'), 51);
DEALLOCATE q1;

\echo '== FROM timeline_events WHERE case_id IN ($1) ORDER BY occurred_at DESC, id DESC LIMIT $2'
PREPARE q2 AS SELECT id, customer_id, case_id, kind, actor_subject, actor_role, data, occurred_at FROM timeline_events WHERE case_id IN ($1) ORDER BY occurred_at DESC, id DESC LIMIT $2;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE q2(('00000000-0000-7000-9000-' || lpad((:i)::text, 12, '0'))::uuid, 51);
DEALLOCATE q2;

\echo '== FROM (SELECT id, given_name, family_name, date_of_birth, address_line1, address_line2, address_town, postcode,…'
PREPARE q3 AS SELECT c.id, c.given_name, c.family_name, c.date_of_birth, c.address_line1, c.address_line2, c.address_town, c.postcode, c.vulnerable, c.assisted_digital, c.preferred_language, c.accessibility, c.sms_surveys, c.merged_into, c.version, c.created_at, c.updated_at, i.id AS ident_id, i.kind AS ident_kind, i.value AS ident_value, i.added_at AS ident_added_at FROM (SELECT id, given_name, family_name, date_of_birth, address_line1, address_line2, address_town, postcode, vulnerable, assisted_digital, preferred_language, accessibility, sms_surveys, merged_into, version, created_at, updated_at FROM customers WHERE id IN (SELECT customer_id FROM customer_identifiers WHERE (kind = $1 AND value = $2)) ORDER BY id LIMIT $3) c LEFT JOIN customer_identifiers i ON i.customer_id = c.id ORDER BY c.id, i.added_at, i.id;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE q3('phone', '+4471' || lpad((:i)::text, 8, '0'), 1);
DEALLOCATE q3;

\echo '== FROM cases WHERE customer_id = $1 AND service_lgsl = $2 AND landlord_id = $3 AND status NOT IN (''resolved'', ''c…'
PREPARE q4 AS SELECT id, customer_id, service_lgsl, service_category, status, tier, queue, assignee, priority, sla_due_at, channel, opened_by_contact_id, resolved_at_first_contact, resolution_code, resolved_at, summary, contact_count, last_contact_at, ruleset_version, routed_by, routing_summary, skills, claimed_at, handoff_count, landlord_id, version, created_at, updated_at FROM cases WHERE customer_id = $1 AND service_lgsl = $2 AND landlord_id = $3 AND status NOT IN ('resolved', 'closed') ORDER BY created_at DESC LIMIT 1 FOR UPDATE;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE q4(('00000000-0000-7000-8000-' || lpad((:i)::text, 12, '0'))::uuid, 58, '');
DEALLOCATE q4;

\echo '== FROM contacts WHERE customer_id = $1 AND service_lgsl = $2 AND started_at >= $3 ORDER BY started_at DESC LIMIT…'
PREPARE q5 AS SELECT started_at FROM contacts WHERE customer_id = $1 AND service_lgsl = $2 AND started_at >= $3 ORDER BY started_at DESC LIMIT 100;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE q5(('00000000-0000-7000-8000-' || lpad((:i)::text, 12, '0'))::uuid, 58, now() - interval '14 days');
DEALLOCATE q5;

\echo '== FROM cases WHERE 1 = 1 AND customer_id = $1 ORDER BY id DESC LIMIT $2'
PREPARE q6 AS SELECT id, customer_id, service_lgsl, service_category, status, tier, queue, assignee, priority, sla_due_at, channel, opened_by_contact_id, resolved_at_first_contact, resolution_code, resolved_at, summary, contact_count, last_contact_at, ruleset_version, routed_by, routing_summary, skills, claimed_at, handoff_count, landlord_id, version, created_at, updated_at FROM cases WHERE 1 = 1 AND customer_id = $1 ORDER BY id DESC LIMIT $2;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE q6(('00000000-0000-7000-8000-' || lpad((:i)::text, 12, '0'))::uuid, 21);
DEALLOCATE q6;

\echo '== FROM cases WHERE queue = $1 AND status = ''open'' AND assignee = '''' ORDER BY priority, sla_due_at, id LIMIT 1 FO…'
PREPARE q7 AS SELECT id, customer_id, service_lgsl, service_category, status, tier, queue, assignee, priority, sla_due_at, channel, opened_by_contact_id, resolved_at_first_contact, resolution_code, resolved_at, summary, contact_count, last_contact_at, ruleset_version, routed_by, routing_summary, skills, claimed_at, handoff_count, landlord_id, version, created_at, updated_at FROM cases WHERE queue = $1 AND status = 'open' AND assignee = '' ORDER BY priority, sla_due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY OFF) EXECUTE q7('advisors');
DEALLOCATE q7;
