package customer

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/store"
)

// viaOf is how a consent changed by actor reached us: a citizen changes their own in My
// Account; staff record what a resident told them; an integration passes it on.
func viaOf(actor Actor) string {
	switch actor.Role {
	case string(auth.Citizen):
		return event.ViaMyAccount
	case string(auth.Integration):
		return event.ViaIntegration
	}
	return event.ViaAgent
}

const selectPhoneHolders = `SELECT customer_id FROM customer_identifiers WHERE kind = ? AND value = ? ORDER BY customer_id`

// WithdrawSMSSurveysTx withdraws consent to SMS surveys, inside tx, from each customer
// who holds phone (normalised, E.164) and still gives it, and records
// customer.consent_changed on each; via says how they said so (event.ViaSMSReply for
// a STOP). It returns the ids of the customers whose consent changed: none when no one
// holds the number or no holder consented.
func (s *Service) WithdrawSMSSurveysTx(ctx context.Context, tx *sqlx.Tx, actor Actor, phone, via string) ([]string, error) {
	var holders []string // in id order: merges lock customers in the same order
	if err := sqlx.SelectContext(ctx, tx, &holders, tx.Rebind(selectPhoneHolders), string(identifier.Phone), phone); err != nil {
		return nil, fmt.Errorf("find customers by phone: %w", store.MapError(err))
	}
	now := store.Now()
	var changed []string
	for _, id := range holders {
		c, err := load(ctx, tx, id, s.db.ForUpdate())
		if err != nil {
			return nil, err
		}
		if !c.Consents.SMSSurveys || c.MergedInto != "" {
			continue
		}
		next := c
		next.Consents.SMSSurveys = false
		if _, err := bumpVersion(ctx, tx, next, now); err != nil {
			return nil, err
		}
		if _, err := event.Record(ctx, tx, event.Change{CustomerID: c.ID, Actor: actor, At: now,
			Payload: event.CustomerConsentChangedData{Consent: event.ConsentSMSSurveys, Given: false, Via: via}}); err != nil {
			return nil, err
		}
		changed = append(changed, c.ID)
	}
	return changed, nil
}
