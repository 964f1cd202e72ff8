-- +goose Up
-- The one customer record. Names are also kept lower-cased (*_key) for prefix search.
CREATE TABLE customers (
    id                 uuid PRIMARY KEY,
    given_name         text NOT NULL DEFAULT '',
    family_name        text NOT NULL DEFAULT '',
    given_name_key     text NOT NULL DEFAULT '',
    family_name_key    text NOT NULL DEFAULT '',
    date_of_birth      text NOT NULL DEFAULT '',
    address_line1      text NOT NULL DEFAULT '',
    address_line2      text NOT NULL DEFAULT '',
    address_town       text NOT NULL DEFAULT '',
    postcode           text NOT NULL DEFAULT '',
    vulnerable         boolean NOT NULL DEFAULT false,
    assisted_digital   boolean NOT NULL DEFAULT false,
    preferred_language text NOT NULL DEFAULT '',
    accessibility      text NOT NULL DEFAULT '[]',
    sms_surveys        boolean NOT NULL DEFAULT false,
    merged_into        uuid REFERENCES customers (id),
    version            integer NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);
-- text_pattern_ops lets LIKE 'prefix%' use the index whatever the collation.
CREATE INDEX customers_family_name ON customers (family_name_key text_pattern_ops, given_name_key);
CREATE INDEX customers_given_name ON customers (given_name_key text_pattern_ops);
CREATE INDEX customers_postcode ON customers (postcode) WHERE postcode <> '';

-- An identifier of one kind belongs to at most one customer; merged-away records hold none.
CREATE TABLE customer_identifiers (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers (id),
    kind        text NOT NULL,
    value       text NOT NULL,
    added_at    timestamptz NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX customer_identifiers_customer ON customer_identifiers (customer_id);
CREATE INDEX customer_identifiers_value ON customer_identifiers (value);

-- Who merged which records; snapshot holds what undo needs to restore both exactly.
CREATE TABLE customer_merges (
    id           uuid PRIMARY KEY,
    survivor_id  uuid NOT NULL REFERENCES customers (id),
    duplicate_id uuid NOT NULL REFERENCES customers (id),
    reason       text NOT NULL,
    merged_by    text NOT NULL,
    merged_at    timestamptz NOT NULL,
    snapshot     jsonb NOT NULL,
    undone_by    text,
    undone_at    timestamptz,
    undo_reason  text
);
CREATE INDEX customer_merges_survivor ON customer_merges (survivor_id);
CREATE INDEX customer_merges_duplicate ON customer_merges (duplicate_id);

-- Append-only timeline events; a customer's timeline reads newest first by (time, id).
CREATE TABLE timeline_events (
    id            uuid PRIMARY KEY,
    customer_id   uuid,
    case_id       uuid,
    kind          text NOT NULL,
    actor_subject text NOT NULL,
    actor_role    text NOT NULL,
    data          jsonb NOT NULL,
    occurred_at   timestamptz NOT NULL
);
CREATE INDEX timeline_events_customer ON timeline_events (customer_id, occurred_at DESC, id DESC) WHERE customer_id IS NOT NULL;
CREATE INDEX timeline_events_case ON timeline_events (case_id, occurred_at DESC, id DESC) WHERE case_id IS NOT NULL;

-- Idempotency keys when Redis is not configured: the first response to a key, replayed.
CREATE TABLE idempotency_keys (
    scope        text PRIMARY KEY,
    request_hash text NOT NULL,
    status       integer NOT NULL DEFAULT 0,
    response     bytea,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE timeline_events;
DROP TABLE customer_merges;
DROP TABLE customer_identifiers;
DROP TABLE customers;
