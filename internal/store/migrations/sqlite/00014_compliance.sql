-- +goose Up
-- Quality-assurance sampling plans, versioned; runs use the latest.
CREATE TABLE qa_plans (
    version      INTEGER PRIMARY KEY,
    document     TEXT NOT NULL,
    published_by TEXT NOT NULL,
    published_at DATETIME NOT NULL
);

-- Each sampling run, with the seed that makes it reproducible.
CREATE TABLE qa_runs (
    id           TEXT PRIMARY KEY,
    plan_version INTEGER NOT NULL REFERENCES qa_plans (version),
    period_from  DATETIME NOT NULL,
    period_to    DATETIME NOT NULL,
    seed         INTEGER NOT NULL,
    considered   INTEGER NOT NULL,
    sampled      INTEGER NOT NULL,
    requested_by TEXT NOT NULL,
    created_at   DATETIME NOT NULL
);
-- The hub draws each day's sample once, whichever replica gets there first.
CREATE UNIQUE INDEX qa_runs_daily ON qa_runs (period_from, period_to) WHERE requested_by = 'contacthub';

-- One review per sampled case: a case is sampled at most once.
CREATE TABLE qa_reviews (
    id                     TEXT PRIMARY KEY,
    run_id                 TEXT NOT NULL REFERENCES qa_runs (id),
    case_id                TEXT NOT NULL UNIQUE REFERENCES cases (id),
    officer                TEXT NOT NULL,
    service_lgsl           INTEGER NOT NULL,
    tier                   INTEGER NOT NULL,
    why                    TEXT NOT NULL,
    assignee               TEXT NOT NULL DEFAULT '',
    status                 TEXT NOT NULL,
    seed                   INTEGER NOT NULL,
    sampled_at             DATETIME NOT NULL,
    outcome                TEXT NOT NULL DEFAULT '',
    error_categories       TEXT NOT NULL DEFAULT '[]',
    financial_impact_pence INTEGER,
    notes                  TEXT NOT NULL DEFAULT '',
    reviewed_by            TEXT NOT NULL DEFAULT '',
    reviewed_at            DATETIME,
    reopened               BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX qa_reviews_status ON qa_reviews (status, id);
CREATE INDEX qa_reviews_officer ON qa_reviews (officer, id);
CREATE INDEX qa_reviews_reviewed ON qa_reviews (reviewed_at) WHERE reviewed_at IS NOT NULL;

-- Exception reports: resolved cases by resolution time, claims by claim time.
CREATE INDEX cases_resolved_at ON cases (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX timeline_events_kind ON timeline_events (kind, occurred_at);

-- +goose Down
DROP INDEX timeline_events_kind;
DROP INDEX cases_resolved_at;
DROP TABLE qa_reviews;
DROP INDEX qa_runs_daily;
DROP TABLE qa_runs;
DROP TABLE qa_plans;
