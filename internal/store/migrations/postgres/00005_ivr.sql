-- +goose Up
-- One row per telephone call, following its events.
CREATE TABLE ivr_calls (
    call_id     TEXT PRIMARY KEY,
    contact_id  uuid NOT NULL,
    state       TEXT NOT NULL,
    agent       TEXT NOT NULL DEFAULT '',
    queue       TEXT NOT NULL DEFAULT '',
    cause       TEXT NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    answered_at timestamptz,
    ended_at    timestamptz
);

-- Events already applied, so a repeated event changes nothing.
CREATE TABLE ivr_events (
    call_id     TEXT NOT NULL,
    event       TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (call_id, event, seq)
);

-- +goose Down
DROP TABLE ivr_events;
DROP TABLE ivr_calls;
