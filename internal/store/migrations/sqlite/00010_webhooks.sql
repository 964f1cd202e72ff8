-- +goose Up
-- Webhook subscriptions (Standard Webhooks 1.0): who wants which events, where, signed
-- with which secret. previous_secret keeps signing until previous_secret_until after a
-- rotation, so a receiver can switch secrets without losing a delivery.
CREATE TABLE webhook_subscriptions (
    id                    TEXT PRIMARY KEY,
    owner_subject         TEXT NOT NULL,
    url                   TEXT NOT NULL,
    event_types           TEXT NOT NULL,
    filter_service        INTEGER,
    filter_queue          TEXT,
    description           TEXT NOT NULL DEFAULT '',
    enabled               INTEGER NOT NULL,
    secret                TEXT NOT NULL,
    previous_secret       TEXT,
    previous_secret_until DATETIME,
    disabled_reason       TEXT NOT NULL DEFAULT '',
    failing_since         DATETIME,
    created_at            DATETIME NOT NULL,
    updated_at            DATETIME NOT NULL,
    version               INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_owner ON webhook_subscriptions (owner_subject, id);

-- One delivery of one event to one subscription; retried until it succeeds, fails for
-- good (a 4xx) or its retry window, from retry_from, ends (dead). Per (subscription, msg_key) only the
-- oldest pending delivery is sent, so a receiver hears a case's events in order.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    msg_key         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    retry_from      DATETIME NOT NULL,
    next_attempt_at DATETIME NOT NULL,
    last_status     INTEGER,
    last_error      TEXT NOT NULL DEFAULT '',
    last_latency_ms INTEGER,
    created_at      DATETIME NOT NULL,
    finished_at     DATETIME,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_key ON webhook_deliveries (subscription_id, msg_key, event_id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (subscription_id, id);

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at          DATETIME NOT NULL,
    status_code INTEGER,
    latency_ms  INTEGER NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    answer      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (delivery_id, attempt)
);

-- The fan-out's one row: a replica holds it (FOR UPDATE) while it turns outbox messages
-- into deliveries, and it records the last message fanned out. Messages are marked one
-- by one (outbox.fanned_out_at) rather than passed by an id cursor: ids are made before
-- their transaction commits, so a later id can commit first and a cursor would skip the
-- earlier one.
CREATE TABLE webhook_fanout (
    id         INTEGER PRIMARY KEY,
    last_id    TEXT,
    updated_at DATETIME
);
INSERT INTO webhook_fanout (id) VALUES (1);
ALTER TABLE outbox ADD COLUMN fanned_out_at DATETIME;
CREATE INDEX outbox_unfanned ON outbox (id) WHERE fanned_out_at IS NULL;
UPDATE outbox SET fanned_out_at = created_at;

-- +goose Down
DROP INDEX outbox_unfanned;
ALTER TABLE outbox DROP COLUMN fanned_out_at;
DROP TABLE webhook_fanout;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
