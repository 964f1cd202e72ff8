-- +goose Up
-- Cases are a work queue: every claim, hand-off and resolution updates a row, and the
-- claim index (cases_claim) only covers open, unassigned cases, so the cases taken
-- first leave dead entries at the very front of the index that every later claim steps
-- over. PostgreSQL's default waits for a fifth of the table to be dead before vacuuming
-- (200,000 rows at a million cases); measured with 165,000 dead, a claim read 387 pages and
-- took 40 ms, against 56 pages and 0.3 ms after a vacuum (BENCHMARKS.md). The outbox
-- is the same shape: every message is updated once it is published, and its pending
-- index is read ten times a second. Vacuum these tables after 1 % instead. Timeline
-- events and contacts are append-only and keep the default.
ALTER TABLE cases SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE ivr_calls SET (autovacuum_vacuum_scale_factor = 0.01);
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.01);

-- +goose Down
ALTER TABLE outbox RESET (autovacuum_vacuum_scale_factor);
ALTER TABLE ivr_calls RESET (autovacuum_vacuum_scale_factor);
ALTER TABLE cases RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor);
