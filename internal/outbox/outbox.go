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

// Dispatcher publishes committed messages in the order they were written.
type Dispatcher struct {
	db       *store.DB
	pub      Publisher
	log      *slog.Logger
	Batch    int
	Interval time.Duration
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
	selectPending = `SELECT id, topic, msg_key, payload, created_at FROM outbox
 WHERE published_at IS NULL ORDER BY id LIMIT ?`
	markPublished = `UPDATE outbox SET published_at = ? WHERE id IN (?)`
	anyPending    = `SELECT id FROM outbox WHERE published_at IS NULL LIMIT 1`
	// A message not yet fanned out to webhooks is kept whatever its age (fan-out takes
	// well under a second; its deliveries then keep their own copy for their retries).
	purgeOld = `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ? AND fanned_out_at IS NOT NULL`
)

// Retention is how long published messages are kept (for tracing what was sent).
const Retention = 7 * 24 * time.Hour

// Purge deletes messages published more than Retention ago.
func (d *Dispatcher) Purge(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(purgeOld), store.Now().Add(-Retention)); err != nil {
		return fmt.Errorf("purge outbox: %w", store.MapError(err))
	}
	return nil
}

// DispatchOnce publishes up to Batch pending messages and reports how many. On
// PostgreSQL the rows stay locked (SKIP LOCKED) until marked, so dispatchers on several
// replicas never publish one message twice; a crash before the commit leaves them
// pending, so none is lost (a consumer may then see one again: messages carry ids).
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
	query := selectPending
	if d.db.Dialect == store.Postgres {
		query += " FOR UPDATE SKIP LOCKED"
	}
	n := 0
	err := d.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var rows []messageRow
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(query), d.Batch); err != nil {
			return fmt.Errorf("read outbox: %w", store.MapError(err))
		}
		if len(rows) == 0 {
			return nil
		}
		msgs := make([]Message, len(rows))
		ids := make([]string, len(rows))
		for i, r := range rows {
			msgs[i] = Message{ID: r.ID, Topic: r.Topic, Key: r.Key, Payload: r.Payload, CreatedAt: r.CreatedAt.UTC()}
			ids[i] = r.ID
		}
		if err := d.pub.Publish(ctx, msgs); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		q, args, err := sqlx.In(markPublished, store.Now(), ids)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("mark published: %w", store.MapError(err))
		}
		n = len(rows)
		return nil
	})
	return n, err
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
