-- +goose Up
-- The one customer record. Names are also kept lower-cased (*_key) for prefix search.
CREATE TABLE customers (
    id                 TEXT PRIMARY KEY,
    given_name         TEXT NOT NULL DEFAULT '',
    family_name        TEXT NOT NULL DEFAULT '',
    given_name_key     TEXT NOT NULL DEFAULT '',
    family_name_key    TEXT NOT NULL DEFAULT '',
    date_of_birth      TEXT NOT NULL DEFAULT '',
    address_line1      TEXT NOT NULL DEFAULT '',
    address_line2      TEXT NOT NULL DEFAULT '',
    address_town       TEXT NOT NULL DEFAULT '',
    postcode           TEXT NOT NULL DEFAULT '',
    vulnerable         BOOLEAN NOT NULL DEFAULT 0,
    assisted_digital   BOOLEAN NOT NULL DEFAULT 0,
    preferred_language TEXT NOT NULL DEFAULT '',
    accessibility      TEXT NOT NULL DEFAULT '[]',
    sms_surveys        BOOLEAN NOT NULL DEFAULT 0,
    merged_into        TEXT REFERENCES customers (id),
    version            INTEGER NOT NULL,
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL
);
CREATE INDEX customers_family_name ON customers (family_name_key, given_name_key);
CREATE INDEX customers_given_name ON customers (given_name_key);
CREATE INDEX customers_postcode ON customers (postcode) WHERE postcode <> '';

-- An identifier of one kind belongs to at most one customer; merged-away records hold none.
CREATE TABLE customer_identifiers (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    kind        TEXT NOT NULL,
    value       TEXT NOT NULL,
    added_at    DATETIME NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX customer_identifiers_customer ON customer_identifiers (customer_id);
CREATE INDEX customer_identifiers_value ON customer_identifiers (value);

-- Who merged which records; snapshot holds what undo needs to restore both exactly.
CREATE TABLE customer_merges (
    id           TEXT PRIMARY KEY,
    survivor_id  TEXT NOT NULL REFERENCES customers (id),
    duplicate_id TEXT NOT NULL REFERENCES customers (id),
    reason       TEXT NOT NULL,
    merged_by    TEXT NOT NULL,
    merged_at    DATETIME NOT NULL,
    snapshot     TEXT NOT NULL,
    undone_by    TEXT,
    undone_at    DATETIME,
    undo_reason  TEXT
);
CREATE INDEX customer_merges_survivor ON customer_merges (survivor_id);
CREATE INDEX customer_merges_duplicate ON customer_merges (duplicate_id);

-- Append-only timeline events; a customer's timeline reads newest first by (time, id).
CREATE TABLE timeline_events (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT,
    case_id       TEXT,
    kind          TEXT NOT NULL,
    actor_subject TEXT NOT NULL,
    actor_role    TEXT NOT NULL,
    data          TEXT NOT NULL,
    occurred_at   DATETIME NOT NULL
);
CREATE INDEX timeline_events_customer ON timeline_events (customer_id, occurred_at DESC, id DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX timeline_events_case ON timeline_events (case_id, occurred_at DESC, id DESC) WHERE case_id IS NOT NULL;

-- Idempotency keys when Redis is not configured: the first response to a key, replayed.
CREATE TABLE idempotency_keys (
    scope        TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    response     BLOB,
    created_at   DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE timeline_events;
DROP TABLE customer_merges;
DROP TABLE customer_identifiers;
DROP TABLE customers;
