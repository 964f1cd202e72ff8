package contract

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	contacthub "github.com/council/contacthub/clients/go"
	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
)

// reportsWorld is the contacts the report tests write: two weeks (2–15 November 2026)
// and the two weeks before them, on known channels and outcomes.
type reportsWorld struct {
	ag, sup           *contacthub.ClientWithResponses
	supToken          string
	c, d              contacthub.Customer
	faceToFaceContact string
}

func at(day string, hour int) *time.Time {
	t := dateOf(day).Add(time.Duration(hour) * time.Hour)
	return &t
}

func writeReportsWorld(t *testing.T, h *hub) reportsWorld {
	t.Helper()
	w := reportsWorld{ag: h.agent()}
	w.supToken = h.token(auth.Claims{Subject: "sup-sam", Roles: []auth.Role{auth.Supervisor}})
	w.sup = h.client(w.supToken)
	a := createCustomer(t, w.ag, contacthub.CustomerCreate{FamilyName: ptr("Adeyemi"), Identifiers: &[]contacthub.IdentifierInput{phone("07700900201")}})
	b := createCustomer(t, w.ag, contacthub.CustomerCreate{FamilyName: ptr("Brennan"), Identifiers: &[]contacthub.IdentifierInput{phone("07700900202")}})
	w.c = createCustomer(t, w.ag, contacthub.CustomerCreate{FamilyName: ptr("Chowdhury"), Identifiers: &[]contacthub.IdentifierInput{phone("07700900203")}})
	w.d = createCustomer(t, w.ag, contacthub.CustomerCreate{FamilyName: ptr("Chowdhury"), Identifiers: &[]contacthub.IdentifierInput{phone("07700900204")}})
	contact := func(who contacthub.Customer, ch contacthub.Channel, when *time.Time, outcome contacthub.Outcome, intent string) contacthub.ContactRecorded {
		in := contacthub.ContactCreate{Channel: ch, Service: councilTax(), CustomerId: &who.Id, StartedAt: when, Outcome: &outcome}
		if intent != "" {
			in.Intent = &intent
		}
		if ch == contacthub.ChannelFaceToFace {
			in.Centre = ptr("civic-centre")
		}
		return record(t, w.ag, in)
	}
	// This span: week of 2 November — phone resolved there and then, then a web form
	// chasing progress (its case was resolved, so it opens another); week of 9 November
	// — web self-service, then face to face a day later (a repeat on the same open case),
	// in progress until it is handed off below.
	contact(a, contacthub.ChannelPhone, at("2026-11-02", 9), contacthub.OutcomeResolvedFirstContact, "")
	contact(a, contacthub.ChannelWebForm, at("2026-11-03", 10), contacthub.OutcomeInProgress, "progress_chasing")
	contact(b, contacthub.ChannelWebSelfService, at("2026-11-09", 11), contacthub.OutcomeSelfServed, "")
	f2f := contact(b, contacthub.ChannelFaceToFace, at("2026-11-10", 12), contacthub.OutcomeInProgress, "")
	w.faceToFaceContact = f2f.Contact.Id.String()
	handed := contacthub.OutcomeHandedOff
	up, err := w.ag.UpdateContactWithResponse(ctx, f2f.Contact.Id, &contacthub.UpdateContactParams{IfMatch: "*"}, contacthub.ContactPatch{Outcome: &handed})
	if err != nil || up.JSON200 == nil {
		t.Fatalf("hand off the face-to-face contact: %v %s", err, up.Body)
	}
	// The span before (19 October – 1 November): C twice by phone, D by letter and email.
	contact(w.c, contacthub.ChannelPhone, at("2026-10-20", 9), contacthub.OutcomeInProgress, "")
	contact(w.c, contacthub.ChannelPhone, at("2026-10-21", 9), contacthub.OutcomeInProgress, "")
	contact(w.d, contacthub.ChannelLetter, at("2026-10-22", 9), contacthub.OutcomeInProgress, "")
	contact(w.d, contacthub.ChannelEmail, at("2026-10-23", 9), contacthub.OutcomeInProgress, "")
	return w
}

// getReport fetches path as the supervisor, in the form accept names.
func (w reportsWorld) get(t *testing.T, h *hub, path, accept string) (*http.Response, []byte) {
	t.Helper()
	resp, body := h.raw("GET", path, w.supToken, "", nil, "Accept", accept)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s (%s): %d %s", path, accept, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, accept) {
		t.Fatalf("GET %s: Content-Type %q, want %s", path, ct, accept)
	}
	return resp, body
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return v
}

const fortnight = "?from=2026-11-02&to=2026-11-15&period=week"

func TestReports_ChannelShiftCountsEachContactOnceInItsWeekAgainstTheFortnightBefore(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := writeReportsWorld(t, h)
		_, body := w.get(t, h, "/v1/reports/channel-shift"+fortnight, "application/json")
		r := decode[contacthub.ChannelShiftReport](t, body)
		if r.Total != 4 || r.DigitalShare != 0.5 || r.Previous.Total != 4 || r.Previous.DigitalShare != 0.25 ||
			r.ContactsChange != 0 || r.DigitalShareChange != 0.25 {
			t.Fatalf("totals = %d %.2f, previous %+v, change %.2f %.2f", r.Total, r.DigitalShare, r.Previous, r.ContactsChange, r.DigitalShareChange)
		}
		if r.Previous.From.Format(time.DateOnly) != "2026-10-19" || r.Previous.To.Format(time.DateOnly) != "2026-11-01" {
			t.Fatalf("previous span = %s – %s", r.Previous.From, r.Previous.To)
		}
		if len(r.Periods) != 2 || r.Periods[0].Start.Format(time.DateOnly) != "2026-11-02" || r.Periods[1].Start.Format(time.DateOnly) != "2026-11-09" {
			t.Fatalf("periods = %+v", r.Periods)
		}
		want := []map[string]int{{"phone": 1, "web_form": 1}, {"web_self_service": 1, "face_to_face": 1}}
		for i, p := range r.Periods {
			for ch, n := range p.Contacts {
				if n != want[i][ch] {
					t.Errorf("week %d, %s = %d, want %d", i, ch, n, want[i][ch])
				}
			}
			if p.Total != 2 || len(p.Contacts) != 9 {
				t.Errorf("week %d: total %d over %d channels", i, p.Total, len(p.Contacts))
			}
		}
		if len(r.Channels) != 9 || r.Channels[0].Channel != contacthub.ChannelWebSelfService || !r.Channels[0].Digital {
			t.Fatalf("channels = %+v", r.Channels)
		}
		// Filtered to the phone, by day: one contact, on its day.
		_, body = w.get(t, h, "/v1/reports/channel-shift?from=2026-11-02&to=2026-11-15&period=day&channel=phone", "application/json")
		byDay := decode[contacthub.ChannelShiftReport](t, body)
		if len(byDay.Periods) != 14 || byDay.Total != 1 || byDay.Periods[0].Contacts["phone"] != 1 || byDay.Previous.Total != 2 {
			t.Fatalf("phone by day: total %d, %d periods, first %+v, previous %d", byDay.Total, len(byDay.Periods), byDay.Periods[0], byDay.Previous.Total)
		}
		// At the centre: only the face-to-face contact.
		_, body = w.get(t, h, "/v1/reports/channel-shift"+fortnight+"&centre=civic-centre", "application/json")
		if r := decode[contacthub.ChannelShiftReport](t, body); r.Total != 1 || r.Periods[1].Contacts["face_to_face"] != 1 {
			t.Fatalf("civic centre: %+v", r)
		}
	})
}

func TestReports_ResolutionFollowsAnOutcomeChangedAfterRecording(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := writeReportsWorld(t, h)
		_, body := w.get(t, h, "/v1/reports/resolution"+fortnight, "application/json")
		r := decode[contacthub.ResolutionReport](t, body)
		got := r.Totals
		if got.Contacts != 4 || got.ResolvedFirstContact != 1 || got.SelfServed != 1 || got.HandedOff != 1 ||
			got.FirstContactResolutionRate != 0.25 || got.SelfServedRate != 0.25 || got.HandoffRate != 0.25 {
			t.Fatalf("totals = %+v", got)
		}
		// Three of the four opened a case (the face-to-face contact joined B's), all at tier 1.
		if opened := r.CasesOpenedByTier["1"] + r.CasesOpenedByTier["2"] + r.CasesOpenedByTier["3"]; opened != 3 {
			t.Fatalf("cases opened by tier = %v", r.CasesOpenedByTier)
		}
		if len(r.ByChannel) != 4 || len(r.ByService) != 1 || r.ByService[0].Key != "58" || r.ByService[0].Rates.Contacts != 4 {
			t.Fatalf("by channel %+v, by service %+v", r.ByChannel, r.ByService)
		}
		if r.Periods[1].Rates.HandedOff != 1 || r.Periods[0].Rates.HandedOff != 0 {
			t.Fatalf("periods = %+v", r.Periods)
		}
	})
}

func TestReports_HandoffsByReasonAndTierPair(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := writeReportsWorld(t, h)
		rec := record(t, w.ag, contacthub.ContactCreate{Channel: contacthub.ChannelPhone, Service: councilTax(), CustomerId: &w.c.Id})
		caseID := rec.Case.MustGet().Id
		if resp, err := w.ag.HandOffCaseWithResponse(ctx, caseID, nil, contacthub.HandoffRequest{Queue: "blt-officers", Reason: "complexity"}); err != nil || resp.JSON201 == nil {
			t.Fatalf("hand off: %v %s", err, resp.Body)
		}
		today := time.Now().UTC().Format(time.DateOnly)
		_, body := w.get(t, h, "/v1/reports/resolution?from="+today+"&to="+today+"&period=day", "application/json")
		r := decode[contacthub.ResolutionReport](t, body)
		if r.Handoffs != 1 || len(r.HandoffsByReason) != 1 || r.HandoffsByReason[0].Reason != "complexity" ||
			len(r.HandoffsByTiers) != 1 || r.HandoffsByTiers[0].FromTier != 1 || r.Totals.Contacts != 1 {
			t.Fatalf("hand-offs = %d %+v %+v, contacts %d", r.Handoffs, r.HandoffsByReason, r.HandoffsByTiers, r.Totals.Contacts)
		}
		// Filtered to another service, the case's hand-off is not counted.
		_, body = w.get(t, h, "/v1/reports/resolution?from="+today+"&to="+today+"&service=57", "application/json")
		if r := decode[contacthub.ResolutionReport](t, body); r.Handoffs != 0 || r.Totals.Contacts != 0 {
			t.Fatalf("service 57: %d hand-offs, %d contacts", r.Handoffs, r.Totals.Contacts)
		}
	})
}

func TestReports_AvoidableAndRepeatCustomersCountAMergedCustomerOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := writeReportsWorld(t, h)
		avoidable := func(n int) contacthub.AvoidableReport {
			_, body := w.get(t, h, "/v1/reports/avoidable"+fortnight+"&repeatDays=28&repeatContacts="+url.QueryEscape(string(rune('0'+n))), "application/json")
			return decode[contacthub.AvoidableReport](t, body)
		}
		r := avoidable(3)
		if r.Contacts != 4 || r.Avoidable != 2 || r.Rate != 0.5 {
			t.Fatalf("avoidable %d of %d (%.2f)", r.Avoidable, r.Contacts, r.Rate)
		}
		by := map[contacthub.AvoidableReason]int{}
		for _, c := range r.ByReason {
			by[c.Reason] = c.Count
		}
		if by["progress_chasing"] != 1 || by["repeat"] != 1 || by["misdirected"] != 0 || by["past_sla"] != 0 || len(r.ByReason) != 5 {
			t.Fatalf("by reason = %+v", r.ByReason)
		}
		if len(r.Services) != 1 || r.Services[0].Service != 58 || r.Services[0].Avoidable != 2 {
			t.Fatalf("services = %+v", r.Services)
		}
		// Every customer has two contacts in the 28 days: none has three.
		if r.RepeatCustomers.Customers != 0 || avoidable(2).RepeatCustomers.Customers != 4 {
			t.Fatalf("repeat customers before the merge: %d with 3+, %d with 2+", r.RepeatCustomers.Customers, avoidable(2).RepeatCustomers.Customers)
		}
		merged, err := w.ag.MergeCustomerWithResponse(ctx, w.c.Id, nil, contacthub.MergeRequest{DuplicateId: w.d.Id, Reason: "same person"})
		if err != nil || merged.JSON200 == nil {
			t.Fatalf("merge: %v %s", err, merged.Body)
		}
		// C and D are one person with four contacts: one customer with 3+, three with 2+.
		if n3, n2 := avoidable(3).RepeatCustomers.Customers, avoidable(2).RepeatCustomers.Customers; n3 != 1 || n2 != 3 {
			t.Fatalf("after the merge: %d with 3+, %d with 2+; want 1 and 3", n3, n2)
		}
		undone, err := w.ag.UndoMergeWithResponse(ctx, merged.JSON200.MergeId, nil, contacthub.UndoMergeRequest{})
		if err != nil || undone.JSON200 == nil {
			t.Fatalf("undo: %v %s", err, undone.Body)
		}
		if n3, n2 := avoidable(3).RepeatCustomers.Customers, avoidable(2).RepeatCustomers.Customers; n3 != 0 || n2 != 4 {
			t.Fatalf("after the undo: %d with 3+, %d with 2+; want 0 and 4", n3, n2)
		}
		// The merge moved no contact between days or channels.
		if after := avoidable(3); after.Contacts != 4 || after.Avoidable != 2 {
			t.Fatalf("after merge and undo: %d avoidable of %d", after.Avoidable, after.Contacts)
		}
	})
}

func TestReports_CostToServeAtTheDefaultUnitCostsAndATargetMix(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := writeReportsWorld(t, h)
		_, body := w.get(t, h, "/v1/reports/cost-to-serve"+fortnight, "application/json")
		r := decode[contacthub.CostToServeReport](t, body)
		// Phone £2.90 + web form £0.32 + web self-service £0.32 + face to face £7.40.
		if r.Contacts != 4 || r.CostPence != 1094 || r.ResolvedContacts != 2 || r.CostPerResolvedPence != 547 {
			t.Fatalf("cost = %d pence for %d contacts, %d resolved at %d each", r.CostPence, r.Contacts, r.ResolvedContacts, r.CostPerResolvedPence)
		}
		if !strings.Contains(r.UnitCosts.Source, "Socitm") || r.UnitCosts.Pence["face_to_face"] != 740 ||
			!slices.Contains(r.UnitCosts.Unpriced, contacthub.ChannelEmail) {
			t.Fatalf("unit costs = %+v", r.UnitCosts)
		}
		// At 80 % digital the four contacts are 1.6 + 1.6 on the two web channels used and
		// 0.4 + 0.4 on phone and face to face: 51 + 51 + 116 + 296 pence.
		if r.TargetDigitalShare != 0.8 || r.TargetCostPence != 514 || r.SavingPence != 580 {
			t.Fatalf("target: %.2f digital costs %d (saving %d)", r.TargetDigitalShare, r.TargetCostPence, r.SavingPence)
		}
	})
}

func TestReports_CostToServeUsesConfiguredUnitCosts(t *testing.T) {
	b := backends(t)[0]
	h := startHub(t, b, func(c *config.Config) {
		c.UnitCosts = `{"source": "PwC, 19 London and South East councils", "pence": {"phone": 339, "face_to_face": 1053, "web_form": 8, "web_self_service": 8, "letter": 1210}}`
	})
	w := writeReportsWorld(t, h)
	_, body := w.get(t, h, "/v1/reports/cost-to-serve"+fortnight, "application/json")
	r := decode[contacthub.CostToServeReport](t, body)
	if r.CostPence != 339+8+8+1053 || !strings.HasPrefix(r.UnitCosts.Source, "PwC") {
		t.Fatalf("cost %d pence from %q", r.CostPence, r.UnitCosts.Source)
	}
}

func TestReports_AnEmptyPeriodAnswersZeros(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := reportsWorld{supToken: h.token(auth.Claims{Subject: "sup", Roles: []auth.Role{auth.Supervisor}})}
		_, body := w.get(t, h, "/v1/reports/channel-shift?from=2020-01-01&to=2020-03-31&period=month", "application/json")
		r := decode[contacthub.ChannelShiftReport](t, body)
		if r.Total != 0 || len(r.Periods) != 3 || r.Periods[2].Total != 0 || r.DigitalShare != 0 {
			t.Fatalf("empty quarter = %+v", r)
		}
		for _, path := range []string{"resolution", "avoidable", "cost-to-serve"} {
			w.get(t, h, "/v1/reports/"+path+"?from=2020-01-01&to=2020-03-31&period=month", "application/json")
			w.get(t, h, "/v1/reports/"+path+"?from=2020-01-01&to=2020-03-31&period=month", "text/csv")
			w.get(t, h, "/v1/reports/"+path+"?from=2020-01-01&to=2020-03-31&period=month", "image/svg+xml")
		}
	})
}

func TestReports_BadInputNamesTheParameter(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		token := h.token(auth.Claims{Subject: "sup", Roles: []auth.Role{auth.Supervisor}})
		for _, tc := range []struct {
			query  string
			status int
			field  string
		}{
			{"?from=2026-11-15&to=2026-11-02", http.StatusUnprocessableEntity, "to"},
			{"?from=2020-01-01&to=2025-01-02", http.StatusUnprocessableEntity, "to"},
			{"?from=2026-11-02&to=2026-11-15&service=9999", http.StatusUnprocessableEntity, "service"},
			{"?from=2026-11-02&to=2026-11-15&centre=nowhere", http.StatusUnprocessableEntity, "centre"},
			{"?from=2026-11-02&to=2026-11-15&period=year", http.StatusBadRequest, "period"},
			{"?from=2026-11-02&to=2026-11-15&channel=pigeon", http.StatusBadRequest, "channel"},
			{"?from=yesterday&to=2026-11-15", http.StatusBadRequest, "from"},
			{"?to=2026-11-15", http.StatusBadRequest, "from"},
		} {
			for _, path := range []string{"channel-shift", "resolution", "avoidable", "cost-to-serve"} {
				resp, body := h.raw("GET", "/v1/reports/"+path+tc.query, token, "", nil)
				if resp.StatusCode != tc.status {
					t.Fatalf("%s%s: %d, want %d: %.300s", path, tc.query, resp.StatusCode, tc.status, body)
				}
				if fields := fieldsOf(problemOf(t, body)); !slices.Contains(fields, tc.field) {
					t.Fatalf("%s%s names %v, want %s: %s", path, tc.query, fields, tc.field, body)
				}
			}
		}
		// Exactly five years is allowed.
		if resp, body := h.raw("GET", "/v1/reports/channel-shift?from=2020-01-01&to=2024-12-31&period=month", token, "", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("five years: %d %s", resp.StatusCode, body)
		}
		resp, body := h.raw("GET", "/v1/reports/cost-to-serve?from=2026-11-02&to=2026-11-15&targetDigitalShare=1.5", token, "", nil)
		if resp.StatusCode != http.StatusBadRequest || !slices.Contains(fieldsOf(problemOf(t, body)), "targetDigitalShare") {
			t.Fatalf("target 1.5: %d %s", resp.StatusCode, body)
		}
	})
}

func TestReports_CSVHasPlainHeadersAndNumbersAndSVGIsAnAccessibleChart(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := writeReportsWorld(t, h)
		_, body := w.get(t, h, "/v1/reports/channel-shift"+fortnight, "text/csv")
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		if lines[0] != "Period start,Channel,Digital,Contacts,Share of period" || len(lines) != 1+2*9 {
			t.Fatalf("csv head %q, %d lines", lines[0], len(lines))
		}
		if !slices.Contains(lines, "2026-11-02,Phone,false,1,0.5000") || !slices.Contains(lines, "2026-11-09,Face to face,false,1,0.5000") {
			t.Fatalf("csv rows:\n%s", body)
		}
		for path, title := range map[string]string{"channel-shift": "Contacts by channel", "resolution": "Resolution at first contact, self-service and hand-offs",
			"avoidable": "Avoidable contacts", "cost-to-serve": "Cost to serve by channel"} {
			_, svg := w.get(t, h, "/v1/reports/"+path+fortnight, "image/svg+xml")
			s := string(svg)
			for _, want := range []string{`<title id="chart-title">` + title + `</title>`, `role="img"`, `viewBox="0 0 800 450"`, `aria-label="Legend"`} {
				if !strings.Contains(s, want) {
					t.Errorf("%s chart lacks %s", path, want)
				}
			}
		}
		_, svg := w.get(t, h, "/v1/reports/channel-shift"+fortnight, "image/svg+xml")
		if !strings.Contains(string(svg), "<title>Phone, w/c 2 Nov 2026: 1</title>") {
			t.Fatalf("the phone bar does not say its number:\n%s", svg)
		}
		_, svg = w.get(t, h, "/v1/reports/cost-to-serve"+fortnight, "image/svg+xml")
		if !strings.Contains(string(svg), "Face to face: £7.40</title>") {
			t.Fatalf("the face-to-face cost bar does not say its cost:\n%s", svg)
		}
	})
}

func TestSatisfactionReport_GroupsByWeekAndMonth(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		for _, score := range []int{5, 3} {
			if resp, body := h.raw("POST", "/v1/ratings", "", "application/json",
				[]byte(`{"source":"web_page","score":`+string(rune('0'+score))+`,"pageUrl":"https://www.example.gov.uk/council-tax"}`)); resp.StatusCode != http.StatusCreated {
				t.Fatalf("rate: %d %s", resp.StatusCode, body)
			}
		}
		now := time.Now().UTC()
		monday := now.AddDate(0, 0, -((int(now.Weekday()) + 6) % 7)).Format(time.DateOnly)
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		token := h.token(auth.Claims{Subject: "sup", Roles: []auth.Role{auth.Supervisor}})
		for by, want := range map[string]string{"week": monday, "month": first} {
			q := url.Values{"from": {now.Add(-time.Hour).Format(time.RFC3339)}, "to": {now.Add(time.Hour).Format(time.RFC3339)}, "groupBy": {by}}
			resp, body := h.raw("GET", "/v1/reports/satisfaction?"+q.Encode(), token, "", nil)
			r := decode[contacthub.SatisfactionReport](t, body)
			if resp.StatusCode != http.StatusOK || len(r.Groups) != 1 || r.Groups[0].Key != want || r.Groups[0].Count != 2 || r.Groups[0].Mean != 4 {
				t.Fatalf("by %s: %d %s, want one group %s", by, resp.StatusCode, body, want)
			}
		}
	})
}
