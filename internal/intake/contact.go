// Package intake is the hub's front door: a contact arrives on any channel, its customer
// is found (or created, or left unlinked with candidates when it is not certain who it
// is), it opens or joins a case, and it is recorded with its outcome and whether it was
// avoidable — all in one transaction.
package intake

import (
	"time"

	"github.com/council/contacthub/internal/casework"
	"github.com/council/contacthub/internal/channel"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/event"
)

// Outcome is how a contact ended.
type Outcome string

const (
	InProgress           Outcome = "in_progress"
	ResolvedFirstContact Outcome = "resolved_first_contact"
	SelfServed           Outcome = "self_served"
	HandedOff            Outcome = "handed_off"
	Referred             Outcome = "referred"
	Abandoned            Outcome = "abandoned"
)

// Avoidable-contact reasons.
const (
	Repeat          = "repeat"
	ProgressChasing = "progress_chasing"
	ChasingResponse = "chasing_response"
	// PastSLA is a contact about a case already past its service level that did not
	// say it chases a reply: the council's lateness made it, whatever it asks.
	PastSLA     = "past_sla"
	Misdirected = "misdirected"
)

// OnBehalfOf is a landlord or agent acting for a tenant or property.
type OnBehalfOf struct {
	LandlordID       string `json:"landlordId,omitempty"`
	UPRN             string `json:"uprn,omitempty"`
	TenantCustomerID string `json:"tenantCustomerId,omitempty"`
}

// IsZero reports whether nobody acted on anyone's behalf.
func (o OnBehalfOf) IsZero() bool { return o == OnBehalfOf{} }

// Contact is one interaction on one channel.
type Contact struct {
	ID              string
	CustomerID      string
	CaseID          string
	Channel         channel.Channel
	Direction       string
	StartedAt       time.Time
	EndedAt         time.Time
	Service         casework.Service
	Intent          string
	Summary         string
	Centre          string
	AssistedDigital bool
	OnBehalfOf      OnBehalfOf
	Agent           string
	ExternalID      string
	Outcome         Outcome
	AvoidableReason string // "" when the contact was not avoidable
	// Identifiers as given, normalised: an unknown caller's number waits here until
	// someone identifies them.
	Identifiers []customer.IdentifierInput
	// Routed is where the router sent the contact's case (zero when it has none).
	Routed    Routed
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Routed is the router's decision for a contact.
type Routed struct {
	RulesetVersion int
	Rule           string
	Tier           int
	Queue          string
}

// The names of the events this package records (their types live in package event).
var (
	EventRecorded = event.ContactRecorded.Name
	EventUpdated  = event.ContactUpdated.Name
)
