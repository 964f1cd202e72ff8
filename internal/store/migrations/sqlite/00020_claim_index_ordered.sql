-- +goose Up
-- The claim's index carries the claim's whole order (priority, SLA, then id), so that
-- the next case is the index's first entry with no sort. It matters for more than the
-- sort: PostgreSQL plans a prepared statement once for any queue after a few runs (the
-- generic plan), and for the claim that plan chose cases_queue, which also holds every
-- claimed case still open and skips them one by one: with some 8,900 claimed, a claim
-- read 10,915 pages in 18.8 ms instead of 91 in 0.44 ms (BENCHMARKS.md, issue 19,
-- session 6). With the order whole, both plans take this index.
CREATE INDEX cases_claim_next ON cases (queue, priority, sla_due_at, id) WHERE status = 'open' AND assignee = '';
DROP INDEX cases_claim;

-- +goose Down
CREATE INDEX cases_claim ON cases (queue, priority, sla_due_at) WHERE status = 'open' AND assignee = '';
DROP INDEX cases_claim_next;
