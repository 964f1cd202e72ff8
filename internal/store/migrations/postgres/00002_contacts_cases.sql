-- +goose Up
-- A case is one customer need; it has one tier, queue, status and owner at a time.
CREATE TABLE cases (
    id                        uuid PRIMARY KEY,
    customer_id               uuid NOT NULL REFERENCES customers (id),
    service_lgsl              INTEGER NOT NULL,
    service_category          TEXT NOT NULL DEFAULT '',
    status                    TEXT NOT NULL,
    tier                      INTEGER NOT NULL DEFAULT 1,
    queue                     TEXT NOT NULL DEFAULT 'general',
    assignee                  TEXT NOT NULL DEFAULT '',
    priority                  INTEGER NOT NULL DEFAULT 3,
    sla_due_at                timestamptz NOT NULL,
    channel                   TEXT NOT NULL,
    opened_by_contact_id      uuid,
    resolved_at_first_contact boolean NOT NULL DEFAULT false,
    resolution_code           TEXT NOT NULL DEFAULT '',
    resolved_at               timestamptz,
    summary                   TEXT NOT NULL DEFAULT '',
    contact_count             INTEGER NOT NULL DEFAULT 0,
    last_contact_at           timestamptz,
    version                   INTEGER NOT NULL,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL
);
CREATE INDEX cases_customer_open ON cases (customer_id, service_lgsl, status);
CREATE INDEX cases_queue ON cases (status, queue, priority, sla_due_at);
CREATE INDEX cases_sla ON cases (sla_due_at) WHERE status NOT IN ('resolved', 'closed');

-- A contact is one interaction on one channel.
CREATE TABLE contacts (
    id                uuid PRIMARY KEY,
    customer_id       uuid REFERENCES customers (id),
    case_id           uuid REFERENCES cases (id),
    channel           TEXT NOT NULL,
    direction         TEXT NOT NULL,
    started_at        timestamptz NOT NULL,
    ended_at          timestamptz,
    service_lgsl      INTEGER NOT NULL,
    service_category  TEXT NOT NULL DEFAULT '',
    intent            TEXT NOT NULL DEFAULT '',
    summary           TEXT NOT NULL DEFAULT '',
    centre            TEXT NOT NULL DEFAULT '',
    assisted_digital  boolean NOT NULL DEFAULT false,
    on_behalf_of      jsonb NOT NULL DEFAULT '{}',
    agent             TEXT NOT NULL DEFAULT '',
    external_id       TEXT,
    outcome           TEXT NOT NULL,
    avoidable_reason  TEXT NOT NULL DEFAULT '',
    identifiers       jsonb NOT NULL DEFAULT '[]',
    version           INTEGER NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id, started_at DESC);
CREATE INDEX contacts_case ON contacts (case_id, started_at DESC);
CREATE INDEX contacts_started ON contacts (started_at);
CREATE UNIQUE INDEX contacts_external ON contacts (channel, external_id) WHERE external_id IS NOT NULL;

-- Referrals of a case to partner bodies.
CREATE TABLE referrals (
    id          uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    partner     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL,
    referred_by TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX referrals_case ON referrals (case_id, created_at);

-- The transactional outbox: messages written with the change, published after commit.
CREATE TABLE outbox (
    id           uuid PRIMARY KEY,
    topic        TEXT NOT NULL,
    msg_key      TEXT NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;

-- +goose Down
DROP TABLE outbox;
DROP TABLE referrals;
DROP TABLE contacts;
DROP TABLE cases;
