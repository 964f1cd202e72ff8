package contract

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/auth"
)

func record(t *testing.T, c *contacthub.ClientWithResponses, in contacthub.ContactCreate) contacthub.ContactRecorded {
	t.Helper()
	resp, err := c.RecordContactWithResponse(ctx, nil, in)
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON201 == nil {
		t.Fatalf("record contact: %d %s", resp.StatusCode(), resp.Body)
	}
	return *resp.JSON201
}

func councilTax() contacthub.Service { return contacthub.Service{Lgsl: 58} }

func TestRecordContact_EveryChannelLandsOnTheCustomerAndCase(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		cust := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor"),
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900123"), {Kind: contacthub.IdentifierKindEmail, Value: "amara@example.org"}}})
		channels := []contacthub.Channel{contacthub.ChannelPhone, contacthub.ChannelIvr, contacthub.ChannelWebSelfService,
			contacthub.ChannelWebForm, contacthub.ChannelFaceToFace, contacthub.ChannelLandlordPortal, contacthub.ChannelSms,
			contacthub.ChannelEmail, contacthub.ChannelLetter}
		var caseID openapi_types.UUID
		for i, ch := range channels {
			in := contacthub.ContactCreate{Channel: ch, Service: councilTax(), Identifiers: &[]contacthub.IdentifierInput{phone("+44 7700 900123")}}
			switch ch {
			case contacthub.ChannelFaceToFace:
				in.Centre = ptr("civic-centre")
				in.AssistedDigital = ptr(true)
			case contacthub.ChannelLandlordPortal:
				in.OnBehalfOf = &contacthub.OnBehalfOf{LandlordId: ptr("LL-1"), Uprn: ptr("199356")}
			case contacthub.ChannelEmail, contacthub.ChannelWebForm:
				in.Identifiers = &[]contacthub.IdentifierInput{{Kind: contacthub.IdentifierKindEmail, Value: "Amara@Example.org"}}
			}
			got := record(t, ag, in)
			c, _ := got.Customer.Get()
			if c.Id != cust.Id || got.CustomerCreated {
				t.Fatalf("%s: landed on %v (created %v), want %s", ch, c.Id, got.CustomerCreated, cust.Id)
			}
			cs, err := got.Case.Get()
			if err != nil {
				t.Fatalf("%s: no case", ch)
			}
			if i == 0 {
				caseID = cs.Id
				if !got.CaseCreated || cs.Channel != contacthub.ChannelPhone || *cs.OpenedByContactId != got.Contact.Id {
					t.Fatalf("first contact should open the case: %+v", cs)
				}
			} else if ch == contacthub.ChannelLandlordPortal {
				// A landlord's contact opens the landlord's own case: the customer's own
				// case is private to them (issue 12, item 4).
				if cs.Id == caseID || !got.CaseCreated {
					t.Fatalf("landlord_portal: joined %s (created %v), want a case of its own", cs.Id, got.CaseCreated)
				}
				continue
			} else if cs.Id != caseID || got.CaseCreated {
				t.Fatalf("%s: joined %s (created %v), want the open case %s", ch, cs.Id, got.CaseCreated, caseID)
			}
			if got.Contact.Channel != ch || *got.Contact.CaseId != caseID {
				t.Fatalf("%s: contact = %+v", ch, got.Contact)
			}
		}
		got, _ := ag.GetCaseWithResponse(ctx, caseID)
		if got.JSON200.ContactCount != len(channels)-1 {
			t.Fatalf("case has %d contacts, want %d (every channel but the landlord's)", got.JSON200.ContactCount, len(channels)-1)
		}
		list, _ := ag.ListContactsWithResponse(ctx, &contacthub.ListContactsParams{CaseId: &caseID, Limit: ptr(100)})
		if len(list.JSON200.Items) != len(channels)-1 {
			t.Fatalf("listed %d contacts", len(list.JSON200.Items))
		}
	})
}

func TestRecordContact_NewCallerCreatesOneCustomerWhicheverWayThePhoneIsWritten(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		first := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(),
			GivenName: ptr("Priya"), FamilyName: ptr("Shah"), Identifiers: &[]contacthub.IdentifierInput{phone("07700 900777")}})
		second := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelSms, Service: councilTax(),
			Identifiers: &[]contacthub.IdentifierInput{phone("447700900777")}})
		c1, _ := first.Customer.Get()
		c2, _ := second.Customer.Get()
		if !first.CustomerCreated || second.CustomerCreated || c1.Id != c2.Id || *c1.FamilyName != "Shah" {
			t.Fatalf("first created %v, second created %v, %s vs %s", first.CustomerCreated, second.CustomerCreated, c1.Id, c2.Id)
		}
		if h.count("customers") != 1 {
			t.Fatalf("%d customers", h.count("customers"))
		}
		if r, _ := second.Contact.Avoidable.Get(); r.Reason != contacthub.Repeat {
			t.Fatalf("a second contact about the same open case within a week is a repeat: %+v", second.Contact.Avoidable)
		}
	})
}

func TestRecordContact_AmbiguousOrAnonymousContactsCreateNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		a := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("A"), Identifiers: &[]contacthub.IdentifierInput{phone("07700900001")}})
		b := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("B"), Identifiers: &[]contacthub.IdentifierInput{{Kind: contacthub.IdentifierKindEmail, Value: "b@example.org"}}})
		got := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelEmail, Service: councilTax(),
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900001"), {Kind: contacthub.IdentifierKindEmail, Value: "b@example.org"}}})
		if !got.Customer.IsNull() || !got.Case.IsNull() || got.CustomerCreated || got.Contact.CustomerId != nil {
			t.Fatalf("an ambiguous contact was linked: %+v", got)
		}
		var ids []string
		for _, c := range got.Candidates {
			ids = append(ids, c.Customer.Id.String())
		}
		slices.Sort(ids)
		want := []string{a.Id.String(), b.Id.String()}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("candidates %v, want %v", ids, want)
		}
		anon := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelWebForm, Service: councilTax(), Summary: ptr("How do I pay?")})
		if !anon.Customer.IsNull() || !anon.Case.IsNull() {
			t.Fatalf("an anonymous contact was linked: %+v", anon)
		}
		// The unknown caller's number is kept for later identification.
		unknown := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelIvr, Service: councilTax(), CreateCustomer: ptr(false),
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900999")}})
		if !unknown.Customer.IsNull() {
			t.Fatal("createCustomer=false created a customer")
		}
		if h.count("customers") != 2 || h.count("cases") != 0 || h.count("contacts") != 3 {
			t.Fatalf("customers %d cases %d contacts %d", h.count("customers"), h.count("cases"), h.count("contacts"))
		}
	})
}

func TestRecordContact_AvoidableReasons(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		ids := &[]contacthub.IdentifierInput{phone("07700900555")}
		start := time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Second)
		first := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 471}, Identifiers: ids, StartedAt: &start})
		reason := func(in contacthub.ContactCreate) string {
			t.Helper()
			got := record(t, ag, in)
			if got.Contact.Avoidable.IsNull() {
				return ""
			}
			r, _ := got.Contact.Avoidable.Get()
			return string(r.Reason)
		}
		at := func(d time.Duration) *time.Time { v := start.Add(d); return &v }
		pcn := contacthub.Service{Lgsl: 471}
		if r := reason(contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: pcn, Identifiers: ids, StartedAt: at(7*24*time.Hour + time.Second)}); r != "" {
			t.Fatalf("a contact just past the 7-day window is %q, want not avoidable", r)
		}
		if r := reason(contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: pcn, Identifiers: ids, StartedAt: at(14 * 24 * time.Hour)}); r != "repeat" {
			t.Fatalf("a contact exactly 7 days after the last is %q, want repeat", r)
		}
		if r := reason(contacthub.ContactCreate{Channel: contacthub.ChannelWebForm, Service: pcn, Identifiers: ids, Intent: ptr("progress_chasing")}); r != "progress_chasing" {
			t.Fatalf("progress chasing = %q", r)
		}
		// Another service is another case: not a repeat.
		if r := reason(contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(), Identifiers: ids}); r != "" {
			t.Fatalf("a first contact about another service is %q", r)
		}
		// Once the case is past its SLA, a contact about it is past_sla (even within the
		// repeat window), unless it says it chases a reply.
		cs, _ := first.Case.Get()
		past := time.Now().UTC().Add(-time.Hour)
		if resp, _ := ag.UpdateCaseWithResponse(ctx, cs.Id, &contacthub.UpdateCaseParams{IfMatch: "*"}, contacthub.CasePatch{SlaDueAt: &past}); resp.JSON200 == nil {
			t.Fatalf("set SLA: %s", resp.Body)
		}
		if r := reason(contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: pcn, Identifiers: ids}); r != "past_sla" {
			t.Fatalf("a contact about an overdue case = %q, want past_sla", r)
		}
		if r := reason(contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: pcn, Identifiers: ids, Intent: ptr("chasing_response")}); r != "chasing_response" {
			t.Fatalf("a contact chasing a reply on an overdue case = %q, want chasing_response", r)
		}
		// The avoidable report counts each reason in its own place.
		sup := h.client(h.token(auth.Claims{Subject: "sup-sam", Roles: []auth.Role{auth.Supervisor}}))
		from, to := openapi_types.Date{Time: start}, openapi_types.Date{Time: time.Now().UTC()}
		rep, err := sup.GetAvoidableReportWithResponse(ctx, &contacthub.GetAvoidableReportParams{From: from, To: to})
		if err != nil || rep.JSON200 == nil {
			t.Fatalf("avoidable report: %v %s", err, rep.Body)
		}
		by := map[contacthub.AvoidableReason]int{}
		for _, c := range rep.JSON200.ByReason {
			by[c.Reason] = c.Count
		}
		if by["past_sla"] != 1 || by["chasing_response"] != 1 || by["repeat"] != 1 || by["progress_chasing"] != 1 || rep.JSON200.Avoidable != 4 {
			t.Fatalf("avoidable by reason = %v (%d in all), want one each of past_sla, chasing_response, repeat, progress_chasing", by, rep.JSON200.Avoidable)
		}
	})
}

func TestRecordContact_ResolvedAtFirstContactResolvesTheCaseItOpened(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		got := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 474},
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900444")}, Outcome: ptr(contacthub.OutcomeResolvedFirstContact), ResolutionCode: ptr("permit_renewed")})
		cs, _ := got.Case.Get()
		if cs.Status != contacthub.CaseStatusResolved || !cs.ResolvedAtFirstContact || *cs.ResolutionCode != "permit_renewed" {
			t.Fatalf("case = %+v", cs)
		}
		// Later: a contact that opened a case is marked resolved by PATCH.
		later := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(),
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900444")}})
		patched, err := ag.UpdateContactWithResponse(ctx, later.Contact.Id, &contacthub.UpdateContactParams{IfMatch: `"1"`},
			contacthub.ContactPatch{Outcome: ptr(contacthub.OutcomeResolvedFirstContact), EndedAt: ptr(time.Now().UTC())})
		if err != nil || patched.JSON200 == nil {
			t.Fatalf("patch: %v %s", err, patched.Body)
		}
		if patched.JSON200.Outcome != contacthub.OutcomeResolvedFirstContact || patched.JSON200.EndedAt == nil || patched.JSON200.Version != 2 {
			t.Fatalf("contact = %+v", patched.JSON200)
		}
		lc, _ := later.Case.Get()
		after, _ := ag.GetCaseWithResponse(ctx, lc.Id)
		if after.JSON200.Status != contacthub.CaseStatusResolved || !after.JSON200.ResolvedAtFirstContact {
			t.Fatalf("case after PATCH = %+v", after.JSON200)
		}
		stale, _ := ag.UpdateContactWithResponse(ctx, later.Contact.Id, &contacthub.UpdateContactParams{IfMatch: `"1"`}, contacthub.ContactPatch{Summary: ptr("x")})
		wantProblem(t, http.StatusPreconditionFailed, stale.Body, stale.StatusCode(), "precondition-failed")
	})
}

func TestRecordContact_RejectsBadContactsAndWritesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		tok := h.token(agentClaims())
		outboxBefore := h.count("outbox")
		for _, tc := range []struct{ name, body, field string }{
			{"unknown service", `{"channel":"phone","service":{"lgsl":99999}}`, "service.lgsl"},
			{"face to face without centre", `{"channel":"face_to_face","service":{"lgsl":58}}`, "centre"},
			{"unknown centre", `{"channel":"face_to_face","centre":"moon-base","service":{"lgsl":58}}`, "centre"},
			{"centre on the phone", `{"channel":"phone","centre":"civic-centre","service":{"lgsl":58}}`, "centre"},
			{"on behalf of outside the portal", `{"channel":"phone","service":{"lgsl":58},"onBehalfOf":{"landlordId":"x"}}`, "onBehalfOf"},
			{"bad phone", `{"channel":"phone","service":{"lgsl":58},"identifiers":[{"kind":"phone","value":"abc"}]}`, "identifiers[0].value"},
			{"ended before started", `{"channel":"phone","service":{"lgsl":58},"startedAt":"2026-01-02T10:00:00Z","endedAt":"2026-01-02T09:00:00Z"}`, "endedAt"},
			{"unknown customer", `{"channel":"phone","service":{"lgsl":58},"customerId":"01900000-0000-7000-8000-000000000000"}`, "customerId"},
		} {
			resp, body := h.raw("POST", "/v1/contacts", tok, "application/json", []byte(tc.body))
			p := wantProblem(t, http.StatusUnprocessableEntity, body, resp.StatusCode, "invalid-value")
			if !contains(fieldsOf(p), tc.field) {
				t.Errorf("%s: problem names %v, want %s", tc.name, fieldsOf(p), tc.field)
			}
		}
		resp, body := h.raw("POST", "/v1/contacts", tok, "application/json", []byte(`{"channel":"carrier_pigeon","service":{"lgsl":58}}`))
		wantProblem(t, http.StatusBadRequest, body, resp.StatusCode, "validation")
		if h.count("contacts") != 0 || h.count("customers") != 0 || h.count("cases") != 0 || h.count("outbox") != outboxBefore {
			t.Fatal("a rejected contact wrote something")
		}
		dup := []byte(`{"channel":"ivr","service":{"lgsl":58},"externalId":"call-1"}`)
		if resp, body := h.raw("POST", "/v1/contacts", tok, "application/json", dup); resp.StatusCode != 201 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		outboxBefore = h.count("outbox")
		resp, body = h.raw("POST", "/v1/contacts", tok, "application/json", dup)
		p := wantProblem(t, http.StatusConflict, body, resp.StatusCode, "conflict")
		if p.Detail == nil || !strings.Contains(*p.Detail, "externalId") {
			t.Errorf("the conflict does not say what was taken: %v", p)
		}
		if h.count("contacts") != 1 || h.count("outbox") != outboxBefore {
			t.Fatal("a contact refused as a repeat wrote something")
		}
	})
}

func TestRecordContact_ConcurrentRetriesWithOneKeyWriteOneContact(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		tok := h.token(agentClaims())
		body := []byte(`{"channel":"phone","service":{"lgsl":58},"identifiers":[{"kind":"phone","value":"07700900888"}]}`)
		results := make(chan string, 20)
		for range 20 {
			go func() {
				resp, b := h.raw("POST", "/v1/contacts", tok, "application/json", body, "Idempotency-Key", "call-8888-attempt")
				results <- fmt.Sprintf("%d %s", resp.StatusCode, b)
			}()
		}
		first := <-results
		for range 19 {
			if got := <-results; got != first {
				t.Fatalf("responses differ:\n%s\n%s", first, got)
			}
		}
		if h.count("contacts") != 1 || h.count("customers") != 1 || h.count("cases") != 1 {
			t.Fatalf("contacts %d customers %d cases %d", h.count("contacts"), h.count("customers"), h.count("cases"))
		}
		resp, b := h.raw("POST", "/v1/contacts", tok, "application/json", []byte(`{"channel":"sms","service":{"lgsl":58}}`), "Idempotency-Key", "call-8888-attempt")
		wantProblem(t, http.StatusUnprocessableEntity, b, resp.StatusCode, "idempotency-key-reused")
	})
}
