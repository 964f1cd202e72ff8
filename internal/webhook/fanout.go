package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/outbox"
	"github.com/council/contacthub/internal/store"
)

// Body is what a delivery POSTs (Standard Webhooks' {type, timestamp, data}): data is
// the whole event message, envelope and payload, exactly as the live stream and the
// bus carry it (EventMessage in openapi.yaml), so its id, customerId, caseId, service,
// queue and actor are there too.
type Body struct {
	Type      string          `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

// FanOut turns committed outbox messages into deliveries, one per enabled subscription
// whose types and filter match. Each message is marked in the transaction that inserts
// its deliveries, so none is fanned out twice or skipped, whatever order transactions
// commit in. The hub fans out as the outbox numbers each batch (Numbered, the
// dispatcher's Also, which marks the batch with its numbers); Once catches up on
// messages numbered without it (by a replica that does not fan out so, or before it
// did), one replica at a time on PostgreSQL through the fan-out row's lock.
type FanOut struct {
	db    *store.DB
	Batch int
	// CatchUpOnly: Once takes only messages already numbered, as the hub's dispatcher
	// fans out the rest with their numbers (Numbered is its Also).
	CatchUpOnly bool
}

// NewFanOut fans out db's outbox.
func NewFanOut(db *store.DB) *FanOut { return &FanOut{db: db, Batch: 200} }

type outboxRow struct {
	ID        string    `db:"id"`
	Key       string    `db:"msg_key"`
	Payload   []byte    `db:"payload"`
	CreatedAt time.Time `db:"created_at"`
}

type matchRow struct {
	ID            string    `db:"id"`
	OwnerSubject  string    `db:"owner_subject"`
	EventTypes    string    `db:"event_types"`
	FilterService *int      `db:"filter_service"`
	FilterQueue   *string   `db:"filter_queue"`
	CreatedAt     time.Time `db:"created_at"`
}

const (
	anyUnfanned = `SELECT id FROM outbox WHERE fanned_out_at IS NULL LIMIT 1`
	// With the dispatcher fanning out (CatchUpOnly), Once leaves unnumbered messages to
	// it: they are fanned out as they are numbered.
	anyNumberedUnfanned    = `SELECT id FROM outbox WHERE fanned_out_at IS NULL AND published_at IS NOT NULL LIMIT 1`
	selectNumberedUnfanned = `SELECT id, msg_key, payload, created_at FROM outbox WHERE fanned_out_at IS NULL AND published_at IS NOT NULL ORDER BY id LIMIT ?`
	lockFanOut             = `SELECT id FROM webhook_fanout WHERE id = 1`
	selectUnfanned         = `SELECT id, msg_key, payload, created_at FROM outbox WHERE fanned_out_at IS NULL ORDER BY id LIMIT ?`
	selectEnabled          = `SELECT id, owner_subject, event_types, filter_service, filter_queue, created_at FROM webhook_subscriptions WHERE enabled = ?`
	// The deliveries of a batch go in as one statement of many rows (a statement per
	// delivery was most of the fan-out's cost, BENCHMARKS.md "Issue 19, session 5").
	insertDeliveries = `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, msg_key, body, status,
 attempts, retry_from, next_attempt_at, created_at) VALUES %s ON CONFLICT (subscription_id, event_id) DO NOTHING`
	deliveryValues = `(?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`
	// deliveriesPerInsert keeps a statement's parameters (9 a row) well under both
	// engines' limits.
	deliveriesPerInsert = 500
	markFanned          = `UPDATE outbox SET fanned_out_at = ? WHERE id IN (?)`
	advanceFanOut       = `UPDATE webhook_fanout SET last_id = ?, updated_at = ? WHERE id = 1`
)

// Once fans out up to Batch messages and reports how many.
func (f *FanOut) Once(ctx context.Context) (int, error) {
	// A plain read first: an idle hub never opens a write transaction.
	anyOne, selectSome := anyUnfanned, selectUnfanned
	if f.CatchUpOnly {
		anyOne, selectSome = anyNumberedUnfanned, selectNumberedUnfanned
	}
	var pending []string
	if err := f.db.SelectContext(ctx, &pending, anyOne); err != nil {
		return 0, fmt.Errorf("read outbox: %w", store.MapError(err))
	}
	if len(pending) == 0 {
		return 0, nil
	}
	n := 0
	err := f.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var one []int
		if err := tx.SelectContext(ctx, &one, lockFanOut+f.db.ForUpdate()); err != nil {
			return fmt.Errorf("lock fan-out: %w", store.MapError(err))
		}
		var msgs []outboxRow
		if err := tx.SelectContext(ctx, &msgs, tx.Rebind(selectSome), f.Batch); err != nil {
			return fmt.Errorf("read outbox: %w", store.MapError(err))
		}
		if len(msgs) == 0 {
			return nil
		}
		now := store.Now()
		if err := deliver(ctx, tx, msgs, now); err != nil {
			return err
		}
		ids := make([]string, len(msgs))
		for i, m := range msgs {
			ids[i] = m.ID
		}
		q, args, err := sqlx.In(markFanned, now, ids)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("mark fanned out: %w", store.MapError(err))
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(advanceFanOut), ids[len(ids)-1], now); err != nil {
			return fmt.Errorf("advance fan-out: %w", store.MapError(err))
		}
		n = len(msgs)
		return nil
	})
	return n, err
}

// Numbered fans out a batch the outbox is numbering, in the numbering transaction
// (outbox.Dispatcher.Also): the dispatcher's one UPDATE then marks the batch fanned out
// with its numbers. With no subscription enabled it costs one read a batch. Once never
// takes these messages when CatchUpOnly: it reads only messages numbered and unmarked;
// without it, a message both fan out gets each delivery once (the deliveries' unique
// subscription and event).
func (f *FanOut) Numbered(ctx context.Context, tx *sqlx.Tx, msgs []outbox.Message) error {
	rows := make([]outboxRow, len(msgs))
	for i, m := range msgs {
		rows[i] = outboxRow{ID: m.ID, Key: m.Key, Payload: m.Payload, CreatedAt: m.CreatedAt}
	}
	return deliver(ctx, tx, rows, store.Now())
}

// deliver inserts, in tx, the deliveries of msgs to the enabled subscriptions that want
// them: one read of the subscriptions, and nothing more when none is enabled.
func deliver(ctx context.Context, tx *sqlx.Tx, msgs []outboxRow, now time.Time) error {
	var subs []matchRow
	if err := tx.SelectContext(ctx, &subs, tx.Rebind(selectEnabled), true); err != nil {
		return fmt.Errorf("read webhook subscriptions: %w", store.MapError(err))
	}
	if len(subs) == 0 {
		return nil
	}
	wanted, err := parseSubscriptions(subs)
	if err != nil {
		return err
	}
	var rows []any // deliveryValues' parameters, a delivery after another
	for _, m := range msgs {
		if rows, err = fanOne(rows, m, wanted, now); err != nil {
			return err
		}
	}
	return insertAll(ctx, tx, rows)
}

// wantedBy is an enabled subscription with its event types read.
type wantedBy struct {
	matchRow
	types []string
}

// parseSubscriptions reads each subscription's event types once per batch, not once
// per message.
func parseSubscriptions(subs []matchRow) ([]wantedBy, error) {
	out := make([]wantedBy, len(subs))
	for i, s := range subs {
		out[i].matchRow = s
		if err := json.Unmarshal([]byte(s.EventTypes), &out[i].types); err != nil {
			return nil, fmt.Errorf("read subscription %s event types: %w", s.ID, err)
		}
	}
	return out, nil
}

// fanOne appends to rows the deliveries of m to the subscriptions that want it.
func fanOne(rows []any, m outboxRow, subs []wantedBy, now time.Time) ([]any, error) {
	var msg event.Message
	if err := json.Unmarshal(m.Payload, &msg); err != nil || msg.ID == "" || msg.Type == "" {
		return rows, nil // not an event message: nothing a webhook carries
	}
	var body string
	for _, s := range subs {
		if !s.wants(msg, m.CreatedAt) {
			continue
		}
		if body == "" {
			encoded, err := json.Marshal(Body{Type: msg.Type, Timestamp: msg.OccurredAt.UTC(), Data: m.Payload})
			if err != nil {
				return nil, fmt.Errorf("encode delivery: %w", err)
			}
			body = string(encoded)
		}
		rows = append(rows, store.NewID(), s.ID, msg.ID, msg.Type, m.Key, body, now, now, now)
	}
	return rows, nil
}

// insertAll inserts the deliveries in rows, deliveriesPerInsert to a statement.
func insertAll(ctx context.Context, tx *sqlx.Tx, rows []any) error {
	const columns = 9 // deliveryValues' parameters
	for start := 0; start < len(rows); start += columns * deliveriesPerInsert {
		part := rows[start:min(start+columns*deliveriesPerInsert, len(rows))]
		values := strings.TrimSuffix(strings.Repeat(deliveryValues+", ", len(part)/columns), ", ")
		if _, err := tx.ExecContext(ctx, tx.Rebind(fmt.Sprintf(insertDeliveries, values)), part...); err != nil {
			return fmt.Errorf("insert deliveries: %w", store.MapError(err))
		}
	}
	return nil
}

// wants reports whether a subscription asks for msg, written at at: its types and
// filter match, and it existed when the message was written.
func (s wantedBy) wants(msg event.Message, at time.Time) bool {
	if at.Before(s.CreatedAt) {
		return false
	}
	return Matches(s.types, Filter{Service: s.FilterService, Queue: s.FilterQueue}, msg) && Concerns(s.OwnerSubject, msg)
}

// Concerns reports whether msg may go to a subscription of owner: news of a webhook
// subscription (webhook.endpoint_disabled) goes only to its owner's other subscriptions,
// never to another integration's.
func Concerns(owner string, msg event.Message) bool {
	if msg.Type != event.WebhookEndpointDisabled.Name {
		return true
	}
	var d event.WebhookEndpointDisabledData
	return json.Unmarshal(msg.Data, &d) == nil && d.Owner == owner
}

// Matches reports whether a subscription with these types and filter wants msg. A
// filter on a service or a queue matches only events that name it.
func Matches(types []string, f Filter, msg event.Message) bool {
	if !slices.Contains(types, AllTypes) && !slices.Contains(types, msg.Type) {
		return false
	}
	if f.Service != nil && msg.Service != *f.Service {
		return false
	}
	if f.Queue != nil && msg.Queue != *f.Queue {
		return false
	}
	return true
}
