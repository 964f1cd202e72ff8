-- +goose Up
-- A live stream resumes from the last message it sent. Message ids are UUIDv7, made
-- before their transaction commits, so a message with a lower id can commit after one
-- with a higher id, and a client resuming "after" the higher id would never see it. So
-- each message is also given a place in the order it was published: the dispatcher
-- holds outbox_sequence's one row while it numbers a batch (dispatchers on several
-- replicas take turns), numbers run on without gaps, and a message is numbered only
-- once it has committed. Streams send the number as their event id.
CREATE TABLE outbox_sequence (
    id       INTEGER PRIMARY KEY,
    last_seq INTEGER NOT NULL
);
INSERT INTO outbox_sequence (id, last_seq) VALUES (1, 0);
ALTER TABLE outbox ADD COLUMN seq INTEGER;
CREATE UNIQUE INDEX outbox_seq ON outbox (seq) WHERE seq IS NOT NULL;

-- +goose Down
DROP INDEX outbox_seq;
ALTER TABLE outbox DROP COLUMN seq;
DROP TABLE outbox_sequence;
