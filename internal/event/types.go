package event

import (
	"slices"
	"time"
)

// The hub's event types. A payload's JSON is its schema in openapi.yaml; keep the two in
// step (TestTypes_PayloadsMatchTheirSchemas) and raise Version when a receiver would see
// the change.
var (
	CustomerCreated           = register(Type{Name: "customer.created", Version: 1, Schema: "CustomerCreatedEvent", About: "a customer record was created"})
	CustomerUpdated           = register(Type{Name: "customer.updated", Version: 1, Schema: "CustomerUpdatedEvent", About: "fields of a customer record changed"})
	CustomerIdentifierAdded   = register(Type{Name: "customer.identifier_added", Version: 1, Schema: "CustomerIdentifierEvent", About: "an identifier was added to a customer"})
	CustomerIdentifierRemoved = register(Type{Name: "customer.identifier_removed", Version: 1, Schema: "CustomerIdentifierEvent", About: "an identifier was removed from a customer"})
	CustomerMerged            = register(Type{Name: "customer.merged", Version: 1, Schema: "CustomerMergedEvent", About: "a duplicate record was merged into this one"})
	CustomerMergedInto        = register(Type{Name: "customer.merged_into", Version: 1, Schema: "CustomerMergedIntoEvent", About: "this record was merged into another"})
	CustomerUnmerged          = register(Type{Name: "customer.unmerged", Version: 1, Schema: "CustomerUnmergedEvent", About: "a merge was undone"})
	CustomerConsentChanged    = register(Type{Name: "customer.consent_changed", Version: 1, Schema: "CustomerConsentChangedEvent", About: "a customer gave or withdrew a consent"})
	// Privacy (issue 14).
	CustomerErased = register(Type{Name: "customer.erased", Version: 1, Schema: "CustomerErasedEvent", About: "a person was anonymised (UK GDPR article 17): erase them in your systems too"})

	ContactRecorded = register(Type{Name: "contact.recorded", Version: 1, Schema: "ContactRecordedEvent", About: "a contact arrived on a channel"})
	ContactUpdated  = register(Type{Name: "contact.updated", Version: 1, Schema: "ContactUpdatedEvent", About: "a contact ended or its outcome changed"})

	CaseOpened        = register(Type{Name: "case.opened", Version: 1, Schema: "CaseOpenedEvent", About: "a case was opened and routed"})
	CaseContactLinked = register(Type{Name: "case.contact_linked", Version: 1, Schema: "CaseContactLinkedEvent", About: "a contact joined an open case"})
	CaseUpdated       = register(Type{Name: "case.updated", Version: 1, Schema: "CaseUpdatedEvent", About: "fields of a case changed"})
	CaseStatusChanged = register(Type{Name: "case.status_changed", Version: 1, Schema: "CaseStatusChangedEvent", About: "a case moved to another status"})
	CaseAssigned      = register(Type{Name: "case.assigned", Version: 1, Schema: "CaseAssignedEvent", About: "a case changed hands"})
	CaseNote          = register(Type{Name: "case.note", Version: 1, Schema: "CaseNoteEvent", About: "a note was added to a case (internal, or for the resident)"})
	CaseResolved      = register(Type{Name: "case.resolved", Version: 1, Schema: "CaseResolvedEvent", About: "a case was resolved"})
	CaseReopened      = register(Type{Name: "case.reopened", Version: 1, Schema: "CaseReopenedEvent", About: "a resolved case was reopened"})
	CaseHandedOff     = register(Type{Name: "case.handed_off", Version: 1, Schema: "CaseHandedOffEvent", About: "a case moved to another queue or tier, with a reason"})
	CaseClaimed       = register(Type{Name: "case.claimed", Version: 1, Schema: "CaseClaimedEvent", About: "an agent took a case from a queue"})
	CaseReleased      = register(Type{Name: "case.released", Version: 1, Schema: "CaseReleasedEvent", About: "an agent gave a case back to its queue"})

	ReferralMade    = register(Type{Name: "referral.made", Version: 1, Schema: "ReferralEvent", About: "a case was referred to a partner body"})
	ReferralUpdated = register(Type{Name: "referral.updated", Version: 1, Schema: "ReferralEvent", About: "a referral's status changed"})

	RatingRecorded  = register(Type{Name: "rating.recorded", Version: 1, Schema: "RatingRecordedEvent", About: "a satisfaction rating was given"})
	SurveyScheduled = register(Type{Name: "survey.scheduled", Version: 1, Schema: "SurveyScheduledEvent", About: "an SMS survey will be sent after a contact"})
	SurveySkipped   = register(Type{Name: "survey.skipped", Version: 1, Schema: "SurveySkippedEvent", About: "no SMS survey will be sent after a contact, and why"})
	SurveySent      = register(Type{Name: "survey.sent", Version: 1, Schema: "SurveySentEvent", About: "an SMS survey went to the provider"})

	LandlordCreated    = register(Type{Name: "landlord.created", Version: 1, Schema: "LandlordCreatedEvent", About: "a landlord organisation was registered"})
	PropertyAdded      = register(Type{Name: "landlord.property_added", Version: 1, Schema: "PropertyAddedEvent", About: "a property (UPRN) was added to a landlord"})
	TenancyAdded       = register(Type{Name: "landlord.tenancy_added", Version: 1, Schema: "TenancyAddedEvent", About: "a tenancy of a landlord's property was recorded"})
	InvitationCreated  = register(Type{Name: "landlord.invitation_created", Version: 1, Schema: "InvitationEvent", About: "a landlord user was invited to the portal"})
	InvitationAccepted = register(Type{Name: "landlord.invitation_accepted", Version: 1, Schema: "InvitationEvent", About: "a landlord user accepted an invitation"})

	RulesPublished          = register(Type{Name: "routing.rules_published", Version: 1, Schema: "RulesPublishedEvent", About: "a new rule set version was published (activated or not)", OutboxOnly: true})
	WebhookEndpointDisabled = register(Type{Name: "webhook.endpoint_disabled", Version: 1, Schema: "WebhookEndpointDisabledEvent", About: "the hub disabled a webhook subscription whose endpoint kept failing", OutboxOnly: true})
	RulesActivated          = register(Type{Name: "routing.rules_activated", Version: 1, Schema: "RulesActivatedEvent", About: "a rule set version became the one routing uses", OutboxOnly: true})

	// Compliance (issue 17).
	QAPlanPublished  = register(Type{Name: "qa.plan_published", Version: 1, Schema: "QAPlanPublishedEvent", About: "a new version of the QA sampling plan was published", OutboxOnly: true})
	QASampleDrawn    = register(Type{Name: "qa.sample_drawn", Version: 1, Schema: "QASampleDrawnEvent", About: "a QA sampling run picked resolved cases for review", OutboxOnly: true})
	QAReviewRecorded = register(Type{Name: "qa.review_recorded", Version: 1, Schema: "QAReviewRecordedEvent", About: "a sampled case was reviewed by the compliance team (staff only)"})
	// Workforce (issue 16).
	CalendarEntryAdded   = register(Type{Name: "workforce.calendar_entry_added", Version: 1, Schema: "CalendarEntryEvent", About: "a supervisor marked days that change demand for the forecast", OutboxOnly: true})
	CalendarEntryRemoved = register(Type{Name: "workforce.calendar_entry_removed", Version: 1, Schema: "CalendarEntryEvent", About: "a forecast calendar entry was removed", OutboxOnly: true})
)

// catalogue is every type, in the order declared above: each is registered once, where
// it is declared, so none can be left out of the catalogue.
var catalogue []Type

func register(t Type) Type {
	catalogue = append(catalogue, t)
	return t
}

// Types is the catalogue: every event type the hub records.
func Types() []Type { return slices.Clone(catalogue) }

// Known reports whether name is the name of an event type.
func Known(name string) bool {
	return slices.ContainsFunc(catalogue, func(t Type) bool { return t.Name == name })
}

// Customers.

type CustomerCreatedData struct {
	IdentifierKinds []string `json:"identifierKinds"`
}

func (CustomerCreatedData) EventType() Type { return CustomerCreated }

type CustomerUpdatedData struct {
	Fields []string `json:"fields"`
}

func (CustomerUpdatedData) EventType() Type { return CustomerUpdated }

type CustomerIdentifierData struct {
	IdentifierID string `json:"identifierId"`
	Kind         string `json:"kind"`
	Removed      bool   `json:"-"`
}

func (d CustomerIdentifierData) EventType() Type {
	if d.Removed {
		return CustomerIdentifierRemoved
	}
	return CustomerIdentifierAdded
}

type CustomerMergedData struct {
	MergeID     string              `json:"mergeId"`
	DuplicateID string              `json:"duplicateId"`
	Filled      []string            `json:"filled"`
	Moved       map[string][]string `json:"moved"`
}

func (CustomerMergedData) EventType() Type { return CustomerMerged }

type CustomerMergedIntoData struct {
	MergeID    string `json:"mergeId"`
	SurvivorID string `json:"survivorId"`
}

func (CustomerMergedIntoData) EventType() Type { return CustomerMergedInto }

type CustomerUnmergedData struct {
	MergeID     string `json:"mergeId"`
	SurvivorID  string `json:"survivorId"`
	DuplicateID string `json:"duplicateId"`
}

func (CustomerUnmergedData) EventType() Type { return CustomerUnmerged }

type CustomerConsentChangedData struct {
	Consent string `json:"consent"` // ConsentSMSSurveys
	Given   bool   `json:"given"`
	// Via: how the customer said so (ViaSMSReply for a STOP, ViaMyAccount, ViaAgent,
	// ViaIntegration).
	Via string `json:"via"`
}

func (CustomerConsentChangedData) EventType() Type { return CustomerConsentChanged }

// CustomerErasedData names the records and cases of an erased person: ids only, never
// what was erased nor the stated reason (which stays in the audit), so the event keeps
// no personal data.
type CustomerErasedData struct {
	Records  []string `json:"records"`  // every record of the person (merged ones included)
	Cases    []string `json:"cases"`    // their cases, anonymised but kept for the figures
	Override bool     `json:"override"` // a legal hold was overridden
}

func (CustomerErasedData) EventType() Type { return CustomerErased }

// The consents a customer gives or withdraws (CustomerConsentChangedData.Consent).
const ConsentSMSSurveys = "smsSurveys"

// How a customer gave or withdrew a consent (CustomerConsentChangedData.Via).
const (
	ViaSMSReply    = "sms_reply"   // they replied STOP to one of our texts
	ViaMyAccount   = "my_account"  // they changed it themselves, signed in to My Account
	ViaAgent       = "agent"       // they told the council, and staff recorded it
	ViaIntegration = "integration" // another council system passed it on
)

// Contacts.

type ContactRecordedData struct {
	ContactID string `json:"contactId"`
	Channel   string `json:"channel"`
	Service   int    `json:"service"`
	Outcome   string `json:"outcome"`
	Avoidable string `json:"avoidable,omitempty"`
	Centre    string `json:"centre,omitempty"`
}

func (ContactRecordedData) EventType() Type { return ContactRecorded }

type ContactUpdatedData struct {
	ContactID string   `json:"contactId"`
	Fields    []string `json:"fields"`
	Outcome   string   `json:"outcome"`
}

func (ContactUpdatedData) EventType() Type { return ContactUpdated }

// Cases.

type CaseOpenedData struct {
	Service        int       `json:"service"`
	Channel        string    `json:"channel"`
	Tier           int       `json:"tier"`
	Queue          string    `json:"queue"`
	Priority       int       `json:"priority"`
	SLADueAt       time.Time `json:"slaDueAt"`
	RulesetVersion int       `json:"rulesetVersion,omitempty"`
	Rule           string    `json:"rule,omitempty"`
	Why            string    `json:"why,omitempty"`
}

func (CaseOpenedData) EventType() Type { return CaseOpened }

type CaseContactLinkedData struct {
	ContactID string `json:"contactId"`
	Channel   string `json:"channel"`
}

func (CaseContactLinkedData) EventType() Type { return CaseContactLinked }

type CaseUpdatedData struct {
	Fields []string `json:"fields"`
}

func (CaseUpdatedData) EventType() Type { return CaseUpdated }

type CaseStatusChangedData struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func (CaseStatusChangedData) EventType() Type { return CaseStatusChanged }

type CaseAssignedData struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func (CaseAssignedData) EventType() Type { return CaseAssigned }

type CaseNoteData struct {
	Text     string `json:"text"`
	Internal bool   `json:"internal"`
}

func (CaseNoteData) EventType() Type { return CaseNote }

type CaseResolvedData struct {
	ResolutionCode string `json:"resolutionCode"`
	FirstContact   bool   `json:"firstContact"`
	Note           string `json:"note,omitempty"`
}

func (CaseResolvedData) EventType() Type { return CaseResolved }

type CaseReopenedData struct {
	Reason string `json:"reason"`
}

func (CaseReopenedData) EventType() Type { return CaseReopened }

type CaseHandedOffData struct {
	HandoffID string `json:"handoffId"`
	FromTier  int    `json:"fromTier"`
	ToTier    int    `json:"toTier"`
	FromQueue string `json:"fromQueue"`
	ToQueue   string `json:"toQueue"`
	Reason    string `json:"reason"`
	Note      string `json:"note,omitempty"`
}

func (CaseHandedOffData) EventType() Type { return CaseHandedOff }

type CaseClaimedData struct {
	Queue    string `json:"queue"`
	Assignee string `json:"assignee"`
}

func (CaseClaimedData) EventType() Type { return CaseClaimed }

type CaseReleasedData struct {
	Queue string `json:"queue"`
	From  string `json:"from"`
}

func (CaseReleasedData) EventType() Type { return CaseReleased }

// Referrals.

type ReferralData struct {
	ReferralID string `json:"referralId"`
	Partner    string `json:"partner"`
	Status     string `json:"status"`
	From       string `json:"from,omitempty"`   // the status before an update
	Reason     string `json:"reason,omitempty"` // why the case was referred (on referral.made)
	Note       string `json:"note,omitempty"`
	Made       bool   `json:"-"`
}

func (d ReferralData) EventType() Type {
	if d.Made {
		return ReferralMade
	}
	return ReferralUpdated
}

// Satisfaction.

type RatingRecordedData struct {
	RatingID  string `json:"ratingId"`
	Source    string `json:"source"`
	Score     *int   `json:"score,omitempty"`
	Useful    *bool  `json:"useful,omitempty"`
	Comment   string `json:"comment,omitempty"`
	ContactID string `json:"contactId,omitempty"`
	Channel   string `json:"channel,omitempty"`
	Tier      int    `json:"tier,omitempty"`
	Centre    string `json:"centre,omitempty"`
	Agent     string `json:"agent,omitempty"`
	PageURL   string `json:"pageUrl,omitempty"`
}

func (RatingRecordedData) EventType() Type { return RatingRecorded }

type SurveyScheduledData struct {
	ContactID string    `json:"contactId"`
	SendAfter time.Time `json:"sendAfter"`
}

func (SurveyScheduledData) EventType() Type { return SurveyScheduled }

type SurveySkippedData struct {
	ContactID string `json:"contactId"`
	Reason    string `json:"reason"`
}

func (SurveySkippedData) EventType() Type { return SurveySkipped }

type SurveySentData struct {
	SurveyID  string `json:"surveyId"`
	ContactID string `json:"contactId"`
	Provider  string `json:"provider"`
}

func (SurveySentData) EventType() Type { return SurveySent }

// Landlords.

type LandlordCreatedData struct {
	LandlordID string `json:"landlordId"`
	Name       string `json:"name"`
}

func (LandlordCreatedData) EventType() Type { return LandlordCreated }

type PropertyAddedData struct {
	LandlordID string `json:"landlordId"`
	PropertyID string `json:"propertyId"`
	UPRN       string `json:"uprn"`
}

func (PropertyAddedData) EventType() Type { return PropertyAdded }

type TenancyAddedData struct {
	LandlordID string `json:"landlordId"`
	PropertyID string `json:"propertyId"`
	TenancyID  string `json:"tenancyId"`
	StartsOn   string `json:"startsOn"`
	EndsOn     string `json:"endsOn,omitempty"`
}

func (TenancyAddedData) EventType() Type { return TenancyAdded }

type InvitationData struct {
	LandlordID   string `json:"landlordId"`
	InvitationID string `json:"invitationId"`
	// UserSubject is the accepting user's token subject (on acceptance).
	UserSubject string `json:"userSubject,omitempty"`
	Accepted    bool   `json:"-"`
}

func (d InvitationData) EventType() Type {
	if d.Accepted {
		return InvitationAccepted
	}
	return InvitationCreated
}

// Routing.

type RulesPublishedData struct {
	Version int `json:"version"`
}

func (RulesPublishedData) EventType() Type { return RulesPublished }

type RulesActivatedData struct {
	Version int `json:"version"`
}

func (RulesActivatedData) EventType() Type { return RulesActivated }

// Webhooks.

// WebhookEndpointDisabledData: a subscription's endpoint failed for too long and the hub
// stopped delivering to it (never its URL, which may carry a receiver's token, nor its secret).
type WebhookEndpointDisabledData struct {
	SubscriptionID string    `json:"subscriptionId"`
	Owner          string    `json:"owner"`
	Reason         string    `json:"reason"`
	FailingSince   time.Time `json:"failingSince"`
}

func (WebhookEndpointDisabledData) EventType() Type { return WebhookEndpointDisabled }

// Compliance (issue 17).

type QAPlanPublishedData struct {
	Version int `json:"version"`
}

func (QAPlanPublishedData) EventType() Type { return QAPlanPublished }

type QASampleDrawnData struct {
	RunID       string    `json:"runId"`
	PlanVersion int       `json:"planVersion"`
	Seed        int64     `json:"seed"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Considered  int       `json:"considered"`
	Sampled     int       `json:"sampled"`
}

func (QASampleDrawnData) EventType() Type { return QASampleDrawn }

type QAReviewRecordedData struct {
	ReviewID             string   `json:"reviewId"`
	Outcome              string   `json:"outcome"`
	Officer              string   `json:"officer"`
	ErrorCategories      []string `json:"errorCategories,omitempty"`
	FinancialImpactPence *int     `json:"financialImpactPence,omitempty"`
	Reopened             bool     `json:"reopened,omitempty"`
}

func (QAReviewRecordedData) EventType() Type { return QAReviewRecorded }

// Workforce (issue 16).

// CalendarEntryData: days a supervisor expects to change demand, with the uplift.
type CalendarEntryData struct {
	EntryID string  `json:"entryId"`
	Name    string  `json:"name"`
	Channel string  `json:"channel,omitempty"`
	From    string  `json:"from"`
	To      string  `json:"to"`
	Uplift  float64 `json:"uplift"`
}

func (CalendarEntryData) EventType() Type { return CalendarEntryAdded }

// CalendarEntryRemovedData is the entry as it was when removed.
type CalendarEntryRemovedData CalendarEntryData

func (CalendarEntryRemovedData) EventType() Type { return CalendarEntryRemoved }
