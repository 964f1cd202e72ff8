-- +goose Up
-- Landlord organisations, the people who use the portal for them, their properties and
-- tenancies, and the invitations that bring them in.
CREATE TABLE landlords (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    reference  TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);
CREATE TABLE landlord_users (
    landlord_id    TEXT NOT NULL REFERENCES landlords (id),
    subject        TEXT NOT NULL,
    email          TEXT NOT NULL,
    accepted_at    DATETIME NOT NULL,
    last_active_at DATETIME NOT NULL,
    PRIMARY KEY (landlord_id, subject)
);
CREATE TABLE landlord_properties (
    id          TEXT PRIMARY KEY,
    landlord_id TEXT NOT NULL REFERENCES landlords (id),
    uprn        TEXT NOT NULL,
    line1       TEXT NOT NULL DEFAULT '',
    postcode    TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL,
    UNIQUE (landlord_id, uprn)
);
CREATE TABLE tenancies (
    id          TEXT PRIMARY KEY,
    property_id TEXT NOT NULL REFERENCES landlord_properties (id),
    customer_id TEXT NOT NULL REFERENCES customers (id),
    starts_on   TEXT NOT NULL,
    ends_on     TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL
);
CREATE INDEX tenancies_property ON tenancies (property_id);
CREATE TABLE landlord_invitations (
    id          TEXT PRIMARY KEY,
    landlord_id TEXT NOT NULL REFERENCES landlords (id),
    email       TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  DATETIME NOT NULL,
    accepted_at DATETIME,
    accepted_by TEXT,
    created_at  DATETIME NOT NULL
);
-- Which landlord raised a contact, so a landlord sees only the cases it is party to.
ALTER TABLE contacts ADD COLUMN landlord_id TEXT NOT NULL DEFAULT '';
CREATE INDEX contacts_landlord ON contacts (landlord_id) WHERE landlord_id <> '';

-- +goose Down
DROP INDEX contacts_landlord;
DROP TABLE landlord_invitations;
DROP TABLE tenancies;
DROP TABLE landlord_properties;
DROP TABLE landlord_users;
DROP TABLE landlords;
