package intake

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/routing"
	"github.com/council/contacthub/internal/satisfaction"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Intake records contacts.
type Intake struct {
	db        *store.DB
	customers *customer.Service
	cases     *casework.Cases
	catalogue *catalogue.Catalogue
	rules     Rules
	surveys   Surveyor
	rollup    rollup       // the daily counts the reports read (rollup.go)
	quarters  quarterCount // the quarter-hour counts the forecast reads (quarter.go)
}

// Surveyor decides whether an ended contact gets an SMS survey, in its transaction.
type Surveyor interface {
	ScheduleTx(ctx context.Context, tx *sqlx.Tx, actor timeline.Actor, c satisfaction.Candidate) (satisfaction.Decision, error)
}

// FollowWithSurveys makes ended contacts go to the survey scheduler.
func (in *Intake) FollowWithSurveys(s Surveyor) { in.surveys = s }

// Rules is the router's active rule set.
type Rules interface {
	Active() *routing.Compiled
}

// New returns the front door.
func New(db *store.DB, customers *customer.Service, cases *casework.Cases, cat *catalogue.Catalogue, rules Rules) *Intake {
	return &Intake{db: db, customers: customers, cases: cases, catalogue: cat, rules: rules}
}

// Actor is who records a contact.
type Actor = timeline.Actor

// Request is a contact as a channel reports it.
type Request struct {
	Channel               channel.Channel
	Direction             string
	StartedAt, EndedAt    time.Time
	Service               casework.Service
	Intent, Summary       string
	Identifiers           []customer.IdentifierInput
	CustomerID            string
	GivenName, FamilyName string
	CreateCustomer        bool
	CaseID                string
	Centre                string
	AssistedDigital       bool
	OnBehalfOf            OnBehalfOf
	Agent, ExternalID     string
	Outcome               Outcome
	ResolutionCode        string
	EvidenceRequired      bool
	Amount                *int64 // pence, e.g. arrears
	// Also is the channel's own bookkeeping for the contact (the IVR's call record),
	// written in the contact's transaction so that both land or neither does.
	Also func(ctx context.Context, tx *sqlx.Tx, c Contact) error
}

// Result is what recording a contact did.
type Result struct {
	Contact         Contact
	Customer        *customer.Customer
	Case            *casework.Case
	CustomerCreated bool
	CaseCreated     bool
	Candidates      []customer.Candidate
	// Decision is the router's decision for the contact's case, nil when it has none.
	Decision *routing.Decision
	// Due is when that decision's service level falls due.
	Due time.Time
}

// Record takes a contact through the front door. Two contacts racing to create the
// same new customer both land on it: the loser of the race finds the winner's record.
func (in *Intake) Record(ctx context.Context, actor Actor, req Request) (Result, error) {
	req, err := in.check(req)
	if err != nil {
		return Result{}, err
	}
	for attempt := 0; ; attempt++ {
		res, err := in.record(ctx, actor, req)
		if fault.Is(err, fault.IdentifierTaken) && attempt == 0 {
			continue
		}
		return res, err
	}
}

// check validates and normalises a request.
func (in *Intake) check(req Request) (Request, error) {
	var problems fault.Fields
	if req.Direction == "" {
		req.Direction = "inbound"
	}
	if req.Outcome == "" {
		req.Outcome = InProgress
	}
	now := store.Now()
	if req.StartedAt.IsZero() {
		req.StartedAt = now
	}
	req.StartedAt = req.StartedAt.UTC().Truncate(time.Microsecond)
	if req.StartedAt.After(now.Add(5 * time.Minute)) {
		problems.Add("startedAt", "must not be in the future")
	}
	if !req.EndedAt.IsZero() {
		req.EndedAt = req.EndedAt.UTC().Truncate(time.Microsecond)
		if req.EndedAt.Before(req.StartedAt) {
			problems.Add("endedAt", "must not be before startedAt")
		}
	}
	if _, ok := in.catalogue.Service(req.Service.LGSL); !ok {
		problems.Add("service.lgsl", fmt.Sprintf("LGSL %d is not a service in this council's catalogue", req.Service.LGSL))
	}
	switch {
	case req.Channel.Props().NeedsCentre && req.Centre == "":
		problems.Add("centre", "a face-to-face contact names its centre")
	case req.Channel.Props().NeedsCentre && !in.catalogue.HasCentre(req.Centre):
		problems.Add("centre", "not one of this council's centres")
	case !req.Channel.Props().NeedsCentre && req.Centre != "":
		problems.Add("centre", "only face-to-face contacts have a centre")
	}
	if !req.OnBehalfOf.IsZero() && !req.Channel.Props().OnBehalf {
		problems.Add("onBehalfOf", "only landlord portal contacts act on someone's behalf")
	}
	if req.ResolutionCode != "" && req.Outcome != ResolvedFirstContact {
		problems.Add("resolutionCode", "only with outcome resolved_first_contact")
	}
	ids, err := in.customers.NormaliseIdentifiers("identifiers", req.Identifiers)
	if f, ok := fault.As(err); ok {
		for _, fe := range f.Fields {
			problems.Add(fe.Field, fe.Message)
		}
	}
	req.Identifiers = ids
	req.Summary = strings.TrimSpace(req.Summary)
	return req, problems.Err()
}

// whom is the outcome of finding the customer before the transaction.
type whom struct {
	customer   *customer.Customer
	create     bool
	candidates []customer.Candidate
}

// identify finds who the contact is from: the case, the customer id, or the identifiers.
func (in *Intake) identify(ctx context.Context, req Request) (whom, error) {
	id := req.CustomerID
	if id == "" && req.CaseID != "" {
		c, err := in.cases.Get(ctx, req.CaseID)
		if fault.Is(err, fault.NotFound) {
			return whom{}, fault.Field("caseId", "no such case")
		} else if err != nil {
			return whom{}, err
		}
		id = c.CustomerID
	}
	if id != "" {
		c, err := in.live(ctx, id)
		return whom{customer: c}, err
	}
	if len(req.Identifiers) == 0 {
		return whom{}, nil
	}
	m, err := in.customers.Match(ctx, customer.MatchRequest{Identifiers: req.Identifiers})
	if err != nil {
		return whom{}, err
	}
	switch {
	case m.Match != nil:
		return whom{customer: m.Match}, nil
	case len(m.Candidates) > 0:
		return whom{candidates: m.Candidates}, nil
	default:
		return whom{create: req.CreateCustomer}, nil
	}
}

// live reads a customer, following merges to the record in use.
func (in *Intake) live(ctx context.Context, id string) (*customer.Customer, error) {
	for range 10 {
		c, err := in.customers.Get(ctx, id)
		if fault.Is(err, fault.NotFound) {
			return nil, fault.Field("customerId", "no such customer")
		} else if err != nil {
			return nil, err
		}
		if c.MergedInto == "" {
			return &c, nil
		}
		id = c.MergedInto
	}
	return nil, fault.Field("customerId", "this customer's merges go round in circles")
}

func (in *Intake) record(ctx context.Context, actor Actor, req Request) (Result, error) {
	who, err := in.identify(ctx, req)
	if err != nil {
		return Result{}, err
	}
	res := Result{Candidates: who.candidates}
	now := store.Now()
	contact := Contact{
		ID: store.NewID(), Channel: req.Channel, Direction: req.Direction, StartedAt: req.StartedAt, EndedAt: req.EndedAt,
		Service: req.Service, Intent: req.Intent, Summary: req.Summary, Centre: req.Centre,
		AssistedDigital: req.AssistedDigital, OnBehalfOf: req.OnBehalfOf, Agent: req.Agent, ExternalID: req.ExternalID,
		Outcome: req.Outcome, Identifiers: req.Identifiers, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	err = in.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if err := in.recordTx(ctx, tx, actor, req, &who, &contact, &res, now); err != nil {
			return err
		}
		// Counted last, so that the day's and quarter hour's rows (which concurrent
		// contacts share) stay locked only from here to the commit; on PostgreSQL the
		// counts go after the appends in the commit's pipeline (store.HoldCount).
		openedTier := 0
		if res.CaseCreated {
			openedTier = contact.Routed.Tier
		}
		if err := in.count(ctx, tx, rollupKeyOf(contact), contactTally(contact, openedTier)); err != nil {
			return err
		}
		return in.countQuarter(ctx, tx, contact)
	})
	if err != nil {
		return Result{}, err
	}
	// Recording a contact never changes the customer, so the record read (or created)
	// before the transaction is the one to answer with.
	res.Contact, res.Customer = contact, who.customer
	return res, nil
}

// recordTx writes the contact, its customer (when new) and its case inside tx.
func (in *Intake) recordTx(ctx context.Context, tx *sqlx.Tx, actor Actor, req Request, who *whom, contact *Contact, res *Result, now time.Time) error {
	if who.create {
		c, err := in.customers.CreateTx(ctx, tx, actor, customer.NewCustomer{
			GivenName: req.GivenName, FamilyName: req.FamilyName, Identifiers: req.Identifiers}, now)
		if err != nil {
			return err
		}
		who.customer, res.CustomerCreated = &c, true
	}
	if who.customer == nil {
		if err := in.write(ctx, tx, actor, contact, nil, now); err != nil {
			return err
		}
		return in.also(ctx, tx, req, *contact)
	}
	contact.CustomerID = who.customer.ID
	c, created, err := in.caseFor(ctx, tx, actor, req, *who, *contact, res, now)
	if err != nil {
		return err
	}
	contact.CaseID, res.CaseCreated = c.ID, created
	if d := res.Decision; d != nil {
		contact.Routed = Routed{RulesetVersion: d.Version, Rule: d.RuleID, Tier: d.Result.Tier, Queue: d.Result.Queue}
	}
	if created {
		contact.AvoidableReason = avoidable(req.Intent, casework.Case{}, contact.StartedAt, 0)
	} else {
		contact.AvoidableReason = avoidable(req.Intent, c, contact.StartedAt, in.catalogue.AvoidableWindow())
	}
	if err := in.write(ctx, tx, actor, contact, &c, now); err != nil {
		return err
	}
	if created { // opened already linked to this contact (caseFor)
		err = in.cases.LinkOpenerTx(ctx, tx, actor, c, contact.ID, string(contact.Channel), now)
	} else {
		c, err = in.cases.LinkContactTx(ctx, tx, actor, c, contact.ID, string(contact.Channel), contact.StartedAt, now)
	}
	if err != nil {
		return err
	}
	if !contact.EndedAt.IsZero() {
		if err := in.surveyTx(ctx, tx, actor, *contact, c.Queue, who.customer); err != nil {
			return err
		}
	}
	if req.Outcome == ResolvedFirstContact && created {
		code := req.ResolutionCode
		if code == "" {
			code = "resolved_at_first_contact"
		}
		if c, err = in.cases.ResolveTx(ctx, tx, actor, c, code, "", true, now); err != nil {
			return err
		}
	}
	res.Case = &c
	return in.also(ctx, tx, req, *contact)
}

// also runs the channel's own writes for the contact, when it has any.
func (in *Intake) also(ctx context.Context, tx *sqlx.Tx, req Request, c Contact) error {
	if req.Also == nil {
		return nil
	}
	return req.Also(ctx, tx, c)
}

// caseFor joins the named case, or the customer's open case about the service, or opens
// one; either way the router decides where the case should be, and res carries why.
func (in *Intake) caseFor(ctx context.Context, tx *sqlx.Tx, actor Actor, req Request, who whom, contact Contact, res *Result, now time.Time) (casework.Case, bool, error) {
	c, found, err := in.existingCase(ctx, tx, req, who.customer.ID)
	if err != nil {
		return casework.Case{}, false, err
	}
	rules := in.rules.Active()
	facts, err := in.facts(ctx, tx, req, who.customer, c, rules, now)
	if err != nil {
		return casework.Case{}, false, err
	}
	d := rules.DecideExplained(&facts)
	route := casework.Route{
		Routing: casework.Routing{RulesetVersion: d.Version, Rule: d.RuleID, Summary: d.Summary, Skills: d.Result.Skills},
		Tier:    d.Result.Tier, Queue: d.Result.Queue, Priority: d.Result.Priority, Due: rules.Due(d.Result, now),
	}
	res.Decision, res.Due = &d, route.Due
	if found {
		c, err = in.cases.EscalateTx(ctx, tx, actor, c, route, now)
		return c, false, err
	}
	c, err = in.cases.OpenTx(ctx, tx, actor, casework.NewCase{CustomerID: who.customer.ID, Service: req.Service,
		Channel: string(req.Channel), Summary: req.Summary, OpenedByContactID: contact.ID, LandlordID: req.OnBehalfOf.LandlordID,
		Route: &route, Linked: true, OpenerStartedAt: contact.StartedAt}, now)
	return c, true, err
}

const selectPreviousContacts = `SELECT started_at FROM contacts
 WHERE customer_id = ? AND service_lgsl = ? AND started_at >= ? ORDER BY started_at DESC LIMIT 100`

// facts gathers what the rules may ask about this contact.
func (in *Intake) facts(ctx context.Context, tx *sqlx.Tx, req Request, cust *customer.Customer, c casework.Case, rules *routing.Compiled, now time.Time) (routing.Facts, error) {
	f := routing.Facts{
		LGSL: req.Service.LGSL, Category: req.Service.Category, Intent: req.Intent, Channel: string(req.Channel),
		Vulnerable: cust.Needs.Vulnerable, AssistedDigital: cust.Needs.AssistedDigital || req.AssistedDigital,
		Language: cust.Needs.PreferredLanguage, EvidenceRequired: req.EvidenceRequired, At: req.StartedAt,
	}
	if req.Amount != nil {
		f.HasAmount, f.Amount = true, *req.Amount
	}
	if c.ID != "" {
		f.CaseAge = now.Sub(c.CreatedAt)
	}
	var err error
	f.PreviousContacts, err = in.previousContacts(ctx, tx, cust.ID, req.Service.LGSL, req.StartedAt, rules.MaxContactDays())
	return f, err
}

// existingCase finds the named case, or the customer's open case about the service.
func (in *Intake) existingCase(ctx context.Context, tx *sqlx.Tx, req Request, customerID string) (casework.Case, bool, error) {
	if req.CaseID != "" {
		c, err := in.cases.LoadTx(ctx, tx, req.CaseID)
		if fault.Is(err, fault.NotFound) {
			return casework.Case{}, false, fault.Field("caseId", "no such case")
		} else if err != nil {
			return casework.Case{}, false, err
		}
		if c.CustomerID != customerID {
			return casework.Case{}, false, fault.Field("caseId", "the case belongs to another customer")
		}
		if landlord := req.OnBehalfOf.LandlordID; landlord != "" && c.LandlordID != landlord {
			return casework.Case{}, false, fault.Field("caseId", "a landlord's contact joins only a case that landlord raised")
		}
		if c.Status == casework.Closed {
			return casework.Case{}, false, fault.New(fault.Conflict, "case %s is closed; record the contact without caseId to open a new one", c.ID)
		}
		return c, true, nil
	}
	return in.cases.FindOpenTx(ctx, tx, customerID, req.Service.LGSL, req.OnBehalfOf.LandlordID)
}

// avoidable says why a contact that started at t need not have happened, or "". What
// the customer says they want comes first; then a contact about a case past its service
// level chases a reply that was due; then any other contact about a case last contacted
// within the window is a repeat.
func avoidable(intent string, joined casework.Case, t time.Time, window time.Duration) string {
	switch intent {
	case ProgressChasing, ChasingResponse, Misdirected:
		return intent
	}
	if joined.ID == "" {
		return ""
	}
	if joined.Overdue(t) {
		return PastSLA
	}
	if !joined.LastContactAt.IsZero() && t.Sub(joined.LastContactAt) <= window {
		return Repeat
	}
	return ""
}

// write inserts the contact and records it: on its customer's and case's timelines
// when it has them, and in the outbox always (an unknown caller's contact too).
func (in *Intake) write(ctx context.Context, tx *sqlx.Tx, actor Actor, c *Contact, cs *casework.Case, now time.Time) error {
	if err := insert(ctx, tx, *c); err != nil {
		return err
	}
	queue := ""
	if cs != nil {
		queue = cs.Queue
	}
	_, err := event.Record(ctx, tx, change(*c, actor, now, queue, event.ContactRecordedData{ContactID: c.ID,
		Channel: string(c.Channel), Service: c.Service.LGSL, Outcome: string(c.Outcome), Avoidable: c.AvoidableReason,
		Centre: c.Centre}))
	return err
}

// change is an event of contact c, filterable by its service and its case's queue. A
// contact with neither customer nor case keys its messages by itself, so that a
// receiver hears its update after its recording.
func change(c Contact, actor Actor, at time.Time, queue string, what event.Payload) event.Change {
	ch := event.Change{CustomerID: c.CustomerID, CaseID: c.CaseID, Actor: actor, At: at, Payload: what,
		Service: c.Service.LGSL, Queue: queue}
	if c.CustomerID == "" && c.CaseID == "" {
		ch.Key = c.ID
	}
	return ch
}

const selectByExternal = `SELECT ` + contactColumns + ` FROM contacts WHERE channel = ? AND external_id = ?`

// ByExternalID finds the contact a channel knows by its own id (a call id).
func (in *Intake) ByExternalID(ctx context.Context, ch channel.Channel, id string) (Contact, error) {
	var r contactRow
	if err := in.db.GetContext(ctx, &r, in.db.Rebind(selectByExternal), string(ch), id); err != nil {
		if errors.Is(store.MapError(err), store.ErrNotFound) {
			return Contact{}, fault.New(fault.NotFound, "no %s contact %s", ch, id)
		}
		return Contact{}, fmt.Errorf("read contact: %w", store.MapError(err))
	}
	return r.toContact()
}

// Get reads a contact.
func (in *Intake) Get(ctx context.Context, id string) (Contact, error) {
	return load(ctx, in.db, id, "")
}

// GetTx reads a contact inside tx.
func (in *Intake) GetTx(ctx context.Context, tx *sqlx.Tx, id string) (Contact, error) {
	return load(ctx, tx, id, "")
}

// Patch is what PATCH /v1/contacts may change; nil members are unchanged.
type Patch struct {
	Agent          *string
	EndedAt        *time.Time
	Outcome        *Outcome
	ResolutionCode *string
	Summary        *string
}

// AnyVersion matches whatever version is stored.
const AnyVersion = 0

// Update records how a contact ended. Marking the contact that opened a case as
// resolved at first contact resolves that case as a first-contact resolution, which
// changes the case: who may is casework's rule, as for any other resolution.
func (in *Intake) Update(ctx context.Context, who casework.Caller, id string, expected int, p Patch) (Contact, error) {
	var out Contact
	err := in.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = in.UpdateTx(ctx, tx, who, id, expected, p)
		return err
	})
	return out, err
}

// UpdateTx is Update inside tx, for callers whose own writes must land with it (or not
// at all), as an IVR event's do.
func (in *Intake) UpdateTx(ctx context.Context, tx *sqlx.Tx, who casework.Caller, id string, expected int, p Patch) (Contact, error) {
	actor := who.Actor
	c, err := load(ctx, tx, id, in.db.ForUpdate())
	if err != nil {
		return Contact{}, err
	}
	if expected != AnyVersion && expected != c.Version {
		return Contact{}, fault.New(fault.PreconditionFailed, "the contact is at version %d, not %d; read it again", c.Version, expected)
	}
	now := store.Now()
	var fields []string
	endsNow := false
	if p.EndedAt != nil {
		ended := p.EndedAt.UTC().Truncate(time.Microsecond)
		if ended.Before(c.StartedAt) {
			return Contact{}, fault.Field("endedAt", "must not be before startedAt")
		}
		endsNow = c.EndedAt.IsZero()
		c.EndedAt, fields = ended, append(fields, "endedAt")
	}
	if p.Summary != nil {
		c.Summary, fields = strings.TrimSpace(*p.Summary), append(fields, "summary")
	}
	if p.Agent != nil && *p.Agent != c.Agent {
		c.Agent, fields = *p.Agent, append(fields, "agent")
	}
	if p.ResolutionCode != nil && (p.Outcome == nil || *p.Outcome != ResolvedFirstContact) {
		return Contact{}, fault.Field("resolutionCode", "only with outcome resolved_first_contact")
	}
	wasOutcome := c.Outcome
	if p.Outcome != nil && *p.Outcome != c.Outcome {
		c.Outcome, fields = *p.Outcome, append(fields, "outcome")
		if err := in.resolveOpenedCase(ctx, tx, who, c, p.ResolutionCode, now); err != nil {
			return Contact{}, err
		}
	}
	if len(fields) == 0 {
		return c, nil
	}
	out, err := save(ctx, tx, c, now)
	if err != nil {
		return Contact{}, err
	}
	var queue string // subscribers filter the contact's events by its case's queue
	if out.CaseID != "" {
		if queue, err = in.cases.QueueTx(ctx, tx, out.CaseID); err != nil {
			return Contact{}, err
		}
	}
	if endsNow && out.CustomerID != "" {
		cust, err := in.customers.GetTx(ctx, tx, out.CustomerID)
		if err != nil {
			return Contact{}, err
		}
		if err := in.surveyTx(ctx, tx, actor, out, queue, &cust); err != nil {
			return Contact{}, err
		}
	}
	if _, err = event.Record(ctx, tx, change(out, actor, now, queue, event.ContactUpdatedData{ContactID: out.ID,
		Fields: fields, Outcome: string(out.Outcome)})); err != nil {
		return Contact{}, err
	}
	if out.Outcome != wasOutcome {
		if err := in.recountOutcome(ctx, tx, out, wasOutcome); err != nil {
			return Contact{}, err
		}
	}
	return out, nil
}

// recountOutcome moves contact c's count in the daily rollup from the outcome it had
// (was) to the one it has now: one row, two columns.
func (in *Intake) recountOutcome(ctx context.Context, tx *sqlx.Tx, c Contact, was Outcome) error {
	var t tally
	t.add(string(was), -1)
	t.add(string(c.Outcome), 1)
	return in.count(ctx, tx, rollupKeyOf(c), t)
}

// surveyTx offers an ended contact, whose case is in queue, to the survey scheduler.
func (in *Intake) surveyTx(ctx context.Context, tx *sqlx.Tx, actor Actor, c Contact, queue string, cust *customer.Customer) error {
	if in.surveys == nil || cust == nil {
		return nil
	}
	var phones []string
	for _, id := range cust.Identifiers {
		if id.Kind == identifier.Phone {
			phones = append(phones, id.Value)
		}
	}
	_, err := in.surveys.ScheduleTx(ctx, tx, actor, satisfaction.Candidate{ContactID: c.ID, CustomerID: cust.ID, CaseID: c.CaseID, Queue: queue,
		Channel: string(c.Channel), EndedAt: c.EndedAt, Consent: cust.Consents.SMSSurveys, Phones: phones, LGSL: c.Service.LGSL})
	return err
}

// resolveOpenedCase resolves, as a first-contact resolution, the case this contact
// opened when the contact's outcome says it was resolved there and then.
func (in *Intake) resolveOpenedCase(ctx context.Context, tx *sqlx.Tx, who casework.Caller, c Contact, code *string, now time.Time) error {
	if c.Outcome != ResolvedFirstContact || c.CaseID == "" {
		return nil
	}
	cs, err := in.cases.LoadTx(ctx, tx, c.CaseID)
	if err != nil {
		return err
	}
	if cs.OpenedByContactID != c.ID || cs.Status.Finished() {
		return nil
	}
	if err := casework.MayChange(who, cs); err != nil {
		return err
	}
	resolution := "resolved_at_first_contact"
	if code != nil {
		resolution = *code
	}
	_, err = in.cases.ResolveTx(ctx, tx, who.Actor, cs, resolution, "", true, now)
	return err
}

// Query filters a list of contacts.
type Query struct {
	CustomerID, CaseID string
	Channel            channel.Channel
	Limit              int
	After              string
}

// Page is one page of contacts.
type Page struct {
	Items      []Contact
	NextCursor string
}

// List returns contacts newest first (by id, which is time-ordered).
func (in *Intake) List(ctx context.Context, q Query) (Page, error) {
	where, args := []string{"1 = 1"}, []any{}
	if q.CustomerID != "" {
		where, args = append(where, "customer_id = ?"), append(args, q.CustomerID)
	}
	if q.CaseID != "" {
		where, args = append(where, "case_id = ?"), append(args, q.CaseID)
	}
	if q.Channel != "" {
		where, args = append(where, "channel = ?"), append(args, string(q.Channel))
	}
	if q.After != "" {
		keys, err := cursor.Decode(q.After, 1)
		if err != nil || uuid.Validate(keys[0]) != nil {
			return Page{}, fault.Field("cursor", "not a cursor this server gave out")
		}
		where, args = append(where, "id < ?"), append(args, keys[0])
	}
	args = append(args, q.Limit+1)
	var rows []contactRow
	query := `SELECT ` + contactColumns + ` FROM contacts WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC LIMIT ?`
	if err := in.db.SelectContext(ctx, &rows, in.db.Rebind(query), args...); err != nil {
		return Page{}, fmt.Errorf("list contacts: %w", store.MapError(err))
	}
	var page Page
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		page.NextCursor = cursor.Encode(rows[len(rows)-1].ID)
	}
	for _, r := range rows {
		c, err := r.toContact()
		if err != nil {
			return Page{}, err
		}
		page.Items = append(page.Items, c)
	}
	return page, nil
}

// MoveToSurvivor gives a merged-away customer's contacts to the survivor.
func (in *Intake) MoveToSurvivor(ctx context.Context, tx *sqlx.Tx, from, to string) ([]string, error) {
	return store.ReassignCustomer(ctx, tx, "contacts", from, to)
}

// ReturnTo gives contacts back to the customer an undone merge restores.
func (in *Intake) ReturnTo(ctx context.Context, tx *sqlx.Tx, ids []string, to string) error {
	return store.ReturnToCustomer(ctx, tx, "contacts", ids, to)
}
