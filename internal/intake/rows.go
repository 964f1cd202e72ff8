package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/store"
)

type contactRow struct {
	ID              string     `db:"id"`
	CustomerID      *string    `db:"customer_id"`
	CaseID          *string    `db:"case_id"`
	Channel         string     `db:"channel"`
	Direction       string     `db:"direction"`
	StartedAt       time.Time  `db:"started_at"`
	EndedAt         *time.Time `db:"ended_at"`
	ServiceLGSL     int        `db:"service_lgsl"`
	ServiceCategory string     `db:"service_category"`
	Intent          string     `db:"intent"`
	Summary         string     `db:"summary"`
	Centre          string     `db:"centre"`
	AssistedDigital bool       `db:"assisted_digital"`
	OnBehalfOf      []byte     `db:"on_behalf_of"`
	Agent           string     `db:"agent"`
	ExternalID      *string    `db:"external_id"`
	Outcome         string     `db:"outcome"`
	AvoidableReason string     `db:"avoidable_reason"`
	Identifiers     []byte     `db:"identifiers"`
	RoutedTier      int        `db:"routed_tier"`
	RoutedQueue     string     `db:"routed_queue"`
	RoutedRule      string     `db:"routed_rule"`
	RulesetVersion  int        `db:"ruleset_version"`
	LandlordID      string     `db:"landlord_id"`
	Version         int        `db:"version"`
	CreatedAt       time.Time  `db:"created_at"`
	UpdatedAt       time.Time  `db:"updated_at"`
}

const contactColumns = `id, customer_id, case_id, channel, direction, started_at, ended_at, service_lgsl,
 service_category, intent, summary, centre, assisted_digital, on_behalf_of, agent, external_id, outcome,
 avoidable_reason, identifiers, routed_tier, routed_queue, routed_rule, ruleset_version, landlord_id, version,
 created_at, updated_at`

// storedIdentifier is how an identifier is kept on a contact.
type storedIdentifier struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

func (r contactRow) toContact() (Contact, error) {
	c := Contact{
		ID: r.ID, Channel: channel.Channel(r.Channel), Direction: r.Direction, StartedAt: r.StartedAt.UTC(),
		Service: casework.Service{LGSL: r.ServiceLGSL, Category: r.ServiceCategory}, Intent: r.Intent,
		Summary: r.Summary, Centre: r.Centre, AssistedDigital: r.AssistedDigital, Agent: r.Agent,
		Outcome: Outcome(r.Outcome), AvoidableReason: r.AvoidableReason, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Routed: Routed{RulesetVersion: r.RulesetVersion, Rule: r.RoutedRule, Tier: r.RoutedTier, Queue: r.RoutedQueue},
	}
	if r.CustomerID != nil {
		c.CustomerID = *r.CustomerID
	}
	if r.CaseID != nil {
		c.CaseID = *r.CaseID
	}
	if r.EndedAt != nil {
		c.EndedAt = r.EndedAt.UTC()
	}
	if r.ExternalID != nil {
		c.ExternalID = *r.ExternalID
	}
	if err := json.Unmarshal(r.OnBehalfOf, &c.OnBehalfOf); err != nil {
		return Contact{}, fmt.Errorf("decode onBehalfOf of %s: %w", r.ID, err)
	}
	var ids []storedIdentifier
	if err := json.Unmarshal(r.Identifiers, &ids); err != nil {
		return Contact{}, fmt.Errorf("decode identifiers of %s: %w", r.ID, err)
	}
	for _, id := range ids {
		c.Identifiers = append(c.Identifiers, customer.IdentifierInput{Kind: identifier.Kind(id.Kind), Value: id.Value})
	}
	return c, nil
}

func fromContact(c Contact) (contactRow, error) {
	obo, err := json.Marshal(c.OnBehalfOf)
	if err != nil {
		return contactRow{}, err
	}
	ids := make([]storedIdentifier, 0, len(c.Identifiers))
	for _, id := range c.Identifiers {
		ids = append(ids, storedIdentifier{Kind: string(id.Kind), Value: id.Value})
	}
	idJSON, err := json.Marshal(ids)
	if err != nil {
		return contactRow{}, err
	}
	r := contactRow{
		ID: c.ID, Channel: string(c.Channel), Direction: c.Direction, StartedAt: c.StartedAt,
		ServiceLGSL: c.Service.LGSL, ServiceCategory: c.Service.Category, Intent: c.Intent, Summary: c.Summary,
		Centre: c.Centre, AssistedDigital: c.AssistedDigital, OnBehalfOf: obo, Agent: c.Agent,
		Outcome: string(c.Outcome), AvoidableReason: c.AvoidableReason, Identifiers: idJSON,
		Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		RoutedTier: c.Routed.Tier, RoutedQueue: c.Routed.Queue, RoutedRule: c.Routed.Rule, RulesetVersion: c.Routed.RulesetVersion,
	}
	r.CustomerID = optional(c.CustomerID)
	r.CaseID = optional(c.CaseID)
	r.ExternalID = optional(c.ExternalID)
	if !c.EndedAt.IsZero() {
		r.EndedAt = &c.EndedAt
	}
	return r, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// insertContact uses positional arguments: JSON columns are passed as text, which both
// engines accept (PostgreSQL casts it to jsonb).
const insertContact = `INSERT INTO contacts (` + contactColumns + `) VALUES
 (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

func insert(ctx context.Context, tx *sqlx.Tx, c Contact) error {
	r, err := fromContact(c)
	if err != nil {
		return err
	}
	taken := fault.New(fault.Conflict, "a %s contact with this externalId was already recorded", c.Channel)
	err = store.AppendUnique(ctx, tx, taken, insertContact, r.ID, r.CustomerID, r.CaseID, r.Channel, r.Direction,
		r.StartedAt, r.EndedAt, r.ServiceLGSL, r.ServiceCategory, r.Intent, r.Summary, r.Centre, r.AssistedDigital,
		string(r.OnBehalfOf), r.Agent, r.ExternalID, r.Outcome, r.AvoidableReason, string(r.Identifiers),
		r.RoutedTier, r.RoutedQueue, r.RoutedRule, r.RulesetVersion, c.OnBehalfOf.LandlordID, r.Version, r.CreatedAt, r.UpdatedAt)
	if err != nil && !fault.Is(err, fault.Conflict) {
		return fmt.Errorf("insert contact: %w", err)
	}
	return err
}

const updateContact = `UPDATE contacts SET customer_id = ?, case_id = ?, ended_at = ?, summary = ?, outcome = ?,
 avoidable_reason = ?, agent = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?`

// save writes the changeable fields of c, bumping its version.
func save(ctx context.Context, tx *sqlx.Tx, c Contact, now time.Time) (Contact, error) {
	c.Version++
	c.UpdatedAt = now
	var ended *time.Time
	if !c.EndedAt.IsZero() {
		ended = &c.EndedAt
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(updateContact), optional(c.CustomerID), optional(c.CaseID), ended,
		c.Summary, string(c.Outcome), c.AvoidableReason, c.Agent, c.Version, c.UpdatedAt, c.ID, c.Version-1)
	if err != nil {
		return Contact{}, fmt.Errorf("update contact: %w", store.MapError(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return Contact{}, err
	} else if n != 1 {
		return Contact{}, fault.New(fault.PreconditionFailed, "the contact changed meanwhile; read it again")
	}
	return c, nil
}

type querier interface {
	sqlx.QueryerContext
	Rebind(string) string
}

func load(ctx context.Context, q querier, id, suffix string) (Contact, error) {
	var r contactRow
	if err := sqlx.GetContext(ctx, q, &r, q.Rebind(`SELECT `+contactColumns+` FROM contacts WHERE id = ?`+suffix), id); err != nil {
		if err = store.MapError(err); errors.Is(err, store.ErrNotFound) {
			return Contact{}, fault.New(fault.NotFound, "no contact %s", id)
		}
		return Contact{}, fmt.Errorf("read contact: %w", err)
	}
	return r.toContact()
}
