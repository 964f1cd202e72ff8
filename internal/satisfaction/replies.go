package satisfaction

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/sms"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// replyWindow is how long after a survey is sent a reply still answers it.
const replyWindow = 7 * 24 * time.Hour

// Inbound is a text message a provider received for us.
type Inbound struct {
	Provider string
	EventID  string // the provider's id for the message: a repeat is ignored
	From     string // E.164
	Text     string
}

// Outcome says what a reply did.
type Outcome struct {
	Duplicate bool
	Kind      sms.ReplyKind
	RatingID  string
	Matched   bool
}

const (
	insertCallback = `INSERT INTO provider_callbacks (provider, event_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	selectAnswered = `SELECT id, contact_id, customer_id FROM surveys WHERE phone = ? AND status IN ('sent', 'answered')
 AND sent_at > ? ORDER BY sent_at DESC LIMIT 1`
	markAnswered   = `UPDATE surveys SET status = 'answered', answered_at = ?, updated_at = ? WHERE id = ?`
	updateDelivery = `UPDATE surveys SET delivery_status = ?, updated_at = ? WHERE provider = ? AND provider_id = ?`
)

// firstTime records a provider event; false when it was handled before.
func firstTime(ctx context.Context, tx *sqlx.Tx, provider, id string) (bool, error) {
	res, err := tx.ExecContext(ctx, tx.Rebind(insertCallback), provider, id, store.Now())
	if err != nil {
		return false, fmt.Errorf("record callback: %w", store.MapError(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// HandleReply reads a resident's text: STOP withdraws their consent; a score or comment
// answers their most recent survey (sent in the last week) as a rating.
func (s *Surveys) HandleReply(ctx context.Context, in Inbound) (Outcome, error) {
	var out Outcome
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		first, err := firstTime(ctx, tx, in.Provider, "in:"+in.EventID)
		if err != nil || !first {
			out.Duplicate = !first
			return err
		}
		scale := s.ratings.scale
		reply := sms.ParseReply(in.Text, scale.Min, scale.Max)
		out.Kind = reply.Kind
		now := store.Now()
		system := timeline.Actor{Subject: in.Provider, Role: "integration"}
		if reply.Kind == sms.OptOut {
			_, err := s.consents.WithdrawSMSSurveysTx(ctx, tx, system, in.From, event.ViaSMSReply)
			return err
		}
		var sv struct {
			ID         string `db:"id"`
			ContactID  string `db:"contact_id"`
			CustomerID string `db:"customer_id"`
		}
		if err := tx.GetContext(ctx, &sv, tx.Rebind(selectAnswered), in.From, now.Add(-replyWindow)); err != nil {
			if errors.Is(store.MapError(err), store.ErrNotFound) {
				return nil // a text that answers no survey of ours
			}
			return fmt.Errorf("find survey: %w", store.MapError(err))
		}
		out.Matched = true
		r := Rating{Source: SMS, Comment: reply.Comment, ContactID: sv.ContactID, SurveyID: sv.ID}
		if reply.Kind == sms.Score {
			r.Score = &reply.Score
		}
		saved, err := s.ratings.RecordTx(ctx, tx, system, r)
		if err != nil {
			return err
		}
		out.RatingID = saved.ID
		_, err = tx.ExecContext(ctx, tx.Rebind(markAnswered), now, now, sv.ID)
		return store.MapError(err)
	})
	return out, err
}

// Consents is where a resident's consents are kept (the customer record): a STOP reply
// withdraws theirs there, inside the reply's transaction, and the keeper records it.
type Consents interface {
	// WithdrawSMSSurveysTx withdraws consent to SMS surveys from whoever holds phone
	// (E.164), saying how they withdrew it (via); it returns the customers changed.
	WithdrawSMSSurveysTx(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, phone, via string) ([]string, error)
}

// DeliveryStatus records a provider's delivery receipt for a survey send.
func (s *Surveys) DeliveryStatus(ctx context.Context, provider, eventID, providerID, status string) (duplicate bool, err error) {
	if providerID == "" || status == "" {
		return false, fault.Field("id", "a delivery receipt names the message and its status")
	}
	err = s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		first, err := firstTime(ctx, tx, provider, "status:"+eventID+":"+status)
		if err != nil || !first {
			duplicate = !first
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(updateDelivery), status, store.Now(), provider, providerID)
		return store.MapError(err)
	})
	return duplicate, err
}
