-- case timeline (50 events): the statements the hub sends, recorded by internal/contract's
-- TestBenchScripts (do not edit; rerun it with -update-bench). Run with -D timelines=N.
\set i random(0, :timelines - 1)
\set k random(1, 999999999999999)
SELECT id, customer_id, case_id, kind, actor_subject, actor_role, data, occurred_at FROM timeline_events WHERE case_id IN (('00000000-0000-7000-9000-' || lpad((:i)::text, 12, '0'))::uuid) ORDER BY occurred_at DESC, id DESC LIMIT 51;
