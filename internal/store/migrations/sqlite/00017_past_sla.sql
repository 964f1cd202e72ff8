-- +goose Up
-- "Past SLA" becomes an avoidable reason of its own (issue 15). Until now a contact
-- about a case already past its service level was counted as `chasing_response`
-- whatever it asked; from now on `chasing_response` is only a contact that says it
-- chases a reply (its intent), and a contact on an overdue case that does not say so is
-- `past_sla`. The contacts recorded before are sorted the same way: their intent is
-- kept, so an inferred `chasing_response` is one whose intent is not
-- `chasing_response`. The daily rollup moves those counts to the new column, row by row,
-- before the contacts change, so the reports stay equal to the contacts.
ALTER TABLE contact_daily ADD COLUMN avoidable_past_sla INTEGER NOT NULL DEFAULT 0;

UPDATE contact_daily
SET avoidable_past_sla = moved.n, avoidable_chasing_response = contact_daily.avoidable_chasing_response - moved.n
FROM (SELECT substr(started_at, 1, 10) AS day, channel, service_lgsl, centre, COUNT(*) AS n
      FROM contacts WHERE avoidable_reason = 'chasing_response' AND intent <> 'chasing_response'
      GROUP BY 1, 2, 3, 4) moved
WHERE contact_daily.day = moved.day AND contact_daily.channel = moved.channel
  AND contact_daily.service_lgsl = moved.service_lgsl AND contact_daily.centre = moved.centre;

UPDATE contacts SET avoidable_reason = 'past_sla'
WHERE avoidable_reason = 'chasing_response' AND intent <> 'chasing_response';

-- +goose Down
UPDATE contacts SET avoidable_reason = 'chasing_response' WHERE avoidable_reason = 'past_sla';
UPDATE contact_daily SET avoidable_chasing_response = avoidable_chasing_response + avoidable_past_sla;
ALTER TABLE contact_daily DROP COLUMN avoidable_past_sla;
