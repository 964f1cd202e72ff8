// Package privacy answers the people the hub holds data about: a subject access export
// of everything held about a person (UK GDPR article 15), and erasure by anonymisation
// (article 17) that keeps the council's statistics.
//
// The export reads through the services that own each kind of record; ratings, surveys
// and tenancies have no "of this person" reads of their own, so their few queries live
// here, read-only. Erasure is the one change that rewrites rows of other packages'
// tables (DESIGN.md: "nothing is rewritten except by erasure"), so its SQL lives here too,
// in one transaction.
package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/audit"
	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/intake"
	"github.com/council/contacthub/internal/landlord"
	"github.com/council/contacthub/internal/referral"
	"github.com/council/contacthub/internal/satisfaction"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Records is what privacy needs of the customer record.
type Records interface {
	Get(ctx context.Context, id string) (customer.Customer, error)
	Timeline(ctx context.Context, customerID string, limit int, after string) (timeline.Page, error)
}

// Contacts lists a person's contacts.
type Contacts interface {
	List(ctx context.Context, q intake.Query) (intake.Page, error)
}

// Cases lists a person's cases and reads their timelines.
type Cases interface {
	List(ctx context.Context, q casework.Query) (casework.Page, error)
	Timeline(ctx context.Context, id string, limit int, after string) (timeline.Page, error)
}

// Referrals lists a case's referrals.
type Referrals interface {
	ForCase(ctx context.Context, caseID string) ([]referral.Referral, error)
}

// Trail is the audit log, read for "who looked at this person".
type Trail interface {
	Flush(ctx context.Context) error
	List(ctx context.Context, q audit.Query, retention time.Duration) (audit.Page, error)
}

// Privacy exports and erases people.
type Privacy struct {
	db        *store.DB
	records   Records
	contacts  Contacts
	cases     Cases
	referrals Referrals
	trail     Trail
	// HoldDays: a case closed less than this many days ago still holds a person's data
	// (a complaint or an appeal may follow).
	holdDays int
}

// New returns the privacy service.
func New(db *store.DB, records Records, contacts Contacts, cases Cases, referrals Referrals, trail Trail, holdDays int) *Privacy {
	return &Privacy{db: db, records: records, contacts: contacts, cases: cases, referrals: referrals, trail: trail, holdDays: holdDays}
}

// Export is everything the hub holds about one person.
type Export struct {
	CustomerID  string // the record in use (the survivor of any merges)
	GeneratedAt time.Time
	Records     []customer.Customer // the record in use, then every record merged into it
	Timeline    []timeline.Event    // the events of every record, newest first per record
	Contacts    []intake.Contact
	Cases       []CaseExport
	Ratings     []satisfaction.Rating // SMS replies are ratings with source sms
	Surveys     []Survey
	Tenancies   []landlord.Tenancy
	Audit       []audit.Entry // who read or changed this person's data
}

// CustomerIDs are the ids of the person's records.
func (x Export) CustomerIDs() []string {
	out := make([]string, 0, len(x.Records))
	for _, r := range x.Records {
		out = append(out, r.ID)
	}
	return out
}

// CaseExport is one case with its whole timeline and its referrals.
type CaseExport struct {
	Case      casework.Case
	Timeline  []timeline.Event
	Referrals []referral.Referral
}

// Survey is an SMS survey sent (or to be sent) to the person.
type Survey struct {
	ID, ContactID, Phone, Status string
	LGSL                         int
	SentAt, AnsweredAt           *time.Time
	CreatedAt                    time.Time
}

// pageSize is how many rows the export reads at a time.
const pageSize = 200

// maxMergeDepth bounds how far merges are followed (merge refuses cycles; this is a guard).
const maxMergeDepth = 50

// Person finds the record in use for id (following merges forward) and every record
// merged into it, the one in use first. An unknown id is NotFound.
func (p *Privacy) Person(ctx context.Context, id string) ([]string, error) {
	c, err := p.records.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	for range maxMergeDepth {
		if c.MergedInto == "" {
			break
		}
		if c, err = p.records.Get(ctx, c.MergedInto); err != nil {
			return nil, err
		}
	}
	ids := []string{c.ID}
	seen := map[string]bool{c.ID: true}
	for i := 0; i < len(ids) && i < maxMergeDepth; i++ {
		var dups []string
		if err := p.db.SelectContext(ctx, &dups, p.db.Rebind(`SELECT id FROM customers WHERE merged_into = ? ORDER BY id`), ids[i]); err != nil {
			return nil, fmt.Errorf("find merged records: %w", store.MapError(err))
		}
		for _, d := range dups {
			if !seen[d] {
				seen[d] = true
				ids = append(ids, d)
			}
		}
	}
	return ids, nil
}

// Export gathers everything held about the person id belongs to. retention bounds the
// audit entries read (older ones are purged anyway).
func (p *Privacy) Export(ctx context.Context, id string, retention time.Duration) (Export, error) {
	ids, err := p.Person(ctx, id)
	if err != nil {
		return Export{}, err
	}
	out := Export{CustomerID: ids[0], GeneratedAt: store.Now()}
	for _, rid := range ids {
		if err := p.exportRecord(ctx, rid, &out); err != nil {
			return Export{}, err
		}
	}
	if out.Ratings, err = p.ratings(ctx, ids, out.Contacts); err != nil {
		return Export{}, err
	}
	if out.Surveys, err = p.surveys(ctx, ids); err != nil {
		return Export{}, err
	}
	if out.Tenancies, err = p.tenancies(ctx, ids); err != nil {
		return Export{}, err
	}
	// Reads of this person a moment ago may still wait in the audit's buffer.
	if err := p.trail.Flush(ctx); err != nil {
		return Export{}, fmt.Errorf("flush audit: %w", err)
	}
	if out.Audit, err = p.auditOf(ctx, ids, retention); err != nil {
		return Export{}, err
	}
	return out, nil
}

// exportRecord adds one record, its timeline, contacts and cases to out.
func (p *Privacy) exportRecord(ctx context.Context, id string, out *Export) error {
	c, err := p.records.Get(ctx, id)
	if err != nil {
		return err
	}
	out.Records = append(out.Records, c)
	events, err := allEvents(func(after string) (timeline.Page, error) { return p.records.Timeline(ctx, id, pageSize, after) })
	if err != nil {
		return err
	}
	out.Timeline = append(out.Timeline, events...)
	for after := ""; ; {
		page, err := p.contacts.List(ctx, intake.Query{CustomerID: id, Limit: pageSize, After: after})
		if err != nil {
			return err
		}
		out.Contacts = append(out.Contacts, page.Items...)
		if after = page.NextCursor; after == "" {
			break
		}
	}
	for after := ""; ; {
		page, err := p.cases.List(ctx, casework.Query{CustomerID: id, Limit: pageSize, After: after})
		if err != nil {
			return err
		}
		for _, c := range page.Items {
			ce, err := p.exportCase(ctx, c)
			if err != nil {
				return err
			}
			out.Cases = append(out.Cases, ce)
		}
		if after = page.NextCursor; after == "" {
			break
		}
	}
	return nil
}

func (p *Privacy) exportCase(ctx context.Context, c casework.Case) (CaseExport, error) {
	events, err := allEvents(func(after string) (timeline.Page, error) { return p.cases.Timeline(ctx, c.ID, pageSize, after) })
	if err != nil {
		return CaseExport{}, err
	}
	refs, err := p.referrals.ForCase(ctx, c.ID)
	if err != nil {
		return CaseExport{}, err
	}
	return CaseExport{Case: c, Timeline: events, Referrals: refs}, nil
}

func allEvents(read func(after string) (timeline.Page, error)) ([]timeline.Event, error) {
	var out []timeline.Event
	for after := ""; ; {
		page, err := read(after)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if after = page.NextCursor; after == "" {
			return out, nil
		}
	}
}

func (p *Privacy) auditOf(ctx context.Context, ids []string, retention time.Duration) ([]audit.Entry, error) {
	var out []audit.Entry
	for after := ""; ; {
		page, err := p.trail.List(ctx, audit.Query{CustomerIDs: ids, Limit: pageSize, After: after}, retention)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if after = page.NextCursor; after == "" {
			return out, nil
		}
	}
}

type ratingRow struct {
	ID         string         `db:"id"`
	Source     string         `db:"source"`
	Score      *int           `db:"score"`
	Useful     *bool          `db:"useful"`
	Comment    string         `db:"comment"`
	PageURL    string         `db:"page_url"`
	Centre     string         `db:"centre"`
	ContactID  *string        `db:"contact_id"`
	CaseID     *string        `db:"case_id"`
	CustomerID *string        `db:"customer_id"`
	Channel    string         `db:"channel"`
	Tier       int            `db:"tier"`
	LGSL       int            `db:"service_lgsl"`
	Agent      string         `db:"agent"`
	SurveyID   *string        `db:"survey_id"`
	CreatedAt  store.NullTime `db:"created_at"`
}

const selectRatings = `SELECT id, source, score, useful, comment, page_url, centre, contact_id, case_id, customer_id,
 channel, tier, service_lgsl, agent, survey_id, created_at FROM ratings
 WHERE customer_id IN (?) OR contact_id IN (?) ORDER BY created_at, id`

// ratings are the person's ratings: given by them, or about their contacts.
func (p *Privacy) ratings(ctx context.Context, ids []string, contacts []intake.Contact) ([]satisfaction.Rating, error) {
	contactIDs := []string{noID} // IN () is not SQL
	for _, c := range contacts {
		contactIDs = append(contactIDs, c.ID)
	}
	var found []ratingRow
	if err := p.selectIn(ctx, &found, selectRatings, ids, contactIDs); err != nil {
		return nil, fmt.Errorf("export ratings: %w", err)
	}
	out := make([]satisfaction.Rating, 0, len(found))
	for _, r := range found {
		out = append(out, satisfaction.Rating{ID: r.ID, Source: satisfaction.Source(r.Source), Score: r.Score, Useful: r.Useful,
			Comment: r.Comment, PageURL: r.PageURL, Centre: r.Centre, ContactID: deref(r.ContactID), CaseID: deref(r.CaseID),
			CustomerID: deref(r.CustomerID), Channel: r.Channel, Tier: r.Tier, LGSL: r.LGSL, Agent: r.Agent,
			SurveyID: deref(r.SurveyID), CreatedAt: r.CreatedAt.Time})
	}
	return out, nil
}

const selectSurveys = `SELECT id, contact_id, phone, status, service_lgsl, sent_at, answered_at, created_at
 FROM surveys WHERE customer_id IN (?) ORDER BY created_at, id`

func (p *Privacy) surveys(ctx context.Context, ids []string) ([]Survey, error) {
	var found []struct {
		ID         string         `db:"id"`
		ContactID  string         `db:"contact_id"`
		Phone      string         `db:"phone"`
		Status     string         `db:"status"`
		LGSL       int            `db:"service_lgsl"`
		SentAt     store.NullTime `db:"sent_at"`
		AnsweredAt store.NullTime `db:"answered_at"`
		CreatedAt  store.NullTime `db:"created_at"`
	}
	if err := p.selectIn(ctx, &found, selectSurveys, ids); err != nil {
		return nil, fmt.Errorf("export surveys: %w", err)
	}
	out := make([]Survey, 0, len(found))
	for _, s := range found {
		out = append(out, Survey{ID: s.ID, ContactID: s.ContactID, Phone: s.Phone, Status: s.Status, LGSL: s.LGSL,
			SentAt: timePtr(s.SentAt), AnsweredAt: timePtr(s.AnsweredAt), CreatedAt: s.CreatedAt.Time})
	}
	return out, nil
}

const selectTenancies = `SELECT id, property_id, customer_id, starts_on, ends_on FROM tenancies
 WHERE customer_id IN (?) ORDER BY starts_on, id`

func (p *Privacy) tenancies(ctx context.Context, ids []string) ([]landlord.Tenancy, error) {
	var found []struct {
		ID         string `db:"id"`
		PropertyID string `db:"property_id"`
		CustomerID string `db:"customer_id"`
		StartsOn   string `db:"starts_on"`
		EndsOn     string `db:"ends_on"`
	}
	if err := p.selectIn(ctx, &found, selectTenancies, ids); err != nil {
		return nil, fmt.Errorf("export tenancies: %w", err)
	}
	out := make([]landlord.Tenancy, 0, len(found))
	for _, t := range found {
		out = append(out, landlord.Tenancy{ID: t.ID, PropertyID: t.PropertyID, CustomerID: t.CustomerID, StartsOn: t.StartsOn, EndsOn: t.EndsOn})
	}
	return out, nil
}

// selectIn runs a query with IN (?) lists.
func (p *Privacy) selectIn(ctx context.Context, dest any, query string, args ...any) error {
	q, expanded, err := sqlx.In(query, args...)
	if err != nil {
		return err
	}
	return store.MapError(p.db.SelectContext(ctx, dest, p.db.Rebind(q), expanded...))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func timePtr(t store.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// noID is a UUID no row has, to keep an IN list from being empty.
const noID = "00000000-0000-0000-0000-000000000000"
