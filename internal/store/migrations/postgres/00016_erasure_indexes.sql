-- +goose Up
-- An erasure finds every copy of a person's text: outbox messages and webhook deliveries
-- by their key (the customer's or a case's id), ratings by customer and case. Without
-- these it read each table whole inside its transaction, and on SQLite, where that
-- transaction holds the one write lock, every other write waited for the scan.
CREATE INDEX outbox_msg_key ON outbox (msg_key);
CREATE INDEX webhook_deliveries_msg_key ON webhook_deliveries (msg_key);
CREATE INDEX ratings_customer ON ratings (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX ratings_case ON ratings (case_id) WHERE case_id IS NOT NULL;

-- +goose Down
DROP INDEX ratings_case;
DROP INDEX ratings_customer;
DROP INDEX webhook_deliveries_msg_key;
DROP INDEX outbox_msg_key;
