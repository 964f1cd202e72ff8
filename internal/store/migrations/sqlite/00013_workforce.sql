-- +goose Up
-- The forecast counts a channel's contacts by arrival time over a year and more of history.
CREATE INDEX contacts_channel_started ON contacts (channel, started_at);

-- Calendar entries a supervisor marks for the forecast: days that change demand (a bank
-- holiday, annual billing, a letter run) with the expected uplift (0.4 is 40 % more
-- contacts, -1 a closure), for one channel or, with channel '', for all. Days are local
-- dates written YYYY-MM-DD.
CREATE TABLE workforce_calendar (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    channel     TEXT NOT NULL DEFAULT '',
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL,
    uplift      REAL NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  DATETIME NOT NULL
);
CREATE INDEX workforce_calendar_days ON workforce_calendar (ends_on, starts_on);

-- +goose Down
DROP TABLE workforce_calendar;
DROP INDEX contacts_channel_started;
