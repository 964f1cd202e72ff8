package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// NewCase is what opening a case takes.
type NewCase struct {
	CustomerID        string
	Service           Service
	Channel           string
	Summary           string
	Priority          int
	OpenedByContactID string
	// LandlordID is the landlord raising the case through its portal, "" for the customer.
	LandlordID string
	// Route is the router's decision; without one the case gets the defaults and the
	// service's SLA from the catalogue.
	Route *Route
	// Linked writes a case that a contact opens (OpenedByContactID, started at
	// OpenerStartedAt) already linked to it, as LinkContactTx would leave it: one
	// insert instead of an insert and an update in the contact's write. The caller
	// then tells the link with LinkOpenerTx, not LinkContactTx.
	Linked          bool
	OpenerStartedAt time.Time
}

// Route is where the router sends a case.
type Route struct {
	Routing
	Tier     int
	Queue    string
	Priority int
	Due      time.Time
}

// CheckService fails when the catalogue does not offer the service.
func (s *Cases) CheckService(field string, svc Service) error {
	if _, ok := s.catalogue.Service(svc.LGSL); !ok {
		return fault.Field(field, fmt.Sprintf("LGSL %d is not a service in this council's catalogue", svc.LGSL))
	}
	return nil
}

// OpenTx opens a case inside tx, with the service's SLA, on the timeline and in the outbox.
func (s *Cases) OpenTx(ctx context.Context, tx *sqlx.Tx, actor Actor, in NewCase, now time.Time) (Case, error) {
	svc, ok := s.catalogue.Service(in.Service.LGSL)
	if !ok {
		return Case{}, fault.Field("service.lgsl", fmt.Sprintf("LGSL %d is not a service in this council's catalogue", in.Service.LGSL))
	}
	c := Case{
		ID: store.NewID(), CustomerID: in.CustomerID, Service: in.Service, Status: Open,
		Tier: DefaultTier, Queue: DefaultQueue, Priority: DefaultPriority,
		SLADueAt: now.Add(time.Duration(svc.SLADays) * 24 * time.Hour), Channel: in.Channel,
		OpenedByContactID: in.OpenedByContactID, Summary: strings.TrimSpace(in.Summary), LandlordID: in.LandlordID,
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if r := in.Route; r != nil {
		c.Tier, c.Queue, c.Priority, c.SLADueAt, c.Routing = r.Tier, r.Queue, r.Priority, r.Due.UTC().Truncate(time.Microsecond), r.Routing
	}
	if in.Priority != 0 {
		c.Priority = in.Priority
	}
	if in.Linked {
		c = linked(c, in.OpenerStartedAt)
		// Version 2, as opening and linking, two writes before, left it: a client that
		// holds the version (If-Match) sees no difference.
		c.Version++
	}
	if err := insert(ctx, tx, c); err != nil {
		return Case{}, err
	}
	opened := event.CaseOpenedData{Service: c.Service.LGSL, Channel: c.Channel, Tier: c.Tier, Queue: c.Queue,
		Priority: c.Priority, SLADueAt: c.SLADueAt}
	if c.Routing.Rule != "" {
		opened.RulesetVersion, opened.Rule, opened.Why = c.Routing.RulesetVersion, c.Routing.Rule, c.Routing.Summary
	}
	return c, record(ctx, tx, actor, c, now, opened)
}

// Open opens a case directly (not through a contact).
func (s *Cases) Open(ctx context.Context, actor Actor, in NewCase) (Case, error) {
	if in.Channel == "" {
		in.Channel = "phone"
	}
	var out Case
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := customerIsLive(ctx, tx, in.CustomerID); err != nil {
			return err
		}
		var err error
		out, err = s.OpenTx(ctx, tx, actor, in, store.Now())
		return err
	})
	return out, err
}

const selectCustomerLive = `SELECT merged_into FROM customers WHERE id = ?`

// customerIsLive checks the customer exists and was not merged away.
func customerIsLive(ctx context.Context, q Querier, id string) error {
	var mergedInto *string
	if err := sqlx.GetContext(ctx, q, &mergedInto, q.Rebind(selectCustomerLive), id); err != nil {
		if errors.Is(store.MapError(err), store.ErrNotFound) {
			return fault.Field("customerId", "no such customer")
		}
		return fmt.Errorf("read customer: %w", store.MapError(err))
	}
	if mergedInto != nil {
		return fault.Field("customerId", "this customer was merged into "+*mergedInto+"; use that record")
	}
	return nil
}

// record tells a change of case c: on the case's and its customer's timelines and, for
// other systems, in the outbox (filterable by the case's service and queue).
func record(ctx context.Context, tx *sqlx.Tx, actor Actor, c Case, at time.Time, what event.Payload) error {
	_, err := event.Record(ctx, tx, event.Change{CustomerID: c.CustomerID, CaseID: c.ID, Actor: actor, At: at,
		Service: c.Service.LGSL, Queue: c.Queue, Payload: what})
	return err
}

const selectOpenForService = `SELECT ` + caseColumns + ` FROM cases
 WHERE customer_id = ? AND service_lgsl = ? AND landlord_id = ? AND status NOT IN ('resolved', 'closed')
 ORDER BY created_at DESC LIMIT 1`

// FindOpenTx returns the customer's most recent unfinished case about the service that
// landlordID raised ("" for the customer's own). A landlord's contact never joins a
// case the tenant raised, nor a tenant's contact one the landlord raised: each is
// private to whoever raised it.
func (s *Cases) FindOpenTx(ctx context.Context, q Querier, customerID string, lgsl int, landlordID string) (Case, bool, error) {
	var r caseRow
	err := sqlx.GetContext(ctx, q, &r, q.Rebind(selectOpenForService+s.db.ForUpdate()), customerID, lgsl, landlordID)
	if err = store.MapError(err); errors.Is(err, store.ErrNotFound) {
		return Case{}, false, nil
	} else if err != nil {
		return Case{}, false, fmt.Errorf("find open case: %w", err)
	}
	c, err := r.toCase()
	return c, err == nil, err
}

// LoadTx reads and locks a case inside a transaction.
func (s *Cases) LoadTx(ctx context.Context, tx *sqlx.Tx, id string) (Case, error) {
	return loadCase(ctx, tx, id, s.db.ForUpdate())
}

const selectQueue = `SELECT queue FROM cases WHERE id = ?`

// QueueTx is the queue case id is in now, read in tx without locking the case.
func (s *Cases) QueueTx(ctx context.Context, tx *sqlx.Tx, id string) (string, error) {
	var queue string
	if err := tx.GetContext(ctx, &queue, tx.Rebind(selectQueue), id); err != nil {
		return "", fmt.Errorf("read the case's queue: %w", store.MapError(err))
	}
	return queue, nil
}

// LinkContactTx adds a contact that started at contactAt to the case, and saves the
// case with whatever else the contact changed in it (EscalateTx's move).
func (s *Cases) LinkContactTx(ctx context.Context, tx *sqlx.Tx, actor Actor, c Case, contactID, channel string, contactAt, at time.Time) (Case, error) {
	c, err := save(ctx, tx, linked(c, contactAt), at)
	if err != nil {
		return Case{}, err
	}
	return c, record(ctx, tx, actor, c, at, event.CaseContactLinkedData{ContactID: contactID, Channel: channel})
}

// LinkOpenerTx tells that the contact that opened c is linked to it, for a case OpenTx
// wrote already linked (NewCase.Linked): the case's row needs no change.
func (s *Cases) LinkOpenerTx(ctx context.Context, tx *sqlx.Tx, actor Actor, c Case, contactID, channel string, at time.Time) error {
	return record(ctx, tx, actor, c, at, event.CaseContactLinkedData{ContactID: contactID, Channel: channel})
}

// linked is c counting one more contact, which started at contactAt.
func linked(c Case, contactAt time.Time) Case {
	c.ContactCount++
	if contactAt.After(c.LastContactAt) {
		c.LastContactAt = contactAt
	}
	return c
}

// Get reads a case.
func (s *Cases) Get(ctx context.Context, id string) (Case, error) {
	return loadCase(ctx, s.db, id, "")
}

const selectRaisedBy = `SELECT ` + caseColumns + ` FROM cases WHERE landlord_id = ? ORDER BY id DESC`

// RaisedBy lists the cases a landlord raised through its portal, newest first.
func (s *Cases) RaisedBy(ctx context.Context, landlordID string) ([]Case, error) {
	var rows []caseRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(selectRaisedBy), landlordID); err != nil {
		return nil, fmt.Errorf("cases raised by landlord: %w", store.MapError(err))
	}
	out := make([]Case, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = r.toCase(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Patch changes what PATCH /v1/cases may change; nil members are unchanged.
type Patch struct {
	Status   *Status
	Priority *int
	Assignee *string // "" unassigns
	SLADueAt *time.Time
	Summary  *string
}

// AnyVersion matches whatever version is stored.
const AnyVersion = 0

// Update applies p to the case at version expected.
func (s *Cases) Update(ctx context.Context, who Caller, id string, expected int, p Patch) (Case, error) {
	actor := who.Actor
	return s.change(ctx, who, id, expected, func(tx *sqlx.Tx, c Case, now time.Time) (Case, error) {
		before := c
		if p.Status != nil && *p.Status != c.Status {
			if *p.Status == Open && c.Status.Finished() || !CanMove(c.Status, *p.Status) {
				return Case{}, fault.New(fault.Conflict, "a %s case cannot become %s", c.Status, *p.Status)
			}
			c.Status = *p.Status
		}
		if p.Priority != nil {
			c.Priority = *p.Priority
		}
		if p.Assignee != nil {
			c.Assignee = strings.TrimSpace(*p.Assignee)
		}
		if p.SLADueAt != nil {
			c.SLADueAt = p.SLADueAt.UTC().Truncate(time.Microsecond)
		}
		if p.Summary != nil {
			c.Summary = strings.TrimSpace(*p.Summary)
		}
		if !editedBy(before, c) {
			return c, nil
		}
		c, err := save(ctx, tx, c, now)
		if err != nil {
			return Case{}, err
		}
		return c, recordChanges(ctx, tx, actor, before, c, now)
	})
}

// editedBy reports whether an update changed any field PATCH may change.
func editedBy(before, after Case) bool {
	return before.Status != after.Status || before.Priority != after.Priority || before.Assignee != after.Assignee ||
		!before.SLADueAt.Equal(after.SLADueAt) || before.Summary != after.Summary
}

// recordChanges tells the timeline what an update changed, one event per kind of change.
func recordChanges(ctx context.Context, tx *sqlx.Tx, actor Actor, before, after Case, now time.Time) error {
	if before.Status != after.Status {
		if err := record(ctx, tx, actor, after, now, event.CaseStatusChangedData{From: string(before.Status), To: string(after.Status)}); err != nil {
			return err
		}
	}
	if before.Assignee != after.Assignee {
		if err := record(ctx, tx, actor, after, now, event.CaseAssignedData{From: before.Assignee, To: after.Assignee}); err != nil {
			return err
		}
	}
	var fields []string
	if before.Priority != after.Priority {
		fields = append(fields, "priority")
	}
	if !before.SLADueAt.Equal(after.SLADueAt) {
		fields = append(fields, "slaDueAt")
	}
	if before.Summary != after.Summary {
		fields = append(fields, "summary")
	}
	if len(fields) == 0 {
		return nil
	}
	return record(ctx, tx, actor, after, now, event.CaseUpdatedData{Fields: fields})
}

// change runs fn on the locked case at version expected, in one transaction, when who
// may change it.
func (s *Cases) change(ctx context.Context, who Caller, id string, expected int, fn func(*sqlx.Tx, Case, time.Time) (Case, error)) (Case, error) {
	var out Case
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		c, err := s.LoadTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := MayChange(who, c); err != nil {
			return err
		}
		if expected != AnyVersion && expected != c.Version {
			return fault.New(fault.PreconditionFailed, "the case is at version %d, not %d; read it again", c.Version, expected)
		}
		out, err = fn(tx, c, store.Now())
		return err
	})
	return out, err
}

// AddNote puts a note on the case timeline.
func (s *Cases) AddNote(ctx context.Context, who Caller, id, text string, internal bool) (timeline.Event, error) {
	var ev timeline.Event
	err := s.db.InTx(ctx, func(tx *sqlx.Tx) error {
		c, err := loadCase(ctx, tx, id, "")
		if err != nil {
			return err
		}
		if err := MayChange(who, c); err != nil {
			return err
		}
		events, err := event.Record(ctx, tx, event.Change{CustomerID: c.CustomerID, CaseID: c.ID, Actor: who.Actor,
			Service: c.Service.LGSL, Queue: c.Queue, Payload: event.CaseNoteData{Text: strings.TrimSpace(text), Internal: internal}})
		if err != nil {
			return err
		}
		ev = events[0]
		return nil
	})
	return ev, err
}

// ResolveTx resolves c inside tx; firstContact marks a first-contact resolution.
func (s *Cases) ResolveTx(ctx context.Context, tx *sqlx.Tx, actor Actor, c Case, code, note string, firstContact bool, now time.Time) (Case, error) {
	if !CanMove(c.Status, Resolved) {
		return Case{}, fault.New(fault.Conflict, "a %s case cannot be resolved", c.Status)
	}
	c.Status, c.ResolutionCode, c.ResolvedAt = Resolved, code, now
	c.ResolvedAtFirstContact = firstContact
	c, err := save(ctx, tx, c, now)
	if err != nil {
		return Case{}, err
	}
	return c, record(ctx, tx, actor, c, now, event.CaseResolvedData{ResolutionCode: code, FirstContact: firstContact,
		Note: strings.TrimSpace(note)})
}

// Resolve resolves a case with a resolution code. A case resolved here, after the
// contact that opened it, is not a first-contact resolution.
func (s *Cases) Resolve(ctx context.Context, who Caller, id string, expected int, code, note string) (Case, error) {
	return s.change(ctx, who, id, expected, func(tx *sqlx.Tx, c Case, now time.Time) (Case, error) {
		return s.ResolveTx(ctx, tx, who.Actor, c, code, note, false, now)
	})
}

// Reopen puts a resolved case back to open.
func (s *Cases) Reopen(ctx context.Context, who Caller, id string, expected int, reason string) (Case, error) {
	actor := who.Actor
	return s.change(ctx, who, id, expected, func(tx *sqlx.Tx, c Case, now time.Time) (Case, error) {
		if c.Status != Resolved {
			return Case{}, fault.New(fault.Conflict, "only a resolved case can be reopened; this one is %s", c.Status)
		}
		c.Status, c.ResolutionCode, c.ResolvedAt, c.ResolvedAtFirstContact = Open, "", time.Time{}, false
		c, err := save(ctx, tx, c, now)
		if err != nil {
			return Case{}, err
		}
		return c, record(ctx, tx, actor, c, now, event.CaseReopenedData{Reason: strings.TrimSpace(reason)})
	})
}

// Query filters a list of cases.
type Query struct {
	CustomerID, Queue, Assignee string
	Status                      Status
	Tier, LGSL                  int
	Overdue                     *bool
	Limit                       int
	After                       string
}

// Page is one page of cases.
type Page struct {
	Items      []Case
	NextCursor string
}

// List returns cases newest first.
func (s *Cases) List(ctx context.Context, q Query) (Page, error) {
	where, args := []string{"1 = 1"}, []any{}
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if q.CustomerID != "" {
		add("customer_id = ?", q.CustomerID)
	}
	if q.Status != "" {
		add("status = ?", string(q.Status))
	}
	if q.Tier != 0 {
		add("tier = ?", q.Tier)
	}
	if q.Queue != "" {
		add("queue = ?", q.Queue)
	}
	if q.LGSL != 0 {
		add("service_lgsl = ?", q.LGSL)
	}
	if q.Assignee != "" {
		add("assignee = ?", q.Assignee)
	}
	if q.Overdue != nil {
		if *q.Overdue {
			add("status NOT IN ('resolved', 'closed') AND sla_due_at < ?", store.Now())
		} else {
			add("NOT (status NOT IN ('resolved', 'closed') AND sla_due_at < ?)", store.Now())
		}
	}
	if q.After != "" {
		keys, err := cursor.Decode(q.After, 1)
		if err != nil || uuid.Validate(keys[0]) != nil {
			return Page{}, fault.Field("cursor", "not a cursor this server gave out")
		}
		add("id < ?", keys[0])
	}
	args = append(args, q.Limit+1)
	var rows []caseRow
	query := `SELECT ` + caseColumns + ` FROM cases WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC LIMIT ?`
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(query), args...); err != nil {
		return Page{}, fmt.Errorf("list cases: %w", store.MapError(err))
	}
	var page Page
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		page.NextCursor = cursor.Encode(rows[len(rows)-1].ID)
	}
	page.Items = make([]Case, len(rows))
	for i, r := range rows {
		var err error
		if page.Items[i], err = r.toCase(); err != nil {
			return Page{}, err
		}
	}
	return page, nil
}

// Timeline reads one page of the case's events, newest first. Events name only cases
// that exist (cases are never deleted), so the case itself is read only when the page
// is empty, to tell "no such case" from "no more events": the hot path is one query.
func (s *Cases) Timeline(ctx context.Context, id string, limit int, after string) (timeline.Page, error) {
	page, err := timeline.ForCase(ctx, s.db, id, limit, after)
	if err != nil || len(page.Items) > 0 {
		return page, err
	}
	if _, err := s.Get(ctx, id); err != nil {
		return timeline.Page{}, err
	}
	return page, nil
}

// MoveToSurvivor gives a merged-away customer's cases to the survivor (customer merge).
func (s *Cases) MoveToSurvivor(ctx context.Context, tx *sqlx.Tx, from, to string) ([]string, error) {
	return store.ReassignCustomer(ctx, tx, "cases", from, to)
}

// ReturnTo gives cases back to the customer an undone merge restores.
func (s *Cases) ReturnTo(ctx context.Context, tx *sqlx.Tx, ids []string, to string) error {
	return store.ReturnToCustomer(ctx, tx, "cases", ids, to)
}
