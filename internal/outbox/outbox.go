// Package outbox delivers what happened in the hub to whoever cares — other replicas,
// webhooks, agents' live streams — without losing or inventing anything: a change
// writes its message into the outbox table in the same transaction as the change, and
// a dispatcher later publishes committed messages to the bus.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/store"
)

// Message is one thing that happened, as published.
type Message struct {
	ID        string          `json:"id"`
	Topic     string          `json:"topic"`
	Key       string          `json:"key"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt time.Time       `json:"createdAt"`
	// Seq is the message's place in the order messages were published: numbers run on
	// without gaps across every replica, so a consumer that sees one skipped knows it
	// missed a message (the bus may drop one) and can read it back from the outbox.
	Seq int64 `json:"seq"`
}

const insertMessage = `INSERT INTO outbox (id, topic, msg_key, payload, created_at) VALUES (?, ?, ?, ?, ?)`

// Add writes a message inside tx: it is published only if tx commits.
func Add(ctx context.Context, tx *sqlx.Tx, topic, key string, payload any) error {
	return AddWithID(ctx, tx, store.NewID(), topic, key, payload)
}

// AddWithID writes a message under id (a UUIDv7, so ids order as they were made): an
// event's message takes the event's id, so a live stream resumes from it.
func AddWithID(ctx context.Context, tx *sqlx.Tx, id, topic, key string, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s message: %w", topic, err)
	}
	if err := store.Append(ctx, tx, insertMessage, id, topic, key, string(raw), store.Now()); err != nil {
		return fmt.Errorf("write %s message: %w", topic, err)
	}
	return nil
}

// Publisher sends messages on; an error leaves them to be sent again.
type Publisher interface {
	Publish(ctx context.Context, msgs []Message) error
}

// WithNumber is work done once for each message in the transaction that numbers it.
// Webhook fan-out is: its deliveries go in with the number, and the one UPDATE that
// numbers a message also marks it fanned out, so a message row is written twice (its
// insert, its number) instead of three times, and its payload read once.
type WithNumber func(ctx context.Context, tx *sqlx.Tx, msgs []Message) error

// Dispatcher numbers committed messages in the order it takes them and publishes them.
type Dispatcher struct {
	db       *store.DB
	pub      Publisher
	log      *slog.Logger
	Batch    int
	Interval time.Duration
	// Also, when set, runs in each numbering transaction (see WithNumber), and the
	// messages it numbers are marked fanned out (outbox.fanned_out_at) with their number.
	Also WithNumber
}

// NewDispatcher publishes db's outbox to pub.
func NewDispatcher(db *store.DB, pub Publisher, log *slog.Logger) *Dispatcher {
	return &Dispatcher{db: db, pub: pub, log: log, Batch: 200, Interval: 100 * time.Millisecond}
}

type messageRow struct {
	ID        string    `db:"id"`
	Topic     string    `db:"topic"`
	Key       string    `db:"msg_key"`
	Payload   []byte    `db:"payload"`
	CreatedAt time.Time `db:"created_at"`
}

const (
	takeSequence  = `SELECT last_seq FROM outbox_sequence WHERE id = 1`
	selectPending = `SELECT id, topic, msg_key, payload, created_at FROM outbox
 WHERE published_at IS NULL ORDER BY id LIMIT ?`
	moveSequence = `UPDATE outbox_sequence SET last_seq = ? WHERE id = 1`
	anyPending   = `SELECT id FROM outbox WHERE published_at IS NULL LIMIT 1`
	// A message not yet fanned out to webhooks is kept whatever its age (fan-out takes
	// well under a second; its deliveries then keep their own copy for their retries).
	purgeOld = `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ? AND fanned_out_at IS NOT NULL`
)

// markPublished numbers a batch in one statement: the ids come as a JSON array, and
// each message's number is the sequence's last plus its place in the array.
var markPublished = map[store.Dialect]string{
	store.Postgres: `UPDATE outbox o SET published_at = ?, seq = ? + t.n
 FROM jsonb_array_elements_text(?::jsonb) WITH ORDINALITY AS t(id, n) WHERE o.id = t.id::uuid`,
	store.SQLite: `UPDATE outbox SET published_at = ?,
 seq = ? + 1 + (SELECT t.key FROM json_each(?) AS t WHERE t.value = outbox.id)
 WHERE id IN (SELECT value FROM json_each(?))`,
}

// markPublishedFanned is markPublished for a dispatcher whose Also fans the batch out.
var markPublishedFanned = map[store.Dialect]string{
	store.Postgres: `UPDATE outbox o SET published_at = ?, fanned_out_at = ?, seq = ? + t.n
 FROM jsonb_array_elements_text(?::jsonb) WITH ORDINALITY AS t(id, n) WHERE o.id = t.id::uuid`,
	store.SQLite: `UPDATE outbox SET published_at = ?, fanned_out_at = ?,
 seq = ? + 1 + (SELECT t.key FROM json_each(?) AS t WHERE t.value = outbox.id)
 WHERE id IN (SELECT value FROM json_each(?))`,
}

// Retention is how long published messages are kept (for tracing what was sent).
const Retention = 7 * 24 * time.Hour

// Purge deletes messages published more than Retention ago.
func (d *Dispatcher) Purge(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(purgeOld), store.Now().Add(-Retention)); err != nil {
		return fmt.Errorf("purge outbox: %w", store.MapError(err))
	}
	return nil
}

// DispatchOnce numbers up to Batch committed messages and publishes them, reporting how
// many. The sequence's row is held (FOR UPDATE on PostgreSQL; SQLite has one writer)
// while a batch is numbered, so dispatchers on several replicas take turns and numbers
// follow the order batches commit. Messages are published after that commit: a number
// seen on the bus is never taken back. A crash or a bus failure between the commit and
// the publish leaves messages numbered but not heard live; streams see the gap in the
// numbers and read them back from the outbox, and the rules' poll catches up on its own.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (int, error) {
	// A plain read first: an idle hub then never opens a write transaction, which on
	// SQLite would take the database's one write lock ten times a second.
	var pending []string
	if err := d.db.SelectContext(ctx, &pending, anyPending); err != nil {
		return 0, fmt.Errorf("read outbox: %w", store.MapError(err))
	}
	if len(pending) == 0 {
		return 0, nil
	}
	var msgs []Message
	err := d.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		msgs, err = d.number(ctx, tx)
		return err
	})
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	if err := d.pub.Publish(ctx, msgs); err != nil {
		return len(msgs), fmt.Errorf("publish %d numbered messages (streams read them back): %w", len(msgs), err)
	}
	return len(msgs), nil
}

// number takes the next batch of pending messages and gives them the next numbers.
func (d *Dispatcher) number(ctx context.Context, tx *sqlx.Tx) ([]Message, error) {
	take := takeSequence
	if d.db.Dialect == store.Postgres {
		take += " FOR UPDATE"
	}
	var last int64
	if err := tx.GetContext(ctx, &last, take); err != nil {
		return nil, fmt.Errorf("read outbox sequence: %w", store.MapError(err))
	}
	var rows []messageRow
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(selectPending), d.Batch); err != nil {
		return nil, fmt.Errorf("read outbox: %w", store.MapError(err))
	}
	if len(rows) == 0 {
		return nil, nil // another replica took them while this one waited for the sequence
	}
	msgs := make([]Message, len(rows))
	ids := make([]string, len(rows))
	for i, r := range rows {
		msgs[i] = Message{ID: r.ID, Topic: r.Topic, Key: r.Key, Payload: r.Payload, CreatedAt: r.CreatedAt.UTC(),
			Seq: last + int64(i) + 1}
		ids[i] = r.ID
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	now, mark := store.Now(), markPublished[d.db.Dialect]
	args := []any{now, last, string(list)}
	if d.Also != nil {
		if err := d.Also(ctx, tx, msgs); err != nil {
			return nil, err
		}
		mark, args = markPublishedFanned[d.db.Dialect], []any{now, now, last, string(list)}
	}
	if d.db.Dialect == store.SQLite {
		args = append(args, string(list))
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(mark), args...); err != nil {
		return nil, fmt.Errorf("number outbox messages: %w", store.MapError(err))
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(moveSequence), last+int64(len(rows))); err != nil {
		return nil, fmt.Errorf("move outbox sequence: %w", store.MapError(err))
	}
	return msgs, nil
}

// Run dispatches until ctx ends, draining backlogs at once and otherwise polling.
func (d *Dispatcher) Run(ctx context.Context) {
	t := time.NewTicker(d.Interval)
	defer t.Stop()
	for {
		n, err := d.DispatchOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("outbox dispatch", slog.String("error", err.Error()))
		}
		if n == d.Batch {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
