package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// Delivery is one event's delivery to one subscription, as its log shows it.
type Delivery struct {
	ID             string
	SubscriptionID string
	EventID        string
	EventType      string
	Status         string
	Attempts       int
	LastStatus     *int
	LastError      string
	LastLatencyMS  *int
	NextAttemptAt  *time.Time // pending only
	CreatedAt      time.Time
	FinishedAt     *time.Time
	// CustomerID is whose event it carries ("" for none); set by Retry, for the audit.
	CustomerID string
}

type deliveryRow struct {
	ID             string         `db:"id"`
	SubscriptionID string         `db:"subscription_id"`
	EventID        string         `db:"event_id"`
	EventType      string         `db:"event_type"`
	Status         string         `db:"status"`
	Attempts       int            `db:"attempts"`
	LastStatus     *int           `db:"last_status"`
	LastError      string         `db:"last_error"`
	LastLatencyMS  *int           `db:"last_latency_ms"`
	NextAttemptAt  time.Time      `db:"next_attempt_at"`
	CreatedAt      time.Time      `db:"created_at"`
	FinishedAt     store.NullTime `db:"finished_at"`
}

func (r deliveryRow) toDelivery() Delivery {
	d := Delivery{ID: r.ID, SubscriptionID: r.SubscriptionID, EventID: r.EventID, EventType: r.EventType, Status: r.Status,
		Attempts: r.Attempts, LastStatus: r.LastStatus, LastError: r.LastError, LastLatencyMS: r.LastLatencyMS,
		CreatedAt: r.CreatedAt.UTC()}
	if r.Status == Pending {
		next := r.NextAttemptAt.UTC()
		d.NextAttemptAt = &next
	}
	if r.FinishedAt.Valid {
		f := r.FinishedAt.Time
		d.FinishedAt = &f
	}
	return d
}

const (
	deliveryColumns = `id, subscription_id, event_id, event_type, status, attempts, last_status, last_error,
 last_latency_ms, next_attempt_at, created_at, finished_at`
	selectDeliveries = `SELECT ` + deliveryColumns + ` FROM webhook_deliveries
 WHERE subscription_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
	selectDelivery     = `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE id = ? AND subscription_id = ?`
	selectDeliveryBody = `SELECT body FROM webhook_deliveries WHERE id = ?`
	retryDelivery      = `UPDATE webhook_deliveries SET status = 'pending', retry_from = ?, next_attempt_at = ?, finished_at = NULL
 WHERE id = ? AND status IN ('failed', 'dead')`
	selectRange = `SELECT id, msg_key, payload, created_at FROM outbox WHERE created_at >= ? AND created_at < ? ORDER BY id LIMIT ?`
	// A replayed event is delivered again: a new delivery, or a finished one made due.
	replayDelivery = `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, msg_key, body, status,
 attempts, retry_from, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
 ON CONFLICT (subscription_id, event_id) DO UPDATE SET status = 'pending', retry_from = excluded.retry_from,
 next_attempt_at = excluded.next_attempt_at, finished_at = NULL WHERE webhook_deliveries.status <> 'pending'`
)

// lastID sorts after every id, on both engines.
const lastID = "ffffffff-ffff-ffff-ffff-ffffffffffff"

// maxReplay bounds how many events one replay re-delivers.
const maxReplay = 10000

// Deliveries lists a subscription's deliveries, newest first.
func (s *Subscriptions) Deliveries(ctx context.Context, who Owner, subID, after string, limit int) ([]Delivery, string, error) {
	if _, err := s.load(ctx, s.db, who, subID, ""); err != nil {
		return nil, "", err
	}
	before := lastID
	if after != "" {
		var err error
		if before, err = afterID(after); err != nil {
			return nil, "", err
		}
	}
	var rows []deliveryRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(selectDeliveries), subID, before, limit+1); err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", store.MapError(err))
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = cursor.Encode(rows[limit-1].ID)
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.toDelivery()
	}
	return out, next, nil
}

// Retry makes a failed or dead delivery due now, with a fresh retry window.
func (s *Subscriptions) Retry(ctx context.Context, who Owner, subID, deliveryID string) (Delivery, error) {
	var out Delivery
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := s.load(ctx, tx, who, subID, ""); err != nil {
			return err
		}
		var r deliveryRow
		if err := tx.GetContext(ctx, &r, tx.Rebind(selectDelivery+s.db.ForUpdate()), deliveryID, subID); err != nil {
			if errors.Is(store.MapError(err), store.ErrNotFound) {
				return fault.New(fault.NotFound, "no delivery %s of subscription %s", deliveryID, subID)
			}
			return fmt.Errorf("read delivery: %w", store.MapError(err))
		}
		if r.Status != Failed && r.Status != Dead {
			return fault.New(fault.Conflict, "the delivery is %s: only a failed or dead one is retried", r.Status)
		}
		now := store.Now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(retryDelivery), now, now, deliveryID); err != nil {
			return fmt.Errorf("retry delivery: %w", store.MapError(err))
		}
		r.Status, r.NextAttemptAt, r.FinishedAt = Pending, now, store.NullTime{}
		out = r.toDelivery()
		var body []byte
		if err := tx.GetContext(ctx, &body, tx.Rebind(selectDeliveryBody), deliveryID); err != nil {
			return fmt.Errorf("read delivery: %w", store.MapError(err))
		}
		var sent struct {
			Data event.Message `json:"data"`
		}
		if json.Unmarshal(body, &sent) == nil {
			out.CustomerID = sent.Data.CustomerID
		}
		return nil
	})
	return out, err
}

// Replayed is what a replay queued: how many deliveries, and whose events they carry
// (each customer once), for the audit.
type Replayed struct {
	Queued      int
	CustomerIDs []string
}

// Replay re-delivers to a subscription the events written in [from, to) that are still
// in the outbox (kept a week) and that its types and filter match; it reports how many,
// and whose events they carry.
func (s *Subscriptions) Replay(ctx context.Context, who Owner, subID string, from, to time.Time) (Replayed, error) {
	if !from.Before(to) {
		return Replayed{}, fault.Field("to", "must be after from")
	}
	var out Replayed
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		out = Replayed{}
		seen := map[string]bool{}
		r, err := s.load(ctx, tx, who, subID, "")
		if err != nil {
			return err
		}
		sub, err := r.toSubscription()
		if err != nil {
			return err
		}
		var msgs []outboxRow
		if err := tx.SelectContext(ctx, &msgs, tx.Rebind(selectRange), from.UTC(), to.UTC(), maxReplay+1); err != nil {
			return fmt.Errorf("read outbox: %w", store.MapError(err))
		}
		if len(msgs) > maxReplay {
			return fault.Field("to", fmt.Sprintf("the range holds more than %d events: replay a shorter one", maxReplay))
		}
		now := store.Now()
		for _, m := range msgs {
			var msg event.Message
			if err := json.Unmarshal(m.Payload, &msg); err != nil || msg.ID == "" || !Matches(sub.EventTypes, sub.Filter, msg) || !Concerns(sub.OwnerSubject, msg) {
				continue
			}
			body, err := json.Marshal(Body{Type: msg.Type, Timestamp: msg.OccurredAt.UTC(), Data: m.Payload})
			if err != nil {
				return fmt.Errorf("encode delivery: %w", err)
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(replayDelivery), store.NewID(), sub.ID, msg.ID, msg.Type, m.Key,
				string(body), now, now, now); err != nil {
				return fmt.Errorf("replay delivery: %w", store.MapError(err))
			}
			out.Queued++
			if msg.CustomerID != "" && !seen[msg.CustomerID] {
				seen[msg.CustomerID] = true
				out.CustomerIDs = append(out.CustomerIDs, msg.CustomerID)
			}
		}
		return nil
	})
	return out, err
}
