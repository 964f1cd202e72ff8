package contract

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/auth"
)

// These tests hold the access rules a hostile-client review found broken (issue 12,
// items 1–6 and 15): each request is what the reviewer sent.

// jsonKeys decodes a JSON object's member names.
func jsonKeys(t *testing.T, body []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", body)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// staffRating is the Rating a staff or integration rater gets back from POST /v1/ratings.
func staffRating(t *testing.T, r *contacthub.RecordRatingResponse) contacthub.Rating {
	t.Helper()
	if r.JSON201 == nil {
		t.Fatalf("rating: %d %s", r.StatusCode(), r.Body)
	}
	got, err := r.JSON201.AsRating()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// pageReceipt is the RatingReceipt anyone else gets back from POST /v1/ratings.
func pageReceipt(t *testing.T, r *contacthub.RecordRatingResponse) contacthub.RatingReceipt {
	t.Helper()
	if r.JSON201 == nil {
		t.Fatalf("rating: %d %s", r.StatusCode(), r.Body)
	}
	if keys := jsonKeys(t, r.Body); slices.ContainsFunc(keys, func(k string) bool {
		return slices.Contains([]string{"caseId", "contactId", "agent", "channel", "tier", "service", "centre"}, k)
	}) {
		t.Fatalf("a page rater's receipt carries %v: %s", keys, r.Body)
	}
	got, err := r.JSON201.AsRatingReceipt()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// storedChannel is the channel a rating counts under, as kept.
func storedChannel(t *testing.T, h *hub, id openapi_types.UUID) string {
	t.Helper()
	var ch string
	if err := h.app.DB.Get(&ch, h.app.DB.Rebind("SELECT channel FROM ratings WHERE id = ?"), id.String()); err != nil {
		t.Fatal(err)
	}
	return ch
}

// officer is an agent of the given tier.
func officer(h *hub, tier int) *contacthub.ClientWithResponses {
	return h.client(h.token(auth.Claims{Subject: fmt.Sprintf("officer-tier-%d", tier), Roles: []auth.Role{auth.Agent}, Tier: tier}))
}

// caseOf reads a case as staff see it.
func caseOf(t *testing.T, h *hub, id openapi_types.UUID) contacthub.Case {
	t.Helper()
	got, err := supervisor(h).GetCaseWithResponse(ctx, id)
	if err != nil || got.JSON200 == nil {
		t.Fatalf("read case %s: %v %s", id, err, got.Body)
	}
	return *got.JSON200
}

func TestAccess_CitizensCannotReadTheStaffTimelineOfTheirRecord(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		amara := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor")})
		me := citizen(h, amara.Id)
		raised, _ := me.ContactFromMyAccountWithResponse(ctx, nil, contacthub.MyContactCreate{Service: contacthub.Service{Lgsl: 58}})
		if raised.JSON201 == nil {
			t.Fatalf("raise: %s", raised.Body)
		}
		ag.AddCaseNoteWithResponse(ctx, raised.JSON201.Case.Id, nil, contacthub.NoteCreate{Text: "INTERNAL: possible fraud"})

		tok := h.token(auth.Claims{Subject: "resident-amara", Roles: []auth.Role{auth.Citizen}, CustomerID: amara.Id.String()})
		resp, body := h.raw("GET", "/v1/customers/"+amara.Id.String()+"/timeline", tok, "", nil)
		wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")
		for _, secret := range []string{"INTERNAL", "fraud", "agent-alice"} {
			if strings.Contains(string(body), secret) {
				t.Fatalf("the refusal leaks %q: %s", secret, body)
			}
		}
		// The resident's own view is still there, without the note or who wrote it.
		mine, _ := me.GetMyCaseWithResponse(ctx, raised.JSON201.Case.Id)
		if mine.JSON200 == nil || strings.Contains(string(mine.Body), "fraud") || strings.Contains(string(mine.Body), "agent-alice") {
			t.Fatalf("my case: %s", mine.Body)
		}
	})
}

func TestAccess_CitizensCannotUseTheStaffCustomerRoutesEvenForThemselves(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		amara := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor")})
		tok := h.token(auth.Claims{Subject: "resident-amara", Roles: []auth.Role{auth.Citizen}, CustomerID: amara.Id.String()})
		own := "/v1/customers/" + amara.Id.String()

		resp, body := h.raw("PATCH", own, tok, "application/json", []byte(`{"needs":{"vulnerable":true}}`), "If-Match", "*")
		wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")
		resp, body = h.raw("GET", own, tok, "", nil)
		wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")

		got, _ := ag.GetCustomerWithResponse(ctx, amara.Id)
		if got.JSON200.Version != 1 || (got.JSON200.Needs.Vulnerable != nil && *got.JSON200.Needs.Vulnerable) {
			t.Fatalf("the refused patch changed the record: %s", got.Body)
		}
		// Their next contact is routed as anyone's council tax enquiry, not to vulnerable support.
		raised, _ := citizen(h, amara.Id).ContactFromMyAccountWithResponse(ctx, nil, contacthub.MyContactCreate{Service: contacthub.Service{Lgsl: 58}})
		if raised.JSON201 == nil {
			t.Fatalf("raise: %s", raised.Body)
		}
		if c := caseOf(t, h, raised.JSON201.Case.Id); c.Tier != 1 || c.Queue != "advisors" || c.Priority == 1 {
			t.Fatalf("the contact was routed to tier %d %s at priority %d", c.Tier, c.Queue, c.Priority)
		}
	})
}

func TestAccess_AnonymousRatingsCannotAttachToContactsOrCases(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		call := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 69},
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900812")}})
		cs, _ := call.Case.Get()
		before := caseTimelineLength(t, h, cs.Id)
		landlordTok := h.token(auth.Claims{Subject: "ll", Roles: []auth.Role{auth.Landlord}, LandlordID: uuid.NewString()})
		citizenTok := h.token(auth.Claims{Subject: "res", Roles: []auth.Role{auth.Citizen}, CustomerID: uuid.NewString()})
		for _, tc := range []struct{ who, token, field, id string }{
			{"anonymous", "", "contactId", call.Contact.Id.String()},
			{"anonymous", "", "caseId", cs.Id.String()},
			{"landlord", landlordTok, "contactId", call.Contact.Id.String()},
			{"citizen", citizenTok, "caseId", cs.Id.String()},
		} {
			t.Run(tc.who+" "+tc.field, func(t *testing.T) {
				body := fmt.Sprintf(`{"source":"web_page","score":1,"pageUrl":"https://www.council.example/a","%s":"%s"}`, tc.field, tc.id)
				resp, out := h.raw("POST", "/v1/ratings", tc.token, "application/json", []byte(body))
				p := wantProblem(t, http.StatusForbidden, out, resp.StatusCode, "forbidden")
				if got := fieldsOf(p); !slices.Equal(got, []string{tc.field}) {
					t.Fatalf("fields = %v, want [%s]: %s", got, tc.field, out)
				}
			})
		}
		if n := h.count("ratings"); n != 0 {
			t.Fatalf("%d ratings kept from refused requests", n)
		}
		if after := caseTimelineLength(t, h, cs.Id); after != before {
			t.Fatalf("the case timeline grew from %d to %d events", before, after)
		}

		// What an anonymous or citizen rater gets back says nothing about the council's work.
		for _, tok := range []string{"", citizenTok, landlordTok} {
			resp, out := h.raw("POST", "/v1/ratings", tok, "application/json",
				[]byte(`{"source":"web_page","score":4,"pageUrl":"https://www.council.example/pay?ref=1"}`))
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("page rating: %d %s", resp.StatusCode, out)
			}
			if keys := jsonKeys(t, out); !slices.Equal(keys, []string{"createdAt", "id", "kind", "pageUrl", "score", "source"}) {
				t.Fatalf("a page rater got back %v: %s", keys, out)
			}
		}
		// A resident rating their own contact through My Account is not told which agent,
		// channel, tier or service it went to either.
		amara := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor")})
		handled := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(), CustomerId: &amara.Id})
		mine, _ := citizen(h, amara.Id).RateFromMyAccountWithResponse(ctx, contacthub.RateFromMyAccountJSONRequestBody{Score: 5, ContactId: &handled.Contact.Id})
		if mine.JSON201 == nil {
			t.Fatalf("my rating: %s", mine.Body)
		}
		if keys := jsonKeys(t, mine.Body); !slices.Equal(keys, []string{"caseId", "contactId", "createdAt", "id", "score"}) {
			t.Fatalf("a resident got back %v: %s", keys, mine.Body)
		}
		// Staff still see what their rating attached to.
		byAgent, _ := ag.RecordRatingWithResponse(ctx, contacthub.RatingCreate{Source: contacthub.RatingCreateSourceAgentRecorded, Score: ptr(5), CaseId: &cs.Id})
		if byAgent.StatusCode() != http.StatusCreated || !strings.Contains(string(byAgent.Body), cs.Id.String()) || !strings.Contains(string(byAgent.Body), `"tier":2`) {
			t.Fatalf("agent recorded: %s", byAgent.Body)
		}
	})
}

func caseTimelineLength(t *testing.T, h *hub, id openapi_types.UUID) int {
	t.Helper()
	tl, err := supervisor(h).GetCaseTimelineWithResponse(ctx, id, nil)
	if err != nil || tl.JSON200 == nil {
		t.Fatalf("timeline: %v %s", err, tl.Body)
	}
	return len(tl.JSON200.Items)
}

// portal is a landlord with one property, a current tenant there, and an accepted user.
type portal struct {
	landlord, property openapi_types.UUID
	tenant             contacthub.Customer
	user               *contacthub.ClientWithResponses
}

func newPortal(t *testing.T, h *hub) portal {
	t.Helper()
	ag := h.agent()
	ll, _ := ag.CreateLandlordWithResponse(ctx, nil, contacthub.LandlordCreate{Name: "Mill Lane Lettings"})
	if ll.JSON201 == nil {
		t.Fatalf("landlord: %s", ll.Body)
	}
	prop, _ := ag.AddLandlordPropertyWithResponse(ctx, ll.JSON201.Id, contacthub.PropertyCreate{Uprn: "100023336"})
	tenant := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Tenant"), Identifiers: &[]contacthub.IdentifierInput{phone("07700900662")}})
	ten, _ := ag.AddTenancyWithResponse(ctx, ll.JSON201.Id, contacthub.TenancyCreate{PropertyId: prop.JSON201.Id, CustomerId: tenant.Id,
		StartsOn: openapi_types.Date{Time: time.Now().AddDate(-1, 0, 0)}})
	if ten.JSON201 == nil {
		t.Fatalf("tenancy: %s", ten.Body)
	}
	inv, _ := ag.InviteLandlordUserWithResponse(ctx, ll.JSON201.Id, contacthub.InvitationCreate{Email: "lettings@example.org"})
	user := landlordUser(h, ll.JSON201.Id, "ll-user")
	if ok, _ := user.AcceptInvitationWithResponse(ctx, inv.JSON201.Token); ok.JSON200 == nil {
		t.Fatalf("accept: %s", ok.Body)
	}
	return portal{landlord: ll.JSON201.Id, property: prop.JSON201.Id, tenant: tenant, user: user}
}

func TestAccess_ALandlordContactNeverJoinsTheTenantsOwnCase(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		p := newPortal(t, h)
		call := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(), CustomerId: &p.tenant.Id,
			Summary: ptr("private: I am leaving my partner")})
		tenantCase, _ := call.Case.Get()

		raise := func() contacthub.CitizenCase {
			t.Helper()
			r, _ := p.user.LandlordContactWithResponse(ctx, nil, contacthub.LandlordContactCreate{PropertyId: p.property, Service: councilTax(),
				Intent: ptr("change_of_tenant")})
			if r.JSON201 == nil || r.JSON201.Case.IsNull() {
				t.Fatalf("raise: %s", r.Body)
			}
			c, _ := r.JSON201.Case.Get()
			return c
		}
		first := raise()
		if first.Id == tenantCase.Id {
			t.Fatal("the landlord's contact joined the case the tenant opened by phone")
		}
		if c := caseOf(t, h, tenantCase.Id); c.ContactCount != 1 {
			t.Fatalf("the tenant's case has %d contacts, want 1", c.ContactCount)
		}
		// Nor does the tenant's own next call join the case the landlord raised.
		again := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(), CustomerId: &p.tenant.Id})
		if c, _ := again.Case.Get(); c.Id != tenantCase.Id {
			t.Fatalf("the tenant's call joined %s, want their own case %s", c.Id, tenantCase.Id)
		}
		if second := raise(); second.Id != first.Id {
			t.Fatalf("the landlord's second contact opened %s instead of joining its own case %s", second.Id, first.Id)
		}
		listed := func() []openapi_types.UUID {
			t.Helper()
			cases, _ := p.user.ListLandlordCasesWithResponse(ctx)
			if cases.JSON200 == nil {
				t.Fatalf("landlord cases: %s", cases.Body)
			}
			if strings.Contains(string(cases.Body), "private") || strings.Contains(string(cases.Body), "queue") {
				t.Fatalf("the landlord's list leaks: %s", cases.Body)
			}
			var ids []openapi_types.UUID
			for _, c := range cases.JSON200.Items {
				ids = append(ids, c.Id)
			}
			return ids
		}
		if ids := listed(); !slices.Equal(ids, []openapi_types.UUID{first.Id}) {
			t.Fatalf("the landlord sees %v, want only %s", ids, first.Id)
		}
		// A landlord contact joined to the tenant's case before this rule held still
		// does not make the tenant's case the landlord's.
		if _, err := h.app.DB.Exec(h.app.DB.Rebind(`UPDATE contacts SET case_id = ? WHERE id IN
 (SELECT id FROM contacts WHERE landlord_id = ? ORDER BY id DESC LIMIT 1)`), tenantCase.Id.String(), p.landlord.String()); err != nil {
			t.Fatal(err)
		}
		if ids := listed(); !slices.Equal(ids, []openapi_types.UUID{first.Id}) {
			t.Fatalf("after a legacy join the landlord sees %v, want only %s", ids, first.Id)
		}
	})
}

func TestAccess_ALandlordActsOnlyForCurrentTenancies(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		p := newPortal(t, h)
		former := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Former")})
		ago := time.Now().AddDate(-8, 0, 0)
		ended, _ := ag.AddTenancyWithResponse(ctx, p.landlord, contacthub.TenancyCreate{PropertyId: p.property, CustomerId: former.Id,
			StartsOn: openapi_types.Date{Time: ago}, EndsOn: &openapi_types.Date{Time: ago.AddDate(2, 0, 0)}})
		future := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Future")})
		next, _ := ag.AddTenancyWithResponse(ctx, p.landlord, contacthub.TenancyCreate{PropertyId: p.property, CustomerId: future.Id,
			StartsOn: openapi_types.Date{Time: time.Now().AddDate(1, 0, 0)}})
		if ended.JSON201 == nil || next.JSON201 == nil {
			t.Fatalf("tenancies: %s %s", ended.Body, next.Body)
		}
		formerCase := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(), CustomerId: &former.Id})
		contactsBefore, casesBefore := h.count("contacts"), h.count("cases")

		for name, tenancy := range map[string]openapi_types.UUID{"ended": ended.JSON201.Id, "not started": next.JSON201.Id} {
			r, _ := p.user.LandlordContactWithResponse(ctx, nil, contacthub.LandlordContactCreate{PropertyId: p.property, TenancyId: &tenancy, Service: councilTax()})
			pr := wantProblem(t, http.StatusUnprocessableEntity, r.Body, r.StatusCode(), "invalid-value")
			if !slices.Equal(fieldsOf(pr), []string{"tenancyId"}) {
				t.Fatalf("%s tenancy: fields %v: %s", name, fieldsOf(pr), r.Body)
			}
		}
		if h.count("contacts") != contactsBefore || h.count("cases") != casesBefore {
			t.Fatal("a refused landlord contact wrote something")
		}
		cases, _ := p.user.ListLandlordCasesWithResponse(ctx)
		if cases.JSON200 == nil || len(cases.JSON200.Items) != 0 || strings.Contains(string(cases.Body), formerCase.Contact.Id.String()) {
			t.Fatalf("the landlord sees %s", cases.Body)
		}
		// The portal lists the tenancies, which is current, and never who holds them.
		props, _ := p.user.ListMyPropertiesWithResponse(ctx)
		if props.JSON200 == nil || len(props.JSON200.Items) != 1 {
			t.Fatalf("properties: %s", props.Body)
		}
		current := map[openapi_types.UUID]bool{}
		for _, ten := range props.JSON200.Items[0].Tenancies {
			current[ten.Id] = ten.Current
		}
		if len(current) != 3 || current[ended.JSON201.Id] || current[next.JSON201.Id] {
			t.Fatalf("tenancies as the landlord sees them: %s", props.Body)
		}
		for _, someone := range []openapi_types.UUID{former.Id, future.Id, p.tenant.Id} {
			if strings.Contains(string(props.Body), someone.String()) || strings.Contains(string(props.Body), "customerId") {
				t.Fatalf("the landlord's property list names a tenant's record: %s", props.Body)
			}
		}
		// The one current tenancy still works, named or not.
		r, _ := p.user.LandlordContactWithResponse(ctx, nil, contacthub.LandlordContactCreate{PropertyId: p.property, Service: councilTax()})
		if r.JSON201 == nil {
			t.Fatalf("current tenancy: %s", r.Body)
		}
		contact, _ := ag.GetContactWithResponse(ctx, r.JSON201.ContactId)
		if *contact.JSON200.CustomerId != p.tenant.Id {
			t.Fatalf("the contact is on %s, want the current tenant", *contact.JSON200.CustomerId)
		}
	})
}

func TestAccess_AnInvitationIsAcceptedOnceUnderParallelAccepts(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		ll, _ := ag.CreateLandlordWithResponse(ctx, nil, contacthub.LandlordCreate{Name: "Race Lettings"})
		inv, _ := ag.InviteLandlordUserWithResponse(ctx, ll.JSON201.Id, contacthub.InvitationCreate{Email: "race@example.org"})
		if inv.JSON201 == nil {
			t.Fatalf("invite: %s", inv.Body)
		}
		const n = 12
		statuses := make([]int, n)
		bodies := make([][]byte, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			tok := h.token(auth.Claims{Subject: fmt.Sprintf("racer-%d", i), Roles: []auth.Role{auth.Landlord}, LandlordID: ll.JSON201.Id.String()})
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, err := http.NewRequest("POST", h.url+"/v1/invitations/"+inv.JSON201.Token+"/accept", nil)
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Authorization", "Bearer "+tok)
				<-start
				resp, err := h.http.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil {
					t.Error(err)
				}
				statuses[i], bodies[i] = resp.StatusCode, b
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, s := range statuses {
			switch s {
			case http.StatusOK:
				won++
			case http.StatusConflict:
				wantProblem(t, http.StatusConflict, bodies[i], s, "conflict")
			default:
				t.Errorf("accept %d: %d %s", i, s, bodies[i])
			}
		}
		if won != 1 {
			t.Fatalf("%d accepts succeeded, want exactly 1 (%v)", won, statuses)
		}
		if users := h.count("landlord_users"); users != 1 {
			t.Fatalf("%d landlord users, want 1", users)
		}
		var by string
		if err := h.app.DB.Get(&by, "SELECT accepted_by FROM landlord_invitations"); err != nil {
			t.Fatal(err)
		}
		var subject string
		if err := h.app.DB.Get(&subject, "SELECT subject FROM landlord_users"); err != nil || subject != by {
			t.Fatalf("the invitation was accepted by %q but the user is %q (%v)", by, subject, err)
		}
	})
}

func TestAccess_ChangingACaseNeedsItsTierOrItsClaim(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		fraud := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 726},
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900813")}})
		fc, _ := fraud.Case.Get()
		if c := caseOf(t, h, fc.Id); c.Tier != 3 || c.Queue != "fraud" {
			t.Fatalf("the fraud case is tier %d %s", c.Tier, c.Queue)
		}
		tier1 := h.token(agentClaims())
		tier2 := h.token(auth.Claims{Subject: "officer-olu", Roles: []auth.Role{auth.Agent}, Tier: 2})
		base := "/v1/cases/" + fc.Id.String()
		changes := []struct{ method, path, body string }{
			{"POST", base + "/resolve", `{"resolutionCode":"no_fraud_found"}`},
			{"POST", base + "/notes", `{"text":"looked at it"}`},
			{"POST", base + "/handoffs", `{"queue":"advisors","reason":"wrong_queue"}`},
			{"PATCH", base, `{"priority":5}`},
			{"POST", base + "/release", ``},
		}
		timelineBefore := caseTimelineLength(t, h, fc.Id)
		for _, tok := range []string{tier1, tier2} {
			for _, op := range changes {
				ct := ""
				if op.body != "" {
					ct = "application/json"
				}
				resp, body := h.raw(op.method, op.path, tok, ct, []byte(op.body), "If-Match", "*")
				p := wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")
				if p.Detail == nil || !strings.Contains(*p.Detail, "tier 3") {
					t.Errorf("%s %s: the refusal does not say why: %s", op.method, op.path, body)
				}
			}
		}
		// Nor through the contact that opened it, marked resolved at first contact later.
		resp, body := h.raw("PATCH", "/v1/contacts/"+fraud.Contact.Id.String(), tier1, "application/json",
			[]byte(`{"outcome":"resolved_first_contact"}`), "If-Match", "*")
		wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden")
		if got, _ := ag.GetContactWithResponse(ctx, fraud.Contact.Id); got.JSON200 == nil || got.JSON200.Outcome == contacthub.OutcomeResolvedFirstContact {
			t.Fatalf("the refused contact update was kept: %s", got.Body)
		}
		after := caseOf(t, h, fc.Id)
		if after.Version != 2 && after.Status != contacthub.CaseStatusOpen || after.Tier != 3 || after.Priority == 5 ||
			caseTimelineLength(t, h, fc.Id) != timelineBefore || h.count("case_handoffs") != 0 {
			t.Fatalf("a refused change was written: %+v", after)
		}

		// A supervisor gives the case to the advisor: holding its claim, they may work it.
		sup := supervisor(h)
		give := contacthub.CasePatch{}
		give.Assignee.Set("agent-alice")
		assign, _ := sup.UpdateCaseWithResponse(ctx, fc.Id, &contacthub.UpdateCaseParams{IfMatch: "*"}, give)
		if assign.JSON200 == nil {
			t.Fatalf("assign: %s", assign.Body)
		}
		note, _ := h.raw("POST", base+"/notes", tier1, "application/json", []byte(`{"text":"called the customer back"}`))
		if note.StatusCode != http.StatusCreated {
			t.Fatalf("the assignee could not add a note: %d", note.StatusCode)
		}
		resolved, body := h.raw("POST", base+"/resolve", tier1, "application/json", []byte(`{"resolutionCode":"no_fraud_found"}`))
		if resolved.StatusCode != http.StatusOK {
			t.Fatalf("the assignee could not resolve: %d %s", resolved.StatusCode, body)
		}
		reopen, body := h.raw("POST", base+"/reopen", tier2, "application/json", []byte(`{"reason":"new evidence"}`))
		wantProblem(t, http.StatusForbidden, body, reopen.StatusCode, "forbidden")
		tier3 := h.token(auth.Claims{Subject: "investigator-ida", Roles: []auth.Role{auth.Agent}, Tier: 3})
		reopen, body = h.raw("POST", base+"/reopen", tier3, "application/json", []byte(`{"reason":"new evidence"}`))
		if reopen.StatusCode != http.StatusOK {
			t.Fatalf("a tier 3 officer could not reopen: %d %s", reopen.StatusCode, body)
		}
		// Work at or below your tier needs no claim.
		general := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(),
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900814")}})
		gc, _ := general.Case.Get()
		if r, body := h.raw("POST", "/v1/cases/"+gc.Id.String()+"/resolve", tier1, "application/json", []byte(`{"resolutionCode":"answered"}`)); r.StatusCode != http.StatusOK {
			t.Fatalf("tier 1 on a tier 1 case: %d %s", r.StatusCode, body)
		}
	})
}

// TestAccess_AnOutageIsNotANotFound holds that a failing database is never answered
// as "no such case" or "invalid": the table a step needs is taken away, as an outage
// of that step would.
func TestAccess_AnOutageIsNotANotFound(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		amara := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Okafor")})
		raised, _ := citizen(h, amara.Id).ContactFromMyAccountWithResponse(ctx, nil, contacthub.MyContactCreate{Service: councilTax()})
		if raised.JSON201 == nil {
			t.Fatalf("raise: %s", raised.Body)
		}
		p := newPortal(t, h)
		tok := h.token(auth.Claims{Subject: "resident-amara", Roles: []auth.Role{auth.Citizen}, CustomerID: amara.Id.String()})
		llTok := h.token(auth.Claims{Subject: "ll-user", Roles: []auth.Role{auth.Landlord}, LandlordID: p.landlord.String()})
		for _, tc := range []struct {
			name, table, method, path, token, body string
		}{
			{"my case", "cases", "GET", "/v1/me/cases/" + raised.JSON201.Case.Id.String(), tok, ""},
			{"my rating of a contact", "contacts", "POST", "/v1/me/ratings", tok, `{"score":5,"contactId":"` + raised.JSON201.ContactId.String() + `"}`},
			{"a tenancy", "tenancies", "POST", "/v1/landlords/" + p.landlord.String() + "/tenancies", h.token(agentClaims()),
				`{"propertyId":"` + p.property.String() + `","customerId":"` + p.tenant.Id.String() + `","startsOn":"2024-01-01"}`},
			{"a landlord contact", "tenancies", "POST", "/v1/landlord/contacts", llTok, `{"propertyId":"` + p.property.String() + `","service":{"lgsl":58}}`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := h.app.DB.Exec("ALTER TABLE " + tc.table + " RENAME TO gone"); err != nil {
					t.Fatal(err)
				}
				defer func() {
					if _, err := h.app.DB.Exec("ALTER TABLE gone RENAME TO " + tc.table); err != nil {
						t.Fatal(err)
					}
				}()
				ct := ""
				if tc.body != "" {
					ct = "application/json"
				}
				resp, body := h.raw(tc.method, tc.path, tc.token, ct, []byte(tc.body))
				wantProblem(t, http.StatusInternalServerError, body, resp.StatusCode, "internal")
			})
		}
	})
}

// TestAccess_MyAccountShowsNoSafeguardingFlags: a resident the council has flagged as
// vulnerable and needing assisted digital help reads and changes their record on My
// Account; neither answer carries those assessments (nor any merge bookkeeping), while
// the preferences the resident set themselves come back.
func TestAccess_MyAccountShowsNoSafeguardingFlags(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		flagged := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Clarke"),
			Needs: &contacthub.Needs{Vulnerable: ptr(true), AssistedDigital: ptr(true), PreferredLanguage: ptr("cy")}})
		me := citizen(h, flagged.Id)
		got, _ := me.GetMeWithResponse(ctx)
		upd, _ := me.UpdateMeWithResponse(ctx, &contacthub.UpdateMeParams{IfMatch: `"1"`}, contacthub.MePatch{Accessibility: &[]string{"large print"}})
		if got.JSON200 == nil || upd.JSON200 == nil {
			t.Fatalf("me: %s / %s", got.Body, upd.Body)
		}
		for _, body := range [][]byte{got.Body, upd.Body} {
			for _, staffOnly := range []string{"vulnerable", "assistedDigital", "mergedInto", "needs"} {
				if strings.Contains(string(body), staffOnly) {
					t.Fatalf("My Account shows %q: %s", staffOnly, body)
				}
			}
		}
		p := upd.JSON200.Preferences
		if p.PreferredLanguage == nil || *p.PreferredLanguage != "cy" || p.Accessibility == nil || (*p.Accessibility)[0] != "large print" {
			t.Fatalf("the resident's own preferences: %s", upd.Body)
		}
		// The assessments are still there for staff.
		staff, _ := ag.GetCustomerWithResponse(ctx, flagged.Id)
		if staff.JSON200 == nil || !*staff.JSON200.Needs.Vulnerable || !*staff.JSON200.Needs.AssistedDigital {
			t.Fatalf("staff view lost the flags: %s", staff.Body)
		}
	})
}
