-- +goose Up
-- The audit of personal data: who read or changed a customer's data, when, through which
-- operation, why (the caller's X-Purpose) and in which request. Rows are only ever
-- inserted, and deleted when older than CONTACTHUB_AUDIT_RETENTION; no API changes them.
CREATE TABLE audit_entries (
    id         uuid PRIMARY KEY,
    at         timestamptz NOT NULL,
    subject    TEXT NOT NULL,
    roles      TEXT NOT NULL,
    action     TEXT NOT NULL,
    operation  TEXT NOT NULL,
    resource   TEXT NOT NULL,
    purpose    TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_entries_at ON audit_entries (at, id);
CREATE INDEX audit_entries_subject ON audit_entries (subject, at, id);

-- The customers an entry touched: one row each, so "who looked at this person" is an
-- index range, and a search that returned fifty people is fifty rows of one entry.
CREATE TABLE audit_entry_customers (
    entry_id    uuid NOT NULL REFERENCES audit_entries (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (entry_id, customer_id)
);
CREATE INDEX audit_entry_customers_customer ON audit_entry_customers (customer_id, at, entry_id);

-- +goose Down
DROP TABLE audit_entry_customers;
DROP TABLE audit_entries;
