-- +goose Up
-- PostgreSQL's 00007 tunes autovacuum for the case queue; SQLite has no autovacuum
-- thresholds to tune, so the version is kept in step with nothing to do.
SELECT 1;

-- +goose Down
SELECT 1;
