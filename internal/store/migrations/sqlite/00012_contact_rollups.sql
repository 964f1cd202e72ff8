-- +goose Up
-- Contacts counted as they happen, one row per UTC day and combination of what the
-- reports filter and group by, so that a year's channel shift reads a few thousand rows
-- instead of every contact. Intake adds 1 in the contact's own transaction (and moves
-- the 1 between outcomes when a contact's outcome changes). opened_tier is the tier of
-- the case the contact opened, 0 when it joined a case or opened none: the tier mix of
-- cases opened comes from it without a second dimension. Days are 'YYYY-MM-DD' text in
-- both engines: one key format, which sorts as dates do.
CREATE TABLE contact_daily (
    day              TEXT NOT NULL,
    channel          TEXT NOT NULL,
    service_lgsl     INTEGER NOT NULL,
    centre           TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    avoidable_reason TEXT NOT NULL,
    opened_tier      INTEGER NOT NULL,
    contacts         INTEGER NOT NULL,
    PRIMARY KEY (day, channel, service_lgsl, centre, outcome, avoidable_reason, opened_tier)
) WITHOUT ROWID; -- the key is the table: one B-tree to find and update, not a table and an index

-- Contacts recorded before this migration are counted once, here.
INSERT INTO contact_daily (day, channel, service_lgsl, centre, outcome, avoidable_reason, opened_tier, contacts)
SELECT substr(ct.started_at, 1, 10), ct.channel, ct.service_lgsl, ct.centre, ct.outcome, ct.avoidable_reason,
       CASE WHEN cs.id IS NULL THEN 0 ELSE ct.routed_tier END, COUNT(*)
FROM contacts ct LEFT JOIN cases cs ON cs.opened_by_contact_id = ct.id
GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- Repeat customers (N contacts in the last M days) are counted per customer at read
-- time, where merges are already followed; the customer beside the time makes that an
-- index-only read of the window.
DROP INDEX contacts_started;
CREATE INDEX contacts_started ON contacts (started_at, customer_id);

-- +goose Down
DROP INDEX contacts_started;
CREATE INDEX contacts_started ON contacts (started_at);
DROP TABLE contact_daily;
