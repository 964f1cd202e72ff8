// Package customer owns the one customer record: names, needs, consents and the
// identifiers every channel uses to find it; search, matching, merge and undo.
package customer

import (
	"time"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/timeline"
)

// Customer is one resident or business the council serves.
type Customer struct {
	ID          string
	GivenName   string
	FamilyName  string
	DateOfBirth string // YYYY-MM-DD, "" when unknown
	Address     Address
	Needs       Needs
	Consents    Consents
	Identifiers []Identifier
	MergedInto  string // set on a record merged into another
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Address is where the customer lives or wants letters sent.
type Address struct {
	Line1, Line2, Town, Postcode string
}

// IsZero reports whether no part of the address is known.
func (a Address) IsZero() bool { return a == Address{} }

// Needs are what the council must do differently for this customer.
type Needs struct {
	Vulnerable        bool
	AssistedDigital   bool
	PreferredLanguage string
	Accessibility     []string
}

// Consents are what the customer agreed to be contacted about.
type Consents struct {
	SMSSurveys bool
}

// Identifier is one normalised way of recognising the customer.
type Identifier struct {
	ID      string
	Kind    identifier.Kind
	Value   string
	AddedAt time.Time
}

// IdentifierInput is an identifier as a caller typed it.
type IdentifierInput struct {
	Kind  identifier.Kind
	Value string
}

// Service is the customer record's domain logic over the hub's database.
type Service struct {
	db         *store.DB
	rules      *identifier.Rules
	dependents map[string]Dependent
}

// NewService returns a Service that normalises identifiers with rules.
func NewService(db *store.DB, rules *identifier.Rules) *Service {
	return &Service{db: db, rules: rules}
}

// Actor is who is making a change (recorded on the timeline and merges).
type Actor = timeline.Actor

// The names of the events this package records (their types live in package event).
var (
	EventCreated           = event.CustomerCreated.Name
	EventUpdated           = event.CustomerUpdated.Name
	EventIdentifierAdded   = event.CustomerIdentifierAdded.Name
	EventIdentifierRemoved = event.CustomerIdentifierRemoved.Name
	EventMerged            = event.CustomerMerged.Name
	EventMergedInto        = event.CustomerMergedInto.Name
	EventUnmerged          = event.CustomerUnmerged.Name
	EventConsentChanged    = event.CustomerConsentChanged.Name
)
