-- +goose Up
-- Satisfaction ratings from every channel, attached to what is known when they arrive.
CREATE TABLE ratings (
    id           TEXT PRIMARY KEY,
    source       TEXT NOT NULL,
    score        INTEGER,
    useful       BOOLEAN,
    comment      TEXT NOT NULL DEFAULT '',
    page_url     TEXT NOT NULL DEFAULT '',
    centre       TEXT NOT NULL DEFAULT '',
    contact_id   TEXT,
    case_id      TEXT,
    customer_id  TEXT,
    channel      TEXT NOT NULL DEFAULT '',
    tier         INTEGER NOT NULL DEFAULT 0,
    service_lgsl INTEGER NOT NULL DEFAULT 0,
    agent        TEXT NOT NULL DEFAULT '',
    survey_id    TEXT,
    created_at   DATETIME NOT NULL
);
CREATE INDEX ratings_created ON ratings (created_at);
CREATE INDEX ratings_contact ON ratings (contact_id);

-- SMS surveys after contacts: one per contact at most.
CREATE TABLE surveys (
    id              TEXT PRIMARY KEY,
    contact_id      TEXT NOT NULL UNIQUE,
    customer_id     TEXT NOT NULL,
    phone           TEXT NOT NULL,
    service_lgsl    INTEGER NOT NULL,
    provider        TEXT NOT NULL,
    status          TEXT NOT NULL,
    send_after      DATETIME NOT NULL,
    expires_at      DATETIME NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    provider_id     TEXT NOT NULL DEFAULT '',
    delivery_status TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    sent_at         DATETIME,
    answered_at     DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);
CREATE INDEX surveys_due ON surveys (next_attempt_at) WHERE status = 'scheduled';
CREATE INDEX surveys_phone ON surveys (phone, sent_at);
CREATE INDEX surveys_customer ON surveys (customer_id, created_at);
CREATE INDEX surveys_provider_id ON surveys (provider_id);

-- Provider callbacks already handled, so a retried callback changes nothing.
CREATE TABLE provider_callbacks (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at DATETIME NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- +goose Down
DROP TABLE provider_callbacks;
DROP TABLE surveys;
DROP TABLE ratings;
