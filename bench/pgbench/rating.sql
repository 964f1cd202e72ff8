-- web page rating (anonymous): the statements the hub sends, recorded by internal/contract's
-- TestBenchScripts (do not edit; rerun it with -update-bench). Run with -D customers=N.
\set i random(0, :customers - 1)
\set k random(1, 999999999999999)
begin;
INSERT INTO ratings (id, source, score, useful, comment, page_url, centre, contact_id, case_id, customer_id, channel, tier, service_lgsl, agent, survey_id, created_at) VALUES ((lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid, 'web_page', 4, NULL, '', 'https://www.council.example/page/17', '', NULL, NULL, NULL, 'web_self_service', 0, 0, '', NULL, now());
INSERT INTO outbox (id, topic, msg_key, payload, created_at) VALUES ((lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid, 'rating.recorded', (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid, '{"id":"00000000-0000-7000-a000-000000000000","type":"rating.recorded","version":1,"occurredAt":"2026-01-01T00:00:00Z","actor":{"subject":"anonymous","role":"public"},"data":{"ratingId":"00000000-0000-7000-a000-000000000000","source":"web_page","score":4,"channel":"web_self_service","pageUrl":"https://www.council.example/page/17"}}', now());
commit;
