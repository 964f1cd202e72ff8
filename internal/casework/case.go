// Package casework owns cases — one customer need each, holding many contacts — their
// status, tier, queue, owner, priority and service level, and the events that tell
// their story on the timeline.
package casework

import (
	"time"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Status is where a case stands.
type Status string

const (
	Open               Status = "open"
	AwaitingCustomer   Status = "awaiting_customer"
	AwaitingBackOffice Status = "awaiting_back_office"
	Resolved           Status = "resolved"
	Closed             Status = "closed"
)

// Finished reports whether the case needs no more work.
func (s Status) Finished() bool { return s == Resolved || s == Closed }

// moves lists where each status may go. Resolving and reopening have their own
// operations; closing a case is only possible once it is resolved.
var moves = map[Status][]Status{
	Open:               {AwaitingCustomer, AwaitingBackOffice, Resolved},
	AwaitingCustomer:   {Open, AwaitingBackOffice, Resolved},
	AwaitingBackOffice: {Open, AwaitingCustomer, Resolved},
	Resolved:           {Closed, Open},
	Closed:             {},
}

// CanMove reports whether a case may go from one status to another.
func CanMove(from, to Status) bool {
	for _, s := range moves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Service is what a case or contact is about: an LGSL code and the council's category.
type Service struct {
	LGSL     int
	Category string
}

// Case is one customer need.
type Case struct {
	ID                     string
	CustomerID             string
	Service                Service
	Status                 Status
	Tier                   int
	Queue                  string
	Assignee               string
	Priority               int
	SLADueAt               time.Time
	Channel                string
	OpenedByContactID      string
	ResolvedAtFirstContact bool
	ResolutionCode         string
	ResolvedAt             time.Time
	Summary                string
	ContactCount           int
	LastContactAt          time.Time
	Routing                Routing
	ClaimedAt              time.Time
	HandoffCount           int
	LandlordID             string // raised it through the landlord portal; "" for the customer's own; never changes
	Version                int
	CreatedAt              time.Time
	UpdatedAt              time.Time
}

// Routing is how the router placed the case: which rule set version and rule, why,
// and the skills its queue needs.
type Routing struct {
	RulesetVersion int
	Rule           string
	Summary        string
	Skills         []string
}

// Overdue reports whether an unfinished case is past its service level at t.
func (c Case) Overdue(t time.Time) bool { return !c.Status.Finished() && t.After(c.SLADueAt) }

// Actor is who changes a case.
type Actor = timeline.Actor

// The names of the events this package records (their types live in package event).
var (
	EventOpened        = event.CaseOpened.Name
	EventContactLinked = event.CaseContactLinked.Name
	EventUpdated       = event.CaseUpdated.Name
	EventStatusChanged = event.CaseStatusChanged.Name
	EventAssigned      = event.CaseAssigned.Name
	EventNote          = event.CaseNote.Name
	EventResolved      = event.CaseResolved.Name
	EventReopened      = event.CaseReopened.Name
	EventHandedOff     = event.CaseHandedOff.Name
	EventClaimed       = event.CaseClaimed.Name
	EventReleased      = event.CaseReleased.Name
)

// Defaults of a new case until the router (a later step) decides otherwise.
const (
	DefaultTier     = 1
	DefaultQueue    = "general"
	DefaultPriority = 3
)

// Cases is the casework domain logic over the hub's database.
type Cases struct {
	db        *store.DB
	catalogue *catalogue.Catalogue
	queues    QueueBook
}

// QueueBook says which queues exist and at which tier (the active routing rules).
type QueueBook interface {
	QueueTier(name string) (tier int, ok bool)
	QueueNames() []string
}

// New returns the case service.
func New(db *store.DB, cat *catalogue.Catalogue, queues QueueBook) *Cases {
	return &Cases{db: db, catalogue: cat, queues: queues}
}
