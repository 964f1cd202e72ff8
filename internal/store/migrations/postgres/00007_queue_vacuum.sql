-- +goose Up
-- Cases are a work queue: every claim, hand-off and resolution updates a row, and the
-- claim index (cases_claim) only covers open, unassigned cases, so the cases taken
-- first leave dead entries at the very front of the index that every later claim steps
-- over. PostgreSQL's default waits for a fifth of the table to be dead before vacuuming
-- (200,000 rows at a million cases); measured at that point a claim read 387 pages and
-- took 40 ms, against 56 pages and 0.3 ms after a vacuum (BENCHMARKS.md). Vacuum the
-- busy tables after 1 % instead. Timeline events, contacts and the outbox are
-- append-only or short-lived and keep the default.
ALTER TABLE cases SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE ivr_calls SET (autovacuum_vacuum_scale_factor = 0.01);

-- +goose Down
ALTER TABLE ivr_calls RESET (autovacuum_vacuum_scale_factor);
ALTER TABLE cases RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor);
