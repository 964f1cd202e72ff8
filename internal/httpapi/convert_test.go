package httpapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/council/contacthub/api"
	"github.com/council/contacthub/internal/customer"
	"github.com/council/contacthub/internal/identifier"
	"github.com/council/contacthub/internal/timeline"
)

func TestToCustomer_CarriesEveryField(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 123000, time.UTC)
	id, idID, into := uuid.New(), uuid.New(), uuid.New()
	in := customer.Customer{
		ID: id.String(), GivenName: "Amara", FamilyName: "Okafor", DateOfBirth: "1984-03-12",
		Address:     customer.Address{Line1: "12 Station Road", Line2: "Flat 1", Town: "Haringey", Postcode: "N15 4QR"},
		Needs:       customer.Needs{Vulnerable: true, AssistedDigital: false, PreferredLanguage: "cy", Accessibility: []string{"braille"}},
		Consents:    customer.Consents{SMSSurveys: true},
		Identifiers: []customer.Identifier{{ID: idID.String(), Kind: identifier.Phone, Value: "+447700900123", AddedAt: at}},
		MergedInto:  into.String(), Version: 4, CreatedAt: at, UpdatedAt: at.Add(time.Hour),
	}
	yes, no := true, false
	want := api.Customer{
		Id: id, GivenName: ptr("Amara"), FamilyName: ptr("Okafor"),
		DateOfBirth: &openapi_types.Date{Time: time.Date(1984, 3, 12, 0, 0, 0, 0, time.UTC)},
		Address:     &api.Address{Line1: ptr("12 Station Road"), Line2: ptr("Flat 1"), Town: ptr("Haringey"), Postcode: ptr("N15 4QR")},
		Needs:       api.Needs{Vulnerable: &yes, AssistedDigital: &no, PreferredLanguage: ptr("cy"), Accessibility: &[]string{"braille"}},
		Consents:    api.Consents{SmsSurveys: &yes},
		Identifiers: []api.Identifier{{Id: idID, Kind: api.IdentifierKindPhone, Value: "+447700900123", AddedAt: at}},
		MergedInto:  &into, Version: 4, CreatedAt: at, UpdatedAt: at.Add(time.Hour),
	}
	if diff := cmp.Diff(want, toCustomer(in)); diff != "" {
		t.Fatalf("toCustomer (-want +got):\n%s", diff)
	}
}

func TestToCustomer_LeavesUnknownFieldsOut(t *testing.T) {
	got := toCustomer(customer.Customer{ID: uuid.NewString(), Version: 1})
	if got.GivenName != nil || got.FamilyName != nil || got.DateOfBirth != nil || got.Address != nil || got.MergedInto != nil {
		t.Fatalf("empty fields should be absent: %+v", got)
	}
	if got.Identifiers == nil {
		t.Fatal("identifiers must be an empty list, not null")
	}
}

func TestFromCustomerCreate_CarriesEveryField(t *testing.T) {
	in := api.CustomerCreate{
		GivenName: ptr("Tomasz"), FamilyName: ptr("Nowak"),
		DateOfBirth: &openapi_types.Date{Time: time.Date(1979, 11, 2, 0, 0, 0, 0, time.UTC)},
		Address:     &api.Address{Line1: ptr("40 High Street"), Town: ptr("Haringey"), Postcode: ptr("N8 7PB")},
		Needs:       &api.Needs{AssistedDigital: ptr(true), PreferredLanguage: ptr("pl"), Accessibility: &[]string{"interpreter"}},
		Consents:    &api.Consents{SmsSurveys: ptr(true)},
		Identifiers: &[]api.IdentifierInput{{Kind: api.IdentifierKindBenefitClaim, Value: "HB1"}},
	}
	want := customer.NewCustomer{
		GivenName: "Tomasz", FamilyName: "Nowak", DateOfBirth: "1979-11-02",
		Address:     customer.Address{Line1: "40 High Street", Town: "Haringey", Postcode: "N8 7PB"},
		Needs:       customer.Needs{AssistedDigital: true, PreferredLanguage: "pl", Accessibility: []string{"interpreter"}},
		Consents:    customer.Consents{SMSSurveys: true},
		Identifiers: []customer.IdentifierInput{{Kind: identifier.BenefitClaim, Value: "HB1"}},
	}
	if diff := cmp.Diff(want, fromCustomerCreate(in)); diff != "" {
		t.Fatalf("fromCustomerCreate (-want +got):\n%s", diff)
	}
}

func TestFromCustomerPatch_TellsAbsentFromNull(t *testing.T) {
	in := api.CustomerPatch{
		GivenName:   nullable.NewNullableWithValue("Edith"),
		DateOfBirth: nullable.NewNullNullable[openapi_types.Date](),
		Needs:       &api.Needs{Vulnerable: ptr(true)},
	}
	got, err := fromCustomerPatch(in)
	if err != nil {
		t.Fatal(err)
	}
	want := customer.Patch{
		GivenName:   customer.Field[string]{Set: true, Value: "Edith"},
		DateOfBirth: customer.Field[string]{Set: true},
		Needs:       &customer.NeedsPatch{Vulnerable: ptr(true)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fromCustomerPatch (-want +got):\n%s", diff)
	}
}

func TestParseIfMatch(t *testing.T) {
	for _, tc := range []struct {
		in      string
		version int
		ok      bool
	}{
		{`"3"`, 3, true}, {`*`, customer.AnyVersion, true}, {` "12" `, 12, true},
		{`3`, 0, false}, {`W/"3"`, 0, false}, {`"0"`, 0, false}, {`"x"`, 0, false}, {`""`, 0, false},
	} {
		v, ok := parseIfMatch(tc.in)
		if v != tc.version || ok != tc.ok {
			t.Errorf("parseIfMatch(%q) = %d, %v; want %d, %v", tc.in, v, ok, tc.version, tc.ok)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// The timeline is written from the stored data without decoding it; the JSON must be
// what the contract's own types give for the same events.
func TestTimelinePage_SameJSONAsTheContract(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 30, 0, 5000, time.UTC)
	events := []timeline.Event{
		{ID: uuid.NewString(), CustomerID: uuid.NewString(), CaseID: uuid.NewString(), Kind: "case.note",
			Actor: timeline.Actor{Subject: "agent-1", Role: "agent"}, Data: map[string]any{"text": "called back", "internal": true, "n": 3.5}, OccurredAt: at},
		{ID: uuid.NewString(), CustomerID: uuid.NewString(), Kind: "customer.created",
			Actor: timeline.Actor{Subject: "system", Role: "system"}, Data: map[string]any{}, OccurredAt: at.Add(time.Second)},
		{ID: uuid.NewString(), CaseID: uuid.NewString(), Kind: "case.opened", OccurredAt: at},
	}
	stored := make([]timeline.Event, len(events))
	for i, ev := range events { // as read back: data only in its stored form
		raw, err := json.Marshal(orEmptyMap(ev.Data))
		if err != nil {
			t.Fatal(err)
		}
		ev.Data, ev.Raw = nil, raw
		stored[i] = ev
	}
	contract := api.TimelinePage{NextCursor: optString("next-page")}
	for _, ev := range events {
		e := toEvent(ev)
		e.Data = orEmptyMap(e.Data)
		contract.Items = append(contract.Items, e)
	}
	want, err := json.Marshal(contract)
	if err != nil {
		t.Fatal(err)
	}
	for name, page := range map[string][]timeline.Event{"as read back": stored, "as written": events} {
		wire, err := toTimelineWire(timeline.Page{Items: page, NextCursor: "next-page"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(wire)
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal(want, &w)
		if diff := cmp.Diff(w, g); diff != "" {
			t.Errorf("%s: the timeline differs from the contract's encoding (-contract +wire):\n%s", name, diff)
		}
	}
}
