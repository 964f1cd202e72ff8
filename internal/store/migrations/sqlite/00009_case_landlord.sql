-- +goose Up
-- The landlord organisation that raised a case through its portal ('' for a customer's
-- own case). A landlord's contacts join only its own cases, a customer's own contacts
-- never join a landlord's, and the portal lists only these: a tenant's cases are private
-- to the tenant.
ALTER TABLE cases ADD COLUMN landlord_id TEXT NOT NULL DEFAULT '';
UPDATE cases SET landlord_id = (SELECT c.landlord_id FROM contacts c WHERE c.id = cases.opened_by_contact_id)
 WHERE opened_by_contact_id IN (SELECT id FROM contacts WHERE landlord_id <> '');
CREATE INDEX cases_landlord ON cases (landlord_id) WHERE landlord_id <> '';

-- +goose Down
DROP INDEX cases_landlord;
ALTER TABLE cases DROP COLUMN landlord_id;
