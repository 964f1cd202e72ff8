package contract

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	contacthub "github.com/council/contacthub/clients/go"
)

// TestStory_OneResidentThreeChannelsOneCaseOneTimeline is the walk-through of the README:
// a resident phones, then uses My Account, then visits a centre.
func TestStory_OneResidentThreeChannelsOneCaseOneTimeline(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		call := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 59, Category: ptr("single person discount")},
			GivenName: ptr("Edith"), FamilyName: ptr("Clarke"), Identifiers: &[]contacthub.IdentifierInput{phone("020 7946 0018")},
			Summary: ptr("Moved house, asks about single person discount")})
		cust, _ := call.Customer.Get()
		web := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelWebSelfService, Service: contacthub.Service{Lgsl: 59}, CustomerId: &cust.Id, Intent: ptr("progress_chasing")})
		visit := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelFaceToFace, Centre: ptr("civic-centre"), AssistedDigital: ptr(true),
			Service: contacthub.Service{Lgsl: 59}, Identifiers: &[]contacthub.IdentifierInput{phone("+442079460018")}})
		cs, _ := call.Case.Get()
		for _, r := range []contacthub.ContactRecorded{web, visit} {
			c, _ := r.Case.Get()
			k, _ := r.Customer.Get()
			if c.Id != cs.Id || k.Id != cust.Id {
				t.Fatalf("contact landed elsewhere: case %s customer %s", c.Id, k.Id)
			}
		}
		// Three contacts in a fortnight sent the case to tier 2: a tier 2 officer resolves it.
		resolved, err := officer(h, 2).ResolveCaseWithResponse(ctx, cs.Id, nil, contacthub.ResolveRequest{ResolutionCode: "discount_awarded", Note: ptr("25% applied from move date")})
		if err != nil || resolved.JSON200 == nil {
			t.Fatalf("resolve: %v %s", err, resolved.Body)
		}
		if resolved.JSON200.ResolvedAtFirstContact {
			t.Fatal("a case resolved after three contacts is not a first-contact resolution")
		}
		if h.count("customers") != 1 || h.count("cases") != 1 || h.count("contacts") != 3 {
			t.Fatalf("customers %d cases %d contacts %d", h.count("customers"), h.count("cases"), h.count("contacts"))
		}
		tl, err := ag.GetCaseTimelineWithResponse(ctx, cs.Id, nil)
		if err != nil || tl.JSON200 == nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, ev := range slices.Backward(tl.JSON200.Items) {
			kinds = append(kinds, ev.Kind)
		}
		// The third contact in two weeks trips the default rules' repeat-contacts rule:
		// the case goes to a tier 2 BLT officer to stop the repeats.
		want := []string{"case.opened", "contact.recorded", "case.contact_linked", "contact.recorded", "case.contact_linked",
			"case.handed_off", "contact.recorded", "case.contact_linked", "case.resolved"}
		if !slices.Equal(kinds, want) {
			t.Fatalf("case timeline (oldest first) = %v\nwant %v", kinds, want)
		}
		custTL, _ := ag.GetCustomerTimelineWithResponse(ctx, cust.Id, &contacthub.GetCustomerTimelineParams{Limit: ptr(100)})
		if n := len(custTL.JSON200.Items); n != len(want)+1 || custTL.JSON200.Items[n-1].Kind != "customer.created" {
			t.Fatalf("customer timeline has %d events, want the case's %d and customer.created", n, len(want))
		}
		channels := []string{}
		for _, ev := range slices.Backward(tl.JSON200.Items) {
			if ev.Kind == "contact.recorded" {
				channels = append(channels, ev.Data["channel"].(string))
			}
		}
		if !slices.Equal(channels, []string{"phone", "web_self_service", "face_to_face"}) {
			t.Fatalf("channels in order = %v", channels)
		}
	})
}

func TestCases_StatusMovesNotesResolveReopen(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		cust := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Nowak")})
		opened, err := ag.OpenCaseWithResponse(ctx, nil, contacthub.CaseCreate{CustomerId: cust.Id, Service: contacthub.Service{Lgsl: 69}, Priority: ptr(2)})
		if err != nil || opened.JSON201 == nil {
			t.Fatalf("open: %v %s", err, opened.Body)
		}
		cs := opened.JSON201
		if cs.Status != contacthub.CaseStatusOpen || cs.Tier != 1 || cs.Queue != "general" || cs.Priority != 2 || !cs.SlaDueAt.After(cs.CreatedAt) {
			t.Fatalf("opened = %+v", cs)
		}
		move := func(to contacthub.CasePatchStatus, ifMatch string) *contacthub.UpdateCaseResponse {
			t.Helper()
			resp, err := ag.UpdateCaseWithResponse(ctx, cs.Id, &contacthub.UpdateCaseParams{IfMatch: ifMatch}, contacthub.CasePatch{Status: &to})
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		if r := move(contacthub.CasePatchStatusAwaitingCustomer, `"1"`); r.JSON200 == nil || r.JSON200.Status != contacthub.CaseStatusAwaitingCustomer {
			t.Fatalf("to awaiting_customer: %s", r.Body)
		}
		stale := move(contacthub.CasePatchStatusOpen, `"1"`)
		wantProblem(t, http.StatusPreconditionFailed, stale.Body, stale.StatusCode(), "precondition-failed")
		closing := move(contacthub.CasePatchStatusClosed, "*")
		wantProblem(t, http.StatusConflict, closing.Body, closing.StatusCode(), "conflict")

		assignee := contacthub.CasePatch{}
		assignee.Assignee.Set("officer-olu")
		if r, _ := ag.UpdateCaseWithResponse(ctx, cs.Id, &contacthub.UpdateCaseParams{IfMatch: "*"}, assignee); r.JSON200 == nil || *r.JSON200.Assignee != "officer-olu" {
			t.Fatalf("assign: %s", r.Body)
		}
		note, err := ag.AddCaseNoteWithResponse(ctx, cs.Id, nil, contacthub.NoteCreate{Text: "Asked for payslips"})
		if err != nil || note.JSON201 == nil || note.JSON201.Kind != "case.note" || note.JSON201.Data["internal"] != true {
			t.Fatalf("note: %v %s", err, note.Body)
		}

		noCode, body := h.raw("POST", "/v1/cases/"+cs.Id.String()+"/resolve", h.token(agentClaims()), "application/json", []byte(`{}`))
		wantProblem(t, http.StatusBadRequest, body, noCode.StatusCode, "validation")
		res, _ := ag.ResolveCaseWithResponse(ctx, cs.Id, nil, contacthub.ResolveRequest{ResolutionCode: "claim_assessed"})
		if res.JSON200 == nil || res.JSON200.Status != contacthub.CaseStatusResolved || res.JSON200.ResolvedAt == nil {
			t.Fatalf("resolve: %s", res.Body)
		}
		again, _ := ag.ResolveCaseWithResponse(ctx, cs.Id, nil, contacthub.ResolveRequest{ResolutionCode: "again"})
		wantProblem(t, http.StatusConflict, again.Body, again.StatusCode(), "conflict")
		reopened, _ := ag.ReopenCaseWithResponse(ctx, cs.Id, nil, contacthub.ReopenRequest{Reason: "customer sent new evidence"})
		if reopened.JSON200 == nil || reopened.JSON200.Status != contacthub.CaseStatusOpen || reopened.JSON200.ResolutionCode != nil {
			t.Fatalf("reopen: %s", reopened.Body)
		}
		if r, _ := ag.ResolveCaseWithResponse(ctx, cs.Id, nil, contacthub.ResolveRequest{ResolutionCode: "claim_assessed"}); r.JSON200 == nil {
			t.Fatalf("resolve again: %s", r.Body)
		}
		if r := move(contacthub.CasePatchStatusClosed, "*"); r.JSON200 == nil || r.JSON200.Status != contacthub.CaseStatusClosed {
			t.Fatalf("close: %s", r.Body)
		}
		// A closed case is final: it cannot be resolved or reopened.
		closedResolve, _ := ag.ResolveCaseWithResponse(ctx, cs.Id, nil, contacthub.ResolveRequest{ResolutionCode: "x"})
		wantProblem(t, http.StatusConflict, closedResolve.Body, closedResolve.StatusCode(), "conflict")
		closedReopen, _ := ag.ReopenCaseWithResponse(ctx, cs.Id, nil, contacthub.ReopenRequest{Reason: "x"})
		wantProblem(t, http.StatusConflict, closedReopen.Body, closedReopen.StatusCode(), "conflict")

		list, _ := ag.ListCasesWithResponse(ctx, &contacthub.ListCasesParams{CustomerId: &cust.Id, Status: ptr(contacthub.CaseStatusClosed)})
		if len(list.JSON200.Items) != 1 {
			t.Fatalf("list closed = %+v", list.JSON200.Items)
		}
		list, _ = ag.ListCasesWithResponse(ctx, &contacthub.ListCasesParams{Assignee: ptr("nobody")})
		if len(list.JSON200.Items) != 0 {
			t.Fatal("assignee filter ignored")
		}
		tl, _ := ag.GetCaseTimelineWithResponse(ctx, cs.Id, &contacthub.GetCaseTimelineParams{Limit: ptr(100)})
		var kinds []string
		for _, ev := range slices.Backward(tl.JSON200.Items) {
			kinds = append(kinds, ev.Kind)
		}
		want := []string{"case.opened", "case.status_changed", "case.assigned", "case.note", "case.resolved", "case.reopened", "case.resolved", "case.status_changed"}
		if !slices.Equal(kinds, want) {
			t.Fatalf("timeline = %v\nwant %v", kinds, want)
		}
		missing, _ := ag.GetCaseWithResponse(ctx, uuid.Must(uuid.NewV7()))
		wantProblem(t, http.StatusNotFound, missing.Body, missing.StatusCode(), "not-found")
		// A case with no events to show is looked up, so an unknown case is a 404, not an empty page.
		noTimeline, _ := ag.GetCaseTimelineWithResponse(ctx, uuid.Must(uuid.NewV7()), nil)
		if p := wantProblem(t, http.StatusNotFound, noTimeline.Body, noTimeline.StatusCode(), "not-found"); p.Detail == nil || !strings.Contains(*p.Detail, "no case") {
			t.Fatalf("detail = %v, want it to name the missing case", p.Detail)
		}
	})
}

func TestCases_OverdueFilter(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		cust := createCustomer(t, ag, contacthub.CustomerCreate{FamilyName: ptr("Late")})
		late, _ := ag.OpenCaseWithResponse(ctx, nil, contacthub.CaseCreate{CustomerId: cust.Id, Service: contacthub.Service{Lgsl: 58}})
		onTime, _ := ag.OpenCaseWithResponse(ctx, nil, contacthub.CaseCreate{CustomerId: cust.Id, Service: contacthub.Service{Lgsl: 474}})
		past := late.JSON201.CreatedAt.Add(-1)
		ag.UpdateCaseWithResponse(ctx, late.JSON201.Id, &contacthub.UpdateCaseParams{IfMatch: "*"}, contacthub.CasePatch{SlaDueAt: &past})
		overdue, _ := ag.ListCasesWithResponse(ctx, &contacthub.ListCasesParams{Overdue: ptr(true)})
		if len(overdue.JSON200.Items) != 1 || overdue.JSON200.Items[0].Id != late.JSON201.Id {
			t.Fatalf("overdue = %+v", overdue.JSON200.Items)
		}
		fine, _ := ag.ListCasesWithResponse(ctx, &contacthub.ListCasesParams{Overdue: ptr(false)})
		if len(fine.JSON200.Items) != 1 || fine.JSON200.Items[0].Id != onTime.JSON201.Id {
			t.Fatalf("not overdue = %+v", fine.JSON200.Items)
		}
	})
}

func TestReferrals_ToPartnersWithStatusOnTheTimeline(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		got := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: contacthub.Service{Lgsl: 66},
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900321")}})
		cs, _ := got.Case.Get()
		bad, _ := ag.ReferCaseWithResponse(ctx, cs.Id, nil, contacthub.ReferralCreate{Partner: "ministry-of-magic", Reason: "x"})
		if p := wantProblem(t, http.StatusUnprocessableEntity, bad.Body, bad.StatusCode(), "invalid-value"); !contains(fieldsOf(p), "partner") {
			t.Fatalf("unknown partner not named: %s", bad.Body)
		}
		ref, err := ag.ReferCaseWithResponse(ctx, cs.Id, nil, contacthub.ReferralCreate{Partner: "citizens-advice", Reason: "debt advice for overpayment"})
		if err != nil || ref.JSON201 == nil || ref.JSON201.Status != contacthub.Sent || ref.JSON201.ReferredBy != "agent-alice" {
			t.Fatalf("refer: %v %s", err, ref.Body)
		}
		step := func(to contacthub.ReferralStatus) *contacthub.UpdateReferralResponse {
			r, err := ag.UpdateReferralWithResponse(ctx, ref.JSON201.Id, nil, contacthub.ReferralPatch{Status: to})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		skip := step(contacthub.Completed)
		wantProblem(t, http.StatusConflict, skip.Body, skip.StatusCode(), "conflict")
		if r := step(contacthub.Accepted); r.JSON200 == nil || r.JSON200.Status != contacthub.Accepted || r.JSON200.Version != 2 {
			t.Fatalf("accept: %s", r.Body)
		}
		if r := step(contacthub.Completed); r.JSON200 == nil {
			t.Fatalf("complete: %s", r.Body)
		}
		after := step(contacthub.Declined)
		wantProblem(t, http.StatusConflict, after.Body, after.StatusCode(), "conflict")
		list, _ := ag.ListCaseReferralsWithResponse(ctx, cs.Id)
		if len(list.JSON200.Items) != 1 || list.JSON200.Items[0].Status != contacthub.Completed {
			t.Fatalf("referrals = %+v", list.JSON200.Items)
		}
		tl, _ := ag.GetCaseTimelineWithResponse(ctx, cs.Id, nil)
		var kinds []string
		for _, ev := range tl.JSON200.Items[:3] {
			kinds = append(kinds, ev.Kind)
		}
		if !slices.Equal(kinds, []string{"referral.updated", "referral.updated", "referral.made"}) {
			t.Fatalf("timeline = %v", kinds)
		}
	})
}

func TestMerge_CarriesContactsAndCasesAndUndoBringsThemBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		ag := h.agent()
		a := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(), FamilyName: ptr("Okafor"),
			Identifiers: &[]contacthub.IdentifierInput{phone("07700900101")}})
		b := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelEmail, Service: contacthub.Service{Lgsl: 474}, FamilyName: ptr("Okafor"),
			Identifiers: &[]contacthub.IdentifierInput{{Kind: contacthub.IdentifierKindEmail, Value: "amara@example.org"}}})
		survivor, _ := a.Customer.Get()
		duplicate, _ := b.Customer.Get()
		merged, _ := ag.MergeCustomerWithResponse(ctx, survivor.Id, nil, contacthub.MergeRequest{DuplicateId: duplicate.Id, Reason: "same person"})
		if merged.JSON200 == nil {
			t.Fatalf("merge: %s", merged.Body)
		}
		cases, _ := ag.ListCasesWithResponse(ctx, &contacthub.ListCasesParams{CustomerId: &survivor.Id})
		contacts, _ := ag.ListContactsWithResponse(ctx, &contacthub.ListContactsParams{CustomerId: &survivor.Id})
		if len(cases.JSON200.Items) != 2 || len(contacts.JSON200.Items) != 2 {
			t.Fatalf("survivor has %d cases and %d contacts, want 2 and 2", len(cases.JSON200.Items), len(contacts.JSON200.Items))
		}
		tl, _ := ag.GetCustomerTimelineWithResponse(ctx, survivor.Id, &contacthub.GetCustomerTimelineParams{Limit: ptr(100)})
		hasDupEvent := slices.ContainsFunc(tl.JSON200.Items, func(ev contacthub.TimelineEvent) bool {
			return ev.CustomerId != nil && *ev.CustomerId == duplicate.Id && ev.Kind == "contact.recorded"
		})
		if !hasDupEvent {
			t.Fatal("the survivor's timeline does not show the duplicate's history")
		}
		// A new contact by the duplicate's email now lands on the survivor's open case.
		next := record(t, ag, contacthub.ContactCreate{Channel: contacthub.ChannelEmail, Service: contacthub.Service{Lgsl: 474},
			Identifiers: &[]contacthub.IdentifierInput{{Kind: contacthub.IdentifierKindEmail, Value: "amara@example.org"}}})
		nc, _ := next.Customer.Get()
		ncase, _ := next.Case.Get()
		bcase, _ := b.Case.Get()
		if nc.Id != survivor.Id || ncase.Id != bcase.Id {
			t.Fatalf("after merge the email reached %s / case %s", nc.Id, ncase.Id)
		}
		undo, _ := ag.UndoMergeWithResponse(ctx, merged.JSON200.MergeId, nil, contacthub.UndoMergeRequest{})
		if undo.JSON200 == nil {
			t.Fatalf("undo: %s", undo.Body)
		}
		back, _ := ag.ListCasesWithResponse(ctx, &contacthub.ListCasesParams{CustomerId: &duplicate.Id})
		if len(back.JSON200.Items) != 1 || back.JSON200.Items[0].Id != bcase.Id {
			t.Fatalf("undo did not return the duplicate's case: %+v", back.JSON200.Items)
		}
		backContacts, _ := ag.ListContactsWithResponse(ctx, &contacthub.ListContactsParams{CustomerId: &duplicate.Id})
		if len(backContacts.JSON200.Items) != 1 {
			t.Fatalf("undo returned %d contacts, want the one that was moved", len(backContacts.JSON200.Items))
		}
	})
}
