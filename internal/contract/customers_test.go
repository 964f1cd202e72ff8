package contract

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	contacthub "github.com/council/contacthub/clients/go"
)

var ctx = context.Background()

func phone(v string) contacthub.IdentifierInput {
	return contacthub.IdentifierInput{Kind: contacthub.IdentifierKindPhone, Value: v}
}

func createCustomer(t *testing.T, c *contacthub.ClientWithResponses, in contacthub.CustomerCreate) contacthub.Customer {
	t.Helper()
	resp, err := c.CreateCustomerWithResponse(ctx, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON201 == nil {
		t.Fatalf("create customer: %d %s", resp.StatusCode(), resp.Body)
	}
	return *resp.JSON201
}

func TestCreateCustomer_NormalisesIdentifiersAndAnswersWithLocationAndETag(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		resp, err := h.agent().CreateCustomerWithResponse(ctx, nil, contacthub.CustomerCreate{
			GivenName: ptr("Amara"), FamilyName: ptr("Okafor"),
			DateOfBirth: &openapi_types.Date{Time: mustDate(t, "1984-03-12")},
			Address:     &contacthub.Address{Line1: ptr("12 Station Road"), Postcode: ptr("n15 4qr")},
			Identifiers: &[]contacthub.IdentifierInput{
				phone("07700 900123"),
				{Kind: contacthub.IdentifierKindEmail, Value: "  Amara.Okafor@Example.ORG "},
				{Kind: contacthub.IdentifierKindUprn, Value: "000000199356"},
				{Kind: contacthub.IdentifierKindCouncilTaxAccount, Value: "5123 45678"},
			},
			Needs:    &contacthub.Needs{Vulnerable: ptr(true), PreferredLanguage: ptr("cy")},
			Consents: &contacthub.Consents{SmsSurveys: ptr(true)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode() != http.StatusCreated {
			t.Fatalf("status %d: %s", resp.StatusCode(), resp.Body)
		}
		c := resp.JSON201
		if got := resp.HTTPResponse.Header.Get("Location"); got != "/v1/customers/"+c.Id.String() {
			t.Errorf("Location = %q", got)
		}
		if got := resp.HTTPResponse.Header.Get("ETag"); got != `"1"` || c.Version != 1 {
			t.Errorf("ETag = %q, version %d; want \"1\"", got, c.Version)
		}
		want := map[contacthub.IdentifierKind]string{
			contacthub.IdentifierKindPhone: "+447700900123", contacthub.IdentifierKindEmail: "amara.okafor@example.org",
			contacthub.IdentifierKindUprn: "199356", contacthub.IdentifierKindCouncilTaxAccount: "512345678",
		}
		if len(c.Identifiers) != len(want) {
			t.Fatalf("identifiers = %+v", c.Identifiers)
		}
		for _, id := range c.Identifiers {
			if want[id.Kind] != id.Value {
				t.Errorf("%s normalised to %q, want %q", id.Kind, id.Value, want[id.Kind])
			}
		}
		if c.Address == nil || *c.Address.Postcode != "N15 4QR" {
			t.Errorf("postcode not normalised: %+v", c.Address)
		}
		if !*c.Needs.Vulnerable || *c.Needs.PreferredLanguage != "cy" || !*c.Consents.SmsSurveys {
			t.Errorf("needs/consents lost: %+v %+v", c.Needs, c.Consents)
		}
		got, err := h.agent().GetCustomerWithResponse(ctx, c.Id)
		if err != nil || got.JSON200 == nil {
			t.Fatalf("read back: %v %s", err, got.Body)
		}
		if got.JSON200.Id != c.Id || len(got.JSON200.Identifiers) != 4 || *got.JSON200.FamilyName != "Okafor" {
			t.Errorf("read back differs: %+v", got.JSON200)
		}
	})
}

func TestCreateCustomer_SamePhoneWrittenTwoWaysIsRejectedNamingTheHolder(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		first := createCustomer(t, h.agent(), contacthub.CustomerCreate{FamilyName: ptr("Okafor"),
			Identifiers: &[]contacthub.IdentifierInput{phone("07700 900123")}})
		resp, err := h.agent().CreateCustomerWithResponse(ctx, nil, contacthub.CustomerCreate{FamilyName: ptr("Okafor-Smith"),
			Identifiers: &[]contacthub.IdentifierInput{{Kind: contacthub.IdentifierKindEmail, Value: "new@example.org"}, phone("+44 7700 900123")}})
		if err != nil {
			t.Fatal(err)
		}
		p := wantProblem(t, http.StatusConflict, resp.Body, resp.StatusCode(), "identifier-taken")
		if p.CustomerId == nil || *p.CustomerId != first.Id {
			t.Fatalf("problem names customer %v, want %s", p.CustomerId, first.Id)
		}
		if n := h.count("customers"); n != 1 {
			t.Fatalf("%d customers after a rejected create, want 1", n)
		}
		if n := h.count("customer_identifiers"); n != 1 {
			t.Fatalf("%d identifiers after a rejected create, want 1 (the email must not be half-written)", n)
		}
	})
}

func TestCreateCustomer_InvalidIdentifiersAreNamedAndNothingIsWritten(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		resp, err := h.agent().CreateCustomerWithResponse(ctx, nil, contacthub.CustomerCreate{
			Identifiers: &[]contacthub.IdentifierInput{
				phone("07700 900123"),
				phone("not a phone"),
				{Kind: contacthub.IdentifierKindUprn, Value: "1234567890123"},
				{Kind: contacthub.IdentifierKindCouncilTaxAccount, Value: "12-AB"},
				{Kind: contacthub.IdentifierKindEmail, Value: "Bob <bob@example.org>"},
			},
			Address: &contacthub.Address{Postcode: ptr("NOTAPOST")},
		})
		if err != nil {
			t.Fatal(err)
		}
		p := wantProblem(t, http.StatusUnprocessableEntity, resp.Body, resp.StatusCode(), "invalid-value")
		want := []string{"identifiers[1].value", "identifiers[2].value", "identifiers[3].value", "identifiers[4].value", "address.postcode"}
		got := fieldsOf(p)
		for _, f := range want {
			if !slices.Contains(got, f) {
				t.Errorf("problem does not name %s; it names %v", f, got)
			}
		}
		if n := h.count("customers"); n != 0 {
			t.Fatalf("%d customers written by a rejected request", n)
		}
	})
}

func TestUpdateCustomer_NeedsTheCurrentETag(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		c := createCustomer(t, h.agent(), contacthub.CustomerCreate{GivenName: ptr("Tom"), FamilyName: ptr("Nowak")})
		patch := contacthub.CustomerPatch{}
		patch.GivenName.Set("Tomasz")
		patch.Needs = &contacthub.Needs{AssistedDigital: ptr(true)}

		missing, err := h.agent().UpdateCustomerWithResponse(ctx, c.Id, &contacthub.UpdateCustomerParams{}, patch)
		if err != nil {
			t.Fatal(err)
		}
		wantProblem(t, http.StatusPreconditionRequired, missing.Body, missing.StatusCode(), "precondition-required")

		ok, err := h.agent().UpdateCustomerWithResponse(ctx, c.Id, &contacthub.UpdateCustomerParams{IfMatch: `"1"`}, patch)
		if err != nil || ok.JSON200 == nil {
			t.Fatalf("update: %v %s", err, ok.Body)
		}
		if *ok.JSON200.GivenName != "Tomasz" || !*ok.JSON200.Needs.AssistedDigital || ok.JSON200.Version != 2 {
			t.Fatalf("update not applied: %+v", ok.JSON200)
		}
		if *ok.JSON200.FamilyName != "Nowak" {
			t.Fatalf("a member left out of the patch changed: %+v", ok.JSON200)
		}
		if got := ok.HTTPResponse.Header.Get("ETag"); got != `"2"` {
			t.Fatalf("ETag after update = %q", got)
		}

		stale, err := h.agent().UpdateCustomerWithResponse(ctx, c.Id, &contacthub.UpdateCustomerParams{IfMatch: `"1"`}, patch)
		if err != nil {
			t.Fatal(err)
		}
		wantProblem(t, http.StatusPreconditionFailed, stale.Body, stale.StatusCode(), "precondition-failed")

		clear := contacthub.CustomerPatch{}
		clear.GivenName.SetNull()
		cleared, err := h.agent().UpdateCustomerWithResponse(ctx, c.Id, &contacthub.UpdateCustomerParams{IfMatch: "*"}, clear)
		if err != nil || cleared.JSON200 == nil {
			t.Fatalf("clear: %v %s", err, cleared.Body)
		}
		if cleared.JSON200.GivenName != nil {
			t.Fatalf("null did not clear givenName: %+v", cleared.JSON200)
		}
	})
}

func TestIdentifiers_AddRemoveAndConflicts(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		a := createCustomer(t, h.agent(), contacthub.CustomerCreate{FamilyName: ptr("A"), Identifiers: &[]contacthub.IdentifierInput{phone("07700900001")}})
		b := createCustomer(t, h.agent(), contacthub.CustomerCreate{FamilyName: ptr("B")})

		taken, err := h.agent().AddCustomerIdentifierWithResponse(ctx, b.Id, nil, phone("+447700900001"))
		if err != nil {
			t.Fatal(err)
		}
		p := wantProblem(t, http.StatusConflict, taken.Body, taken.StatusCode(), "identifier-taken")
		if *p.CustomerId != a.Id {
			t.Fatalf("conflict names %s, want %s", p.CustomerId, a.Id)
		}

		bad, err := h.agent().AddCustomerIdentifierWithResponse(ctx, b.Id, nil, contacthub.IdentifierInput{Kind: contacthub.IdentifierKindUprn, Value: "12ab"})
		if err != nil {
			t.Fatal(err)
		}
		if p := wantProblem(t, http.StatusUnprocessableEntity, bad.Body, bad.StatusCode(), "invalid-value"); !slices.Contains(fieldsOf(p), "value") {
			t.Fatalf("problem does not name value: %s", bad.Body)
		}

		added, err := h.agent().AddCustomerIdentifierWithResponse(ctx, b.Id, nil, contacthub.IdentifierInput{Kind: contacthub.IdentifierKindEmail, Value: "B@Example.org"})
		if err != nil || added.JSON201 == nil {
			t.Fatalf("add: %v %s", err, added.Body)
		}
		if len(added.JSON201.Identifiers) != 1 || added.JSON201.Identifiers[0].Value != "b@example.org" || added.JSON201.Version != 2 {
			t.Fatalf("added = %+v", added.JSON201)
		}
		idID := added.JSON201.Identifiers[0].Id

		removed, err := h.agent().RemoveCustomerIdentifierWithResponse(ctx, b.Id, idID)
		if err != nil || removed.JSON200 == nil {
			t.Fatalf("remove: %v %s", err, removed.Body)
		}
		if len(removed.JSON200.Identifiers) != 0 {
			t.Fatalf("identifier still there: %+v", removed.JSON200.Identifiers)
		}
		again, err := h.agent().RemoveCustomerIdentifierWithResponse(ctx, b.Id, idID)
		if err != nil {
			t.Fatal(err)
		}
		wantProblem(t, http.StatusNotFound, again.Body, again.StatusCode(), "not-found")

		// The email is free again for anyone.
		if _, err := h.agent().AddCustomerIdentifierWithResponse(ctx, a.Id, nil, contacthub.IdentifierInput{Kind: contacthub.IdentifierKindEmail, Value: "b@example.org"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSearchCustomers_ByEachFilterWithCursorPages(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		for i, name := range []string{"Smith", "Smithson", "Smyth", "O'Smith"} {
			createCustomer(t, ag, contacthub.CustomerCreate{GivenName: ptr("Jo"), FamilyName: ptr(name),
				Address:     &contacthub.Address{Postcode: ptr([]string{"N15 4QR", "N15 4QR", "N8 7PB", "N8 7PB"}[i])},
				Identifiers: &[]contacthub.IdentifierInput{phone("0770090010" + string(rune('0'+i))), {Kind: contacthub.IdentifierKindBenefitClaim, Value: "HB10000" + string(rune('0'+i))}}})
		}
		search := func(p contacthub.SearchCustomersParams) []string {
			t.Helper()
			resp, err := ag.SearchCustomersWithResponse(ctx, &p)
			if err != nil || resp.JSON200 == nil {
				t.Fatalf("search %+v: %v %s", p, err, resp.Body)
			}
			var names []string
			for _, c := range resp.JSON200.Items {
				names = append(names, *c.FamilyName)
			}
			return names
		}
		cases := []struct {
			name string
			p    contacthub.SearchCustomersParams
			want []string
		}{
			{"name prefix", contacthub.SearchCustomersParams{Q: ptr("smith")}, []string{"Smith", "Smithson"}},
			{"two words", contacthub.SearchCustomersParams{Q: ptr("jo smy")}, []string{"Smyth"}},
			{"phone any format", contacthub.SearchCustomersParams{Phone: ptr("+44 7700 900102")}, []string{"Smyth"}},
			{"reference", contacthub.SearchCustomersParams{Reference: ptr("hb100003")}, []string{"O'Smith"}},
			{"postcode", contacthub.SearchCustomersParams{Postcode: ptr("n154qr")}, []string{"Smith", "Smithson"}},
			{"postcode and name", contacthub.SearchCustomersParams{Postcode: ptr("N8 7PB"), Q: ptr("o'")}, []string{"O'Smith"}},
			{"wildcards are literal", contacthub.SearchCustomersParams{Q: ptr("%")}, nil},
		}
		for _, tc := range cases {
			if got := search(tc.p); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}

		// Pages of one, following nextCursor, visit every match once.
		var seen []string
		p := contacthub.SearchCustomersParams{Q: ptr("jo"), Limit: ptr(1)}
		for range 10 {
			resp, err := ag.SearchCustomersWithResponse(ctx, &p)
			if err != nil || resp.JSON200 == nil {
				t.Fatalf("page: %v %s", err, resp.Body)
			}
			for _, c := range resp.JSON200.Items {
				seen = append(seen, c.Id.String())
			}
			if resp.JSON200.NextCursor == nil {
				break
			}
			p.Cursor = resp.JSON200.NextCursor
		}
		if len(seen) != 4 || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != 4 {
			t.Fatalf("paging saw %v, want 4 distinct customers", seen)
		}

		resp, err := ag.SearchCustomersWithResponse(ctx, &contacthub.SearchCustomersParams{})
		if err != nil {
			t.Fatal(err)
		}
		wantProblem(t, http.StatusUnprocessableEntity, resp.Body, resp.StatusCode(), "invalid-value")
		resp, err = ag.SearchCustomersWithResponse(ctx, &contacthub.SearchCustomersParams{Q: ptr("jo"), Cursor: ptr("bm9wZQ")})
		if err != nil {
			t.Fatal(err)
		}
		if p := wantProblem(t, http.StatusUnprocessableEntity, resp.Body, resp.StatusCode(), "invalid-value"); !slices.Contains(fieldsOf(p), "cursor") {
			t.Fatalf("bad cursor not named: %s", resp.Body)
		}
	})
}

func TestMatchCustomer_ExactOrRankedCandidatesWithReasons(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		amara := createCustomer(t, ag, contacthub.CustomerCreate{GivenName: ptr("Amara"), FamilyName: ptr("Okafor"),
			DateOfBirth: &openapi_types.Date{Time: mustDate(t, "1984-03-12")}, Address: &contacthub.Address{Postcode: ptr("N15 4QR")},
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900123"), {Kind: contacthub.IdentifierKindUprn, Value: "199356"}}})
		sister := createCustomer(t, ag, contacthub.CustomerCreate{GivenName: ptr("Ngozi"), FamilyName: ptr("Okafor"),
			DateOfBirth: &openapi_types.Date{Time: mustDate(t, "1990-01-01")}, Address: &contacthub.Address{Postcode: ptr("N15 4QR")},
			Identifiers: &[]contacthub.IdentifierInput{{Kind: contacthub.IdentifierKindEmail, Value: "ngozi@example.org"}}})

		match := func(req contacthub.MatchRequest) contacthub.MatchResult {
			t.Helper()
			resp, err := ag.MatchCustomerWithResponse(ctx, req)
			if err != nil || resp.JSON200 == nil {
				t.Fatalf("match: %v %s", err, resp.Body)
			}
			return *resp.JSON200
		}

		exact := match(contacthub.MatchRequest{Identifiers: &[]contacthub.IdentifierInput{phone("+44 7700 900123")}})
		if exact.Match == nil || exact.Match.Id != amara.Id {
			t.Fatalf("phone alone should match Amara exactly: %+v", exact)
		}

		// Two strong identifiers pointing at two people: never guess.
		split := match(contacthub.MatchRequest{Identifiers: &[]contacthub.IdentifierInput{phone("07700900123"), {Kind: contacthub.IdentifierKindEmail, Value: "ngozi@example.org"}}})
		if split.Match != nil || len(split.Candidates) != 2 {
			t.Fatalf("conflicting identifiers must give candidates, not a match: %+v", split)
		}

		// Name, date of birth and postcode: candidates ranked with reasons.
		byDetails := match(contacthub.MatchRequest{FamilyName: ptr("okafor"), GivenName: ptr("Amara"), DateOfBirth: &openapi_types.Date{Time: mustDate(t, "1984-03-12")}, Postcode: ptr("n15 4qr")})
		if byDetails.Match != nil {
			t.Fatalf("personal details alone must not be an exact match: %+v", byDetails.Match)
		}
		if len(byDetails.Candidates) != 2 || byDetails.Candidates[0].Customer.Id != amara.Id || byDetails.Candidates[1].Customer.Id != sister.Id {
			t.Fatalf("candidates = %+v", byDetails.Candidates)
		}
		var fields []string
		for _, r := range byDetails.Candidates[0].Reasons {
			fields = append(fields, r.Field)
		}
		if !slices.Equal(fields, []string{"familyName", "givenName", "dateOfBirth", "postcode"}) {
			t.Fatalf("reasons = %v", fields)
		}
		if byDetails.Candidates[0].Score <= byDetails.Candidates[1].Score {
			t.Fatalf("Amara should outrank her sister: %+v", byDetails.Candidates)
		}

		// A contradicting date of birth keeps the phone's holder a candidate only.
		contradicted := match(contacthub.MatchRequest{Identifiers: &[]contacthub.IdentifierInput{phone("07700900123")}, DateOfBirth: &openapi_types.Date{Time: mustDate(t, "2001-05-05")}})
		if contradicted.Match != nil || len(contradicted.Candidates) != 1 {
			t.Fatalf("contradicted = %+v", contradicted)
		}

		none := match(contacthub.MatchRequest{Identifiers: &[]contacthub.IdentifierInput{phone("07700900999")}})
		if none.Match != nil || len(none.Candidates) != 0 {
			t.Fatalf("unknown phone matched: %+v", none)
		}
		if n := h.count("customers"); n != 2 {
			t.Fatalf("match wrote customers: %d", n)
		}
	})
}

func TestTimeline_RecordsChangesNewestFirst(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		c := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Clarke")})
		patch := contacthub.CustomerPatch{}
		patch.GivenName.Set("Edith")
		if _, err := ag.UpdateCustomerWithResponse(ctx, c.Id, &contacthub.UpdateCustomerParams{IfMatch: "*"}, patch); err != nil {
			t.Fatal(err)
		}
		if _, err := ag.AddCustomerIdentifierWithResponse(ctx, c.Id, nil, phone("02079460018")); err != nil {
			t.Fatal(err)
		}
		var kinds []string
		params := &contacthub.GetCustomerTimelineParams{Limit: ptr(2)}
		for range 5 {
			resp, err := ag.GetCustomerTimelineWithResponse(ctx, c.Id, params)
			if err != nil || resp.JSON200 == nil {
				t.Fatalf("timeline: %v %s", err, resp.Body)
			}
			for _, ev := range resp.JSON200.Items {
				kinds = append(kinds, ev.Kind)
				if ev.Actor.Subject != "agent-alice" || ev.Actor.Role != "agent" {
					t.Errorf("event %s actor = %+v", ev.Kind, ev.Actor)
				}
			}
			if resp.JSON200.NextCursor == nil {
				break
			}
			params.Cursor = resp.JSON200.NextCursor
		}
		want := []string{"customer.identifier_added", "customer.updated", "customer.created"}
		if !slices.Equal(kinds, want) {
			t.Fatalf("timeline = %v, want %v", kinds, want)
		}
		missing, err := ag.GetCustomerTimelineWithResponse(ctx, uuid.Must(uuid.NewV7()), nil)
		if err != nil {
			t.Fatal(err)
		}
		wantProblem(t, http.StatusNotFound, missing.Body, missing.StatusCode(), "not-found")
	})
}
