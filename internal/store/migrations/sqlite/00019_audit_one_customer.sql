-- +goose Up
-- An entry about exactly one customer (most reads) names that customer on its own row,
-- and writes no row in audit_entry_customers: one heap row, four index entries and no
-- foreign-key check per entry, where the link row added a second heap row, two index
-- entries and the check (BENCHMARKS.md, "Issue 19, session 5"). Entries naming nobody or
-- several people keep their link rows. Rows written before this migration are left as
-- they are (one-customer entries with a link row and no customer_id): the audit's
-- queries read both places, and the old rows leave with the retention purge.
ALTER TABLE audit_entries ADD COLUMN customer_id TEXT;
CREATE INDEX audit_entries_customer ON audit_entries (customer_id, at, id) WHERE customer_id IS NOT NULL;

-- +goose Down
-- Back to a link row for every customer an entry names, so no entry loses its customer.
INSERT INTO audit_entry_customers (entry_id, customer_id, at)
SELECT id, customer_id, at FROM audit_entries WHERE customer_id IS NOT NULL;
DROP INDEX audit_entries_customer;
ALTER TABLE audit_entries DROP COLUMN customer_id;
