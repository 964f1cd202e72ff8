-- +goose Up
-- Contacts counted by arrival as they are recorded: one row per channel, quarter hour of
-- UTC time (Unix seconds / 900), service and centre. The workforce forecast and its
-- backtest read these instead of the contacts: a 4-week forecast reads about 16,000 rows
-- of one channel rather than 400,000 contacts. Intake adds 1 in the contact's own
-- transaction, so a contact recorded late, with an earlier start, is counted where it
-- belongs. The channel leads the key: every read is of one channel over a run of time.
CREATE TABLE contact_quarter (
    channel      TEXT NOT NULL,
    quarter      INTEGER NOT NULL,
    service_lgsl INTEGER NOT NULL,
    centre       TEXT NOT NULL,
    contacts     INTEGER NOT NULL,
    PRIMARY KEY (channel, quarter, service_lgsl, centre)
) WITHOUT ROWID;

-- Contacts recorded before this migration are counted once, here.
INSERT INTO contact_quarter (channel, quarter, service_lgsl, centre, contacts)
SELECT channel, CAST(strftime('%s', started_at) AS INTEGER) / 900, service_lgsl, centre, COUNT(*)
FROM contacts GROUP BY 1, 2, 3, 4;

-- A calendar entry's uplift is the supervisor's, or learnt from the same days a year
-- (52 weeks) before: then the days it was learnt from are kept, and the forecast treats
-- them as the same event (left out of its averages and of the time-of-year factor).
ALTER TABLE workforce_calendar ADD COLUMN uplift_source TEXT NOT NULL DEFAULT 'supervisor';
ALTER TABLE workforce_calendar ADD COLUMN learnt_from TEXT NOT NULL DEFAULT '';
ALTER TABLE workforce_calendar ADD COLUMN learnt_to TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE workforce_calendar DROP COLUMN learnt_to;
ALTER TABLE workforce_calendar DROP COLUMN learnt_from;
ALTER TABLE workforce_calendar DROP COLUMN uplift_source;
DROP TABLE contact_quarter;
