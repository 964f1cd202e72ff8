-- +goose Up
-- Published rule sets; exactly one is active.
CREATE TABLE routing_rulesets (
    version      INTEGER PRIMARY KEY,
    document     TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at DATETIME NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT 0,
    activated_at DATETIME
);
CREATE UNIQUE INDEX routing_rulesets_one_active ON routing_rulesets (active) WHERE active;

-- How each case was routed, and the state of its claim.
ALTER TABLE cases ADD COLUMN ruleset_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN routed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN routing_summary TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN skills TEXT NOT NULL DEFAULT '[]';
ALTER TABLE cases ADD COLUMN claimed_at DATETIME;
ALTER TABLE cases ADD COLUMN handoff_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cases_claim ON cases (queue, priority, sla_due_at) WHERE status = 'open' AND assignee = '';

-- Where each contact was routed (the "actual" a simulation compares against).
ALTER TABLE contacts ADD COLUMN routed_tier INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN routed_queue TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN routed_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN ruleset_version INTEGER NOT NULL DEFAULT 0;

-- Every move of a case between tiers or queues, with its reason.
CREATE TABLE case_handoffs (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL REFERENCES cases (id),
    from_tier   INTEGER NOT NULL,
    to_tier     INTEGER NOT NULL,
    from_queue  TEXT NOT NULL,
    to_queue    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    handed_by   TEXT NOT NULL,
    handed_at   DATETIME NOT NULL
);
CREATE INDEX case_handoffs_case ON case_handoffs (case_id, handed_at);
CREATE INDEX case_handoffs_at ON case_handoffs (handed_at);

-- +goose Down
DROP TABLE case_handoffs;
DROP INDEX cases_claim;
DROP TABLE routing_rulesets;
