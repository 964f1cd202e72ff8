package event_test

import (
	"encoding/json"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/event"
)

// examples holds one payload per event type, every field set, keyed by type name. A type
// of the catalogue without an example fails TestTypes_PayloadsMatchTheirSchemas: add
// one here when adding a type.
var examples = func() map[string]event.Payload {
	at := time.Date(2026, 11, 30, 9, 15, 0, 123000, time.UTC)
	score, useful := 4, true
	const id1, id2, id3 = "0193a6f0-0000-7000-8000-000000000001", "0193a6f0-0000-7000-8000-000000000002", "0193a6f0-0000-7000-8000-000000000003"
	return map[string]event.Payload{
		"customer.created":            event.CustomerCreatedData{IdentifierKinds: []string{"phone", "email"}},
		"customer.updated":            event.CustomerUpdatedData{Fields: []string{"givenName", "address"}},
		"customer.identifier_added":   event.CustomerIdentifierData{IdentifierID: id1, Kind: "phone"},
		"customer.identifier_removed": event.CustomerIdentifierData{IdentifierID: id1, Kind: "email", Removed: true},
		"customer.merged": event.CustomerMergedData{MergeID: id1, DuplicateID: id2, Filled: []string{"dateOfBirth"},
			Moved: map[string][]string{"contacts": {id3}, "cases": {}}},
		"customer.merged_into":     event.CustomerMergedIntoData{MergeID: id1, SurvivorID: id2},
		"customer.unmerged":        event.CustomerUnmergedData{MergeID: id1, SurvivorID: id2, DuplicateID: id3},
		"customer.consent_changed": event.CustomerConsentChangedData{Consent: "smsSurveys", Given: false, Via: "sms_reply"},
		"customer.erased":          event.CustomerErasedData{Records: []string{id1, id2}, Cases: []string{id3}, Override: false},
		"contact.recorded": event.ContactRecordedData{ContactID: id1, Channel: "face_to_face", Service: 58, Outcome: "in_progress",
			Avoidable: "repeat", Centre: "civic-centre"},
		"contact.updated": event.ContactUpdatedData{ContactID: id1, Fields: []string{"endedAt"}, Outcome: "resolved_first_contact"},
		"case.opened": event.CaseOpenedData{Service: 58, Channel: "phone", Tier: 1, Queue: "advisors", Priority: 3, SLADueAt: at,
			RulesetVersion: 2, Rule: "council-tax-first-point", Why: "rule council-tax-first-point matched"},
		"case.contact_linked": event.CaseContactLinkedData{ContactID: id1, Channel: "web_self_service"},
		"case.updated":        event.CaseUpdatedData{Fields: []string{"priority"}},
		"case.status_changed": event.CaseStatusChangedData{From: "open", To: "awaiting_customer"},
		"case.assigned":       event.CaseAssignedData{From: "", To: "agent-alice"},
		"case.note":           event.CaseNoteData{Text: "Please send your tenancy agreement.", Internal: false},
		"case.resolved":       event.CaseResolvedData{ResolutionCode: "advice_given", FirstContact: true, Note: "explained the bill"},
		"case.reopened":       event.CaseReopenedData{Reason: "not resolved after all"},
		"case.handed_off": event.CaseHandedOffData{HandoffID: id1, FromTier: 1, ToTier: 2, FromQueue: "advisors", ToQueue: "blt-officers",
			Reason: "complexity", Note: "needs a specialist"},
		"case.claimed":     event.CaseClaimedData{Queue: "advisors", Assignee: "agent-alice"},
		"case.released":    event.CaseReleasedData{Queue: "advisors", From: "agent-alice"},
		"referral.made":    event.ReferralData{ReferralID: id1, Partner: "citizens-advice", Status: "sent", Note: "debt advice", Made: true},
		"referral.updated": event.ReferralData{ReferralID: id1, Partner: "citizens-advice", Status: "accepted", From: "sent", Note: "taken on"},
		"rating.recorded": event.RatingRecordedData{RatingID: id1, Source: "web_page", Score: &score, Useful: &useful, Comment: "clear",
			ContactID: id2, Channel: "phone", Tier: 1, Centre: "civic-centre", Agent: "agent-alice", PageURL: "https://www.council.example/council-tax"},
		"survey.scheduled":             event.SurveyScheduledData{ContactID: id1, SendAfter: at},
		"survey.skipped":               event.SurveySkippedData{ContactID: id1, Reason: "no_consent"},
		"survey.sent":                  event.SurveySentData{SurveyID: id1, ContactID: id2, Provider: "notify"},
		"landlord.created":             event.LandlordCreatedData{LandlordID: id1, Name: "Northside Lettings"},
		"landlord.property_added":      event.PropertyAddedData{LandlordID: id1, PropertyID: id2, UPRN: "100023336956"},
		"landlord.tenancy_added":       event.TenancyAddedData{LandlordID: id1, PropertyID: id2, TenancyID: id3, StartsOn: "2026-01-01", EndsOn: "2027-01-01"},
		"landlord.invitation_created":  event.InvitationData{LandlordID: id1, InvitationID: id2},
		"landlord.invitation_accepted": event.InvitationData{LandlordID: id1, InvitationID: id2, UserSubject: "landlord-user-a", Accepted: true},
		"routing.rules_published":      event.RulesPublishedData{Version: 3},
		"routing.rules_activated":      event.RulesActivatedData{Version: 3},
		"webhook.endpoint_disabled":    event.WebhookEndpointDisabledData{SubscriptionID: id1, Owner: "integration-crm", Reason: "failing", FailingSince: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)},
		// Compliance (issue 17).
		"qa.plan_published": event.QAPlanPublishedData{Version: 2},
		"qa.sample_drawn": event.QASampleDrawnData{RunID: id1, PlanVersion: 2, Seed: 42, From: at.Add(-24 * time.Hour), To: at,
			Considered: 120, Sampled: 7},
		"qa.review_recorded": event.QAReviewRecordedData{ReviewID: id1, Outcome: "fail", Officer: "officer-a",
			ErrorCategories: []string{"wrong_amount"}, FinancialImpactPence: &score, Reopened: true},
		// Workforce (issue 16).
		"workforce.calendar_entry_added":   event.CalendarEntryData{EntryID: id1, Name: "Annual billing", Channel: "phone", From: "2027-03-01", To: "2027-03-19", Uplift: 0.6},
		"workforce.calendar_entry_removed": event.CalendarEntryRemovedData{EntryID: id1, Name: "Letter run", Channel: "phone", From: "2027-01-11", To: "2027-01-12", Uplift: 0.3},
	}
}()

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := api.LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func schemaOf(t *testing.T, doc *openapi3.T, name string) *openapi3.Schema {
	t.Helper()
	ref, ok := doc.Components.Schemas[name]
	if !ok || ref.Value == nil {
		t.Fatalf("openapi.yaml has no schema %s", name)
	}
	return ref.Value
}

// validate checks v's JSON against schema, formats included.
func validate(schema *openapi3.Schema, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var decoded any
	if err := json.Unmarshal(raw, &decoded); err != nil {
		return err
	}
	return schema.VisitJSON(decoded, openapi3.EnableFormatValidation(), openapi3.MultiErrors())
}

// notPayloads are schemas named *Event that are not event payloads: a timeline entry as
// staff and residents read it, and a call event the IVR posts.
var notPayloads = map[string]bool{"TimelineEvent": true, "CitizenEvent": true, "IVREvent": true}

var typeName = regexp.MustCompile(`^[a-z]+\.[a-z_]+$`)

func TestTypes_NamesAreUniqueAndVersioned(t *testing.T) {
	seen := map[string]bool{}
	for _, ty := range event.Types() {
		if seen[ty.Name] {
			t.Errorf("two types are named %s", ty.Name)
		}
		seen[ty.Name] = true
		if !typeName.MatchString(ty.Name) {
			t.Errorf("%s: a name is <subject>.<what_happened> in lower case", ty.Name)
		}
		if ty.Version < 1 {
			t.Errorf("%s: version %d, want 1 or more", ty.Name, ty.Version)
		}
		if ty.Schema == "" || !strings.HasSuffix(ty.Schema, "Event") {
			t.Errorf("%s: schema %q, want a name ending in Event", ty.Name, ty.Schema)
		}
		if strings.TrimSpace(ty.About) == "" {
			t.Errorf("%s: says nothing about itself", ty.Name)
		}
	}
}

// TestTypes_PayloadsMatchTheirSchemas keeps types.go and openapi.yaml in step: every
// type's schema exists; its example payload belongs to it and validates against it; the
// payload struct's JSON members are the schema's properties, and its required ones are
// those without omitempty; and every *Event schema of the spec belongs to some type.
func TestTypes_PayloadsMatchTheirSchemas(t *testing.T) {
	doc := loadSpec(t)
	used := map[string]bool{}
	for _, ty := range event.Types() {
		t.Run(ty.Name, func(t *testing.T) {
			used[ty.Schema] = true
			schema := schemaOf(t, doc, ty.Schema)
			p, ok := examples[ty.Name]
			if !ok {
				t.Fatalf("no example payload: add one to examples")
			}
			if got := p.EventType(); got != ty {
				t.Fatalf("the example is a payload of %s, not %s", got.Name, ty.Name)
			}
			if err := validate(schema, p); err != nil {
				t.Errorf("the example breaks %s: %v", ty.Schema, err)
			}
			sameMembers(t, reflect.TypeOf(p), schema)
		})
	}
	for name := range examples {
		if !slices.ContainsFunc(event.Types(), func(ty event.Type) bool { return ty.Name == name }) {
			t.Errorf("examples has %s, which is not a type of the catalogue", name)
		}
	}
	for name := range doc.Components.Schemas {
		if strings.HasSuffix(name, "Event") && !used[name] && !notPayloads[name] {
			t.Errorf("openapi.yaml has schema %s, which no event type names", name)
		}
	}
}

// TestMessage_MatchesEventMessage: the envelope every receiver gets is EventMessage, its
// data any payload of the catalogue.
func TestMessage_MatchesEventMessage(t *testing.T) {
	doc := loadSpec(t)
	schema := schemaOf(t, doc, "EventMessage")
	sameMembers(t, reflect.TypeOf(event.Message{}), schema)
	for _, ty := range event.Types() {
		data, err := json.Marshal(examples[ty.Name])
		if err != nil {
			t.Fatal(err)
		}
		m := event.Message{ID: "0193a6f0-0000-7000-8000-00000000000a", Type: ty.Name, Version: ty.Version,
			OccurredAt: time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC), CustomerID: "0193a6f0-0000-7000-8000-00000000000b",
			CaseID: "0193a6f0-0000-7000-8000-00000000000c", Service: 58, Queue: "advisors",
			Actor: event.Actor{Subject: "agent-alice", Role: "agent"}, Data: data}
		if err := validate(schema, m); err != nil {
			t.Errorf("a %s message breaks EventMessage: %v", ty.Name, err)
		}
	}
	if err := validate(schema, event.Message{ID: "0193a6f0-0000-7000-8000-00000000000a", Type: "case.note", Version: 1,
		OccurredAt: time.Now().UTC(), Actor: event.System, Data: json.RawMessage(`{"unknown":1}`)}); err == nil {
		t.Errorf("EventMessage takes a data that is no payload of the catalogue")
	}
}

// sameMembers fails unless struct typ's JSON members are schema's properties and its
// members without omitempty are exactly schema's required ones.
func sameMembers(t *testing.T, typ reflect.Type, schema *openapi3.Schema) {
	t.Helper()
	var members, required []string
	for f := range typ.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		members = append(members, name)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
	}
	slices.Sort(members)
	slices.Sort(required)
	props := slices.Sorted(maps.Keys(schema.Properties))
	want := slices.Clone(schema.Required)
	slices.Sort(want)
	if !slices.Equal(members, props) {
		t.Errorf("%s has JSON members %v; its schema has properties %v", typ, members, props)
	}
	if !slices.Equal(required, want) {
		t.Errorf("%s always sends %v; its schema requires %v", typ, required, want)
	}
	if schema.AdditionalProperties.Has == nil || *schema.AdditionalProperties.Has {
		t.Errorf("%s: its schema must say additionalProperties: false", typ)
	}
}

func TestKnown_NamesTheCatalogueAndNothingElse(t *testing.T) {
	for _, ty := range event.Types() {
		if !event.Known(ty.Name) {
			t.Errorf("%s is in the catalogue but not known", ty.Name)
		}
	}
	for _, name := range []string{"", "*", "case", "case.resolvedx", "routing.activated"} {
		if event.Known(name) {
			t.Errorf("%q is known", name)
		}
	}
}
