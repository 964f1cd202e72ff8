package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

type caseRow struct {
	ID                     string     `db:"id"`
	CustomerID             string     `db:"customer_id"`
	ServiceLGSL            int        `db:"service_lgsl"`
	ServiceCategory        string     `db:"service_category"`
	Status                 string     `db:"status"`
	Tier                   int        `db:"tier"`
	Queue                  string     `db:"queue"`
	Assignee               string     `db:"assignee"`
	Priority               int        `db:"priority"`
	SLADueAt               time.Time  `db:"sla_due_at"`
	Channel                string     `db:"channel"`
	OpenedByContactID      *string    `db:"opened_by_contact_id"`
	ResolvedAtFirstContact bool       `db:"resolved_at_first_contact"`
	ResolutionCode         string     `db:"resolution_code"`
	ResolvedAt             *time.Time `db:"resolved_at"`
	Summary                string     `db:"summary"`
	ContactCount           int        `db:"contact_count"`
	LastContactAt          *time.Time `db:"last_contact_at"`
	RulesetVersion         int        `db:"ruleset_version"`
	RoutedBy               string     `db:"routed_by"`
	RoutingSummary         string     `db:"routing_summary"`
	Skills                 string     `db:"skills"`
	ClaimedAt              *time.Time `db:"claimed_at"`
	HandoffCount           int        `db:"handoff_count"`
	LandlordID             string     `db:"landlord_id"`
	Version                int        `db:"version"`
	CreatedAt              time.Time  `db:"created_at"`
	UpdatedAt              time.Time  `db:"updated_at"`
}

const caseColumns = `id, customer_id, service_lgsl, service_category, status, tier, queue, assignee,
 priority, sla_due_at, channel, opened_by_contact_id, resolved_at_first_contact, resolution_code,
 resolved_at, summary, contact_count, last_contact_at, ruleset_version, routed_by, routing_summary,
 skills, claimed_at, handoff_count, landlord_id, version, created_at, updated_at`

func (r caseRow) toCase() (Case, error) {
	c := Case{
		ID: r.ID, CustomerID: r.CustomerID, Service: Service{LGSL: r.ServiceLGSL, Category: r.ServiceCategory},
		Status: Status(r.Status), Tier: r.Tier, Queue: r.Queue, Assignee: r.Assignee, Priority: r.Priority,
		SLADueAt: r.SLADueAt.UTC(), Channel: r.Channel, ResolvedAtFirstContact: r.ResolvedAtFirstContact,
		ResolutionCode: r.ResolutionCode, Summary: r.Summary, ContactCount: r.ContactCount, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.OpenedByContactID != nil {
		c.OpenedByContactID = *r.OpenedByContactID
	}
	if r.ResolvedAt != nil {
		c.ResolvedAt = r.ResolvedAt.UTC()
	}
	if r.LastContactAt != nil {
		c.LastContactAt = r.LastContactAt.UTC()
	}
	if r.ClaimedAt != nil {
		c.ClaimedAt = r.ClaimedAt.UTC()
	}
	c.HandoffCount, c.LandlordID = r.HandoffCount, r.LandlordID
	c.Routing = Routing{RulesetVersion: r.RulesetVersion, Rule: r.RoutedBy, Summary: r.RoutingSummary}
	if err := json.Unmarshal([]byte(r.Skills), &c.Routing.Skills); err != nil {
		return Case{}, fmt.Errorf("decode skills of case %s: %w", r.ID, err)
	}
	return c, nil
}

func fromCase(c Case) caseRow {
	skills := c.Routing.Skills
	if skills == nil {
		skills = []string{}
	}
	skillsJSON, _ := json.Marshal(skills) // a list of strings always encodes
	r := caseRow{
		ID: c.ID, CustomerID: c.CustomerID, ServiceLGSL: c.Service.LGSL, ServiceCategory: c.Service.Category,
		Status: string(c.Status), Tier: c.Tier, Queue: c.Queue, Assignee: c.Assignee, Priority: c.Priority,
		SLADueAt: c.SLADueAt, Channel: c.Channel, ResolvedAtFirstContact: c.ResolvedAtFirstContact,
		ResolutionCode: c.ResolutionCode, Summary: c.Summary, ContactCount: c.ContactCount, Version: c.Version,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, RulesetVersion: c.Routing.RulesetVersion,
		RoutedBy: c.Routing.Rule, RoutingSummary: c.Routing.Summary, Skills: string(skillsJSON), HandoffCount: c.HandoffCount,
		LandlordID: c.LandlordID,
	}
	if !c.ClaimedAt.IsZero() {
		r.ClaimedAt = &c.ClaimedAt
	}
	if c.OpenedByContactID != "" {
		r.OpenedByContactID = &c.OpenedByContactID
	}
	if !c.ResolvedAt.IsZero() {
		r.ResolvedAt = &c.ResolvedAt
	}
	if !c.LastContactAt.IsZero() {
		r.LastContactAt = &c.LastContactAt
	}
	return r
}

const insertCase = `INSERT INTO cases (` + caseColumns + `) VALUES (:id, :customer_id, :service_lgsl,
 :service_category, :status, :tier, :queue, :assignee, :priority, :sla_due_at, :channel,
 :opened_by_contact_id, :resolved_at_first_contact, :resolution_code, :resolved_at, :summary,
 :contact_count, :last_contact_at, :ruleset_version, :routed_by, :routing_summary, :skills, :claimed_at,
 :handoff_count, :landlord_id, :version, :created_at, :updated_at)`

// updateCase writes c as version c.Version over version c.Version-1.
const updateCase = `UPDATE cases SET customer_id = :customer_id, service_lgsl = :service_lgsl,
 service_category = :service_category, status = :status, tier = :tier, queue = :queue,
 assignee = :assignee, priority = :priority, sla_due_at = :sla_due_at,
 opened_by_contact_id = :opened_by_contact_id, resolved_at_first_contact = :resolved_at_first_contact,
 resolution_code = :resolution_code, resolved_at = :resolved_at, summary = :summary,
 contact_count = :contact_count, last_contact_at = :last_contact_at, ruleset_version = :ruleset_version,
 routed_by = :routed_by, routing_summary = :routing_summary, skills = :skills, claimed_at = :claimed_at,
 handoff_count = :handoff_count, version = :version,
 updated_at = :updated_at WHERE id = :id AND version = :version - 1`

func insert(ctx context.Context, tx *sqlx.Tx, c Case) error {
	if _, err := tx.NamedExecContext(ctx, insertCase, fromCase(c)); err != nil {
		return fmt.Errorf("insert case: %w", store.MapError(err))
	}
	return nil
}

// save writes a changed case, bumping its version and update time.
func save(ctx context.Context, tx *sqlx.Tx, c Case, now time.Time) (Case, error) {
	c.Version++
	c.UpdatedAt = now
	res, err := tx.NamedExecContext(ctx, updateCase, fromCase(c))
	if err != nil {
		return Case{}, fmt.Errorf("update case: %w", store.MapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return Case{}, fmt.Errorf("update case: %w", err)
	}
	if n != 1 {
		return Case{}, fault.New(fault.PreconditionFailed, "the case changed meanwhile; read it again")
	}
	return c, nil
}

// Querier is what reading needs: the database or a transaction.
type Querier interface {
	sqlx.QueryerContext
	Rebind(string) string
}

func loadCase(ctx context.Context, q Querier, id, suffix string) (Case, error) {
	var r caseRow
	if err := sqlx.GetContext(ctx, q, &r, q.Rebind(`SELECT `+caseColumns+` FROM cases WHERE id = ?`+suffix), id); err != nil {
		if err = store.MapError(err); errors.Is(err, store.ErrNotFound) {
			return Case{}, fault.New(fault.NotFound, "no case %s", id)
		}
		return Case{}, fmt.Errorf("read case: %w", err)
	}
	return r.toCase()
}
