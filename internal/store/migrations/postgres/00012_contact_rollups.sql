-- +goose Up
-- Contacts counted as they happen: one row per UTC day and combination of what the
-- reports filter by (channel, service, centre), with a column for each thing they count
-- (contacts, each outcome, each avoidable reason, cases opened at each tier). Intake adds
-- to the row in the contact's own transaction, and moves a count between outcome columns
-- when a contact's outcome changes. Measures are columns rather than key parts so that a
-- day has a few hundred rows however the contacts fall, and a year's report reads tens of
-- thousands of rows instead of a million contacts. Days are 'YYYY-MM-DD' text in both
-- engines: one key format, which sorts as dates do.
CREATE TABLE contact_daily (
    day                    TEXT NOT NULL,
    channel                TEXT NOT NULL,
    service_lgsl           INTEGER NOT NULL,
    centre                 TEXT NOT NULL,
    contacts               INTEGER NOT NULL DEFAULT 0,
    in_progress            INTEGER NOT NULL DEFAULT 0,
    resolved_first_contact INTEGER NOT NULL DEFAULT 0,
    self_served            INTEGER NOT NULL DEFAULT 0,
    handed_off             INTEGER NOT NULL DEFAULT 0,
    referred               INTEGER NOT NULL DEFAULT 0,
    abandoned              INTEGER NOT NULL DEFAULT 0,
    avoidable_repeat           INTEGER NOT NULL DEFAULT 0,
    avoidable_progress_chasing INTEGER NOT NULL DEFAULT 0,
    avoidable_chasing_response INTEGER NOT NULL DEFAULT 0,
    avoidable_misdirected      INTEGER NOT NULL DEFAULT 0,
    opened_tier_1          INTEGER NOT NULL DEFAULT 0,
    opened_tier_2          INTEGER NOT NULL DEFAULT 0,
    opened_tier_3          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel, service_lgsl, centre)
);

-- Contacts recorded before this migration are counted once, here. A contact opened a
-- case when the case names it as its opener.
INSERT INTO contact_daily
SELECT to_char(ct.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ct.channel, ct.service_lgsl, ct.centre, COUNT(*),
       SUM(CASE WHEN ct.outcome = 'in_progress' THEN 1 ELSE 0 END),
       SUM(CASE WHEN ct.outcome = 'resolved_first_contact' THEN 1 ELSE 0 END),
       SUM(CASE WHEN ct.outcome = 'self_served' THEN 1 ELSE 0 END),
       SUM(CASE WHEN ct.outcome = 'handed_off' THEN 1 ELSE 0 END),
       SUM(CASE WHEN ct.outcome = 'referred' THEN 1 ELSE 0 END),
       SUM(CASE WHEN ct.outcome = 'abandoned' THEN 1 ELSE 0 END),
       SUM(CASE WHEN ct.avoidable_reason = 'repeat' THEN 1 ELSE 0 END),
       SUM(CASE WHEN ct.avoidable_reason = 'progress_chasing' THEN 1 ELSE 0 END),
       SUM(CASE WHEN ct.avoidable_reason = 'chasing_response' THEN 1 ELSE 0 END),
       SUM(CASE WHEN ct.avoidable_reason = 'misdirected' THEN 1 ELSE 0 END),
       SUM(CASE WHEN cs.id IS NOT NULL AND ct.routed_tier = 1 THEN 1 ELSE 0 END),
       SUM(CASE WHEN cs.id IS NOT NULL AND ct.routed_tier = 2 THEN 1 ELSE 0 END),
       SUM(CASE WHEN cs.id IS NOT NULL AND ct.routed_tier = 3 THEN 1 ELSE 0 END)
FROM contacts ct LEFT JOIN cases cs ON cs.opened_by_contact_id = ct.id
GROUP BY 1, 2, 3, 4;

-- Hand-offs counted as they happen, by UTC day, the case's service and channel, the
-- reason and the tiers from and to; casework adds 1 in the hand-off's transaction.
CREATE TABLE handoff_daily (
    day          TEXT NOT NULL,
    service_lgsl INTEGER NOT NULL,
    channel      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    from_tier    INTEGER NOT NULL,
    to_tier      INTEGER NOT NULL,
    handoffs     INTEGER NOT NULL,
    PRIMARY KEY (day, service_lgsl, channel, reason, from_tier, to_tier)
);
INSERT INTO handoff_daily
SELECT to_char(h.handed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), c.service_lgsl, c.channel, h.reason, h.from_tier, h.to_tier, COUNT(*)
FROM case_handoffs h JOIN cases c ON c.id = h.case_id
GROUP BY 1, 2, 3, 4, 5, 6;

-- Repeat customers (N contacts in the last M days) are counted per customer at read
-- time, where merges are already followed; the customer beside the time makes that an
-- index-only read of the window.
DROP INDEX contacts_started;
CREATE INDEX contacts_started ON contacts (started_at, customer_id);

-- +goose Down
DROP INDEX contacts_started;
CREATE INDEX contacts_started ON contacts (started_at);
DROP TABLE handoff_daily;
DROP TABLE contact_daily;
