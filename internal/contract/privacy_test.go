package contract

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/config"
)

// Privacy (issue 14): the audit of personal data, subject access exports and erasure.

// call sends a JSON request and decodes a JSON answer, failing unless it has status want.
func call(t *testing.T, h *hub, token, method, path string, body any, want int, headers ...string) map[string]any {
	t.Helper()
	var raw []byte
	ct := ""
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
		ct = "application/json"
	}
	resp, out := h.raw(method, path, token, ct, raw, headers...)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, out)
	}
	m := map[string]any{}
	if len(out) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, out)
		}
	}
	return m
}

type privacyWorld struct {
	h                    *hub
	agent, admin, system string
}

func newPrivacyWorld(h *hub) privacyWorld {
	return privacyWorld{h: h,
		agent:  h.token(auth.Claims{Subject: "agent-alice", Roles: []auth.Role{auth.Agent}, Tier: 3}),
		admin:  h.token(auth.Claims{Subject: "admin-ade", Roles: []auth.Role{auth.Admin}}),
		system: h.token(auth.Claims{Subject: "crm", Roles: []auth.Role{auth.Integration}})}
}

// flushAudit waits for the audit entries of the requests answered so far.
func (w privacyWorld) flushAudit(t *testing.T) {
	t.Helper()
	if err := w.h.app.Audit.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// auditOf lists every audit entry about customer.
func (w privacyWorld) auditOf(t *testing.T, query string) []map[string]any {
	t.Helper()
	w.flushAudit(t)
	var out []map[string]any
	next := "/v1/audit?limit=3&" + query
	for next != "" {
		page := call(t, w.h, w.admin, "GET", next, nil, http.StatusOK)
		for _, it := range page["items"].([]any) {
			out = append(out, it.(map[string]any))
		}
		next = ""
		if c, ok := page["nextCursor"].(string); ok {
			next = "/v1/audit?limit=3&" + query + "&cursor=" + url.QueryEscape(c)
		}
	}
	return out
}

// operations lists the operations of entries, oldest first.
func operations(entries []map[string]any) []string {
	var out []string
	for i := len(entries) - 1; i >= 0; i-- {
		out = append(out, entries[i]["operation"].(string))
	}
	return out
}

func TestPrivacy_ReadsAndWritesOfPersonalDataAreAudited(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := newPrivacyWorld(h)
		c := call(t, h, w.agent, "POST", "/v1/customers", js{"givenName": "Audra", "familyName": "Okafor",
			"identifiers": []js{{"kind": "email", "value": "audra@example.org"}}}, http.StatusCreated)
		id := c["id"].(string)
		other := call(t, h, w.agent, "POST", "/v1/customers", js{"familyName": "Someone"}, http.StatusCreated)["id"].(string)

		resp, _ := h.raw("GET", "/v1/customers/"+id, w.agent, "", nil, "X-Purpose", "council tax enquiry CT-1234", "X-Request-Id", "req-audit-1")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("get customer: %d", resp.StatusCode)
		}
		found := call(t, h, w.agent, "GET", "/v1/customers?q=Okafor", nil, http.StatusOK)
		if len(found["items"].([]any)) != 1 {
			t.Fatalf("search found %v", found["items"])
		}
		call(t, h, w.system, "POST", "/v1/customers/match", js{"identifiers": []js{{"kind": "email", "value": "audra@example.org"}}}, http.StatusOK)
		call(t, h, w.agent, "GET", "/v1/customers/"+id+"/timeline", nil, http.StatusOK)
		caseID := call(t, h, w.agent, "POST", "/v1/cases", js{"customerId": id, "service": js{"lgsl": 58}}, http.StatusCreated)["id"].(string)
		call(t, h, w.agent, "POST", "/v1/cases/"+caseID+"/notes", js{"text": "asked about single person discount"}, http.StatusCreated)
		ref := call(t, h, w.agent, "POST", "/v1/cases/"+caseID+"/referrals", js{"partner": "citizens-advice", "reason": "debt advice"}, http.StatusCreated)
		call(t, h, w.agent, "PATCH", "/v1/referrals/"+ref["id"].(string), js{"status": "accepted"}, http.StatusOK)
		call(t, h, w.agent, "GET", "/v1/cases/"+caseID, nil, http.StatusOK)
		call(t, h, w.agent, "GET", "/v1/cases/"+caseID+"/timeline", nil, http.StatusOK)
		call(t, h, w.agent, "GET", "/v1/customers/"+other, nil, http.StatusOK)
		// Refused reads show nothing and are not entries.
		call(t, h, w.agent, "GET", "/v1/customers/0193a6f0-0000-7000-8000-00000000dead", nil, http.StatusNotFound)

		entries := w.auditOf(t, "customerId="+id)
		want := []string{"createCustomer", "getCustomer", "searchCustomers", "matchCustomer", "getCustomerTimeline",
			"openCase", "addCaseNote", "referCase", "updateReferral", "getCase", "getCaseTimeline"}
		if got := operations(entries); !slices.Equal(got, want) {
			t.Fatalf("audited operations = %v, want %v", got, want)
		}
		read := entries[len(entries)-2] // getCustomer
		if read["subject"] != "agent-alice" || read["action"] != "read" || read["purpose"] != "council tax enquiry CT-1234" ||
			read["requestId"] != "req-audit-1" || read["resource"] != "/v1/customers/"+id {
			t.Fatalf("the read's entry = %v", read)
		}
		if roles := read["roles"].([]any); len(roles) != 1 || roles[0] != "agent" {
			t.Fatalf("roles = %v", roles)
		}
		if entries[len(entries)-1]["action"] != "write" || entries[0]["operation"] != "getCaseTimeline" {
			t.Fatalf("first entry %v, last %v", entries[len(entries)-1], entries[0])
		}
		if bySubject := w.auditOf(t, "subject=crm"); !slices.Equal(operations(bySubject), []string{"matchCustomer"}) {
			t.Fatalf("crm's entries: %v", operations(bySubject))
		}
		if len(w.auditOf(t, "customerId="+other)) != 2 { // created, read
			t.Fatalf("the other customer's entries: %v", operations(w.auditOf(t, "customerId="+other)))
		}

		// The IVR's answer shows the caller's record: that is a read of it too.
		caller := call(t, h, w.agent, "POST", "/v1/customers", js{"familyName": "Caller",
			"identifiers": []js{{"kind": "phone", "value": "07700 900777"}}}, http.StatusCreated)["id"].(string)
		call(t, h, w.system, "POST", "/v1/ivr/events", js{"event": "newCall", "callId": "privacy-call-1", "from": "07700900777"}, http.StatusOK)
		if got := operations(w.auditOf(t, "customerId="+caller)); !slices.Equal(got, []string{"createCustomer", "postIVREvent"}) {
			t.Fatalf("the caller's audit = %v", got)
		}

		// Bad input names the field; the audit has no way to change it.
		old := url.QueryEscape(time.Now().AddDate(-7, 0, 0).UTC().Format(time.RFC3339))
		resp, body := h.raw("GET", "/v1/audit?from="+old, w.admin, "", nil)
		if p := wantProblem(t, http.StatusUnprocessableEntity, body, resp.StatusCode, "invalid-value"); !slices.Contains(fieldsOf(p), "from") {
			t.Fatalf("fields %v, want from", fieldsOf(p))
		}
		resp, body = h.raw("GET", "/v1/audit?customerId=0193a6f0-0000-7000-8000-00000000dead", w.admin, "", nil)
		if p := wantProblem(t, http.StatusUnprocessableEntity, body, resp.StatusCode, "invalid-value"); !slices.Contains(fieldsOf(p), "customerId") {
			t.Fatalf("fields %v, want customerId", fieldsOf(p))
		}
		for _, m := range []string{"POST", "PATCH", "DELETE"} {
			if resp, _ := h.raw(m, "/v1/audit", w.admin, "application/json", []byte(`{}`)); resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("%s /v1/audit: %d, want 405", m, resp.StatusCode)
			}
		}
	})
}

func TestPrivacy_ExportHoldsEverythingAboutThePersonFollowingMerges(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := newPrivacyWorld(h)
		person := call(t, h, w.agent, "POST", "/v1/customers", js{"givenName": "Bola", "familyName": "Adeyemi",
			"identifiers": []js{{"kind": "phone", "value": "07700 900123"}}}, http.StatusCreated)["id"].(string)
		dup := call(t, h, w.agent, "POST", "/v1/customers", js{"givenName": "B", "familyName": "Adeyemi",
			"identifiers": []js{{"kind": "email", "value": "bola@example.org"}}}, http.StatusCreated)["id"].(string)
		contact := call(t, h, w.agent, "POST", "/v1/contacts", js{"channel": "phone", "service": js{"lgsl": 58}, "customerId": dup,
			"summary": "rang about the bill for flat 2"}, http.StatusCreated)
		contactID := contact["contact"].(map[string]any)["id"].(string)
		caseID := call(t, h, w.agent, "POST", "/v1/cases", js{"customerId": person, "service": js{"lgsl": 69}, "summary": "housing benefit new claim"}, http.StatusCreated)["id"].(string)
		call(t, h, w.agent, "POST", "/v1/cases/"+caseID+"/notes", js{"text": "internal: check landlord details", "internal": true}, http.StatusCreated)
		call(t, h, w.agent, "POST", "/v1/cases/"+caseID+"/notes", js{"text": "We have your form, thank you.", "internal": false}, http.StatusCreated)
		call(t, h, w.agent, "POST", "/v1/cases/"+caseID+"/referrals", js{"partner": "citizens-advice", "reason": "debt advice for rent arrears"}, http.StatusCreated)
		call(t, h, w.agent, "POST", "/v1/ratings", js{"source": "agent_recorded", "score": 4, "comment": "helpful advisor", "caseId": caseID}, http.StatusCreated)
		call(t, h, w.agent, "POST", "/v1/ratings", js{"source": "web_page", "score": 2, "pageUrl": "https://council.example/tax"}, http.StatusCreated)
		landlord := call(t, h, w.admin, "POST", "/v1/landlords", js{"name": "Homes Ltd"}, http.StatusCreated)["id"].(string)
		property := call(t, h, w.admin, "POST", "/v1/landlords/"+landlord+"/properties", js{"uprn": "100023336956"}, http.StatusCreated)["id"].(string)
		call(t, h, w.admin, "POST", "/v1/landlords/"+landlord+"/tenancies", js{"propertyId": property, "customerId": person, "startsOn": "2026-01-01"}, http.StatusCreated)
		call(t, h, w.agent, "POST", "/v1/customers/"+person+"/merge", js{"duplicateId": dup, "reason": "same person"}, http.StatusOK)

		// Asked for by the merged record's id, the export is the whole person.
		resp, body := h.raw("GET", "/v1/customers/"+dup+"/export", w.admin, "", nil, "X-Purpose", "SAR-2026-0042")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("export: %d %s", resp.StatusCode, body)
		}
		var x struct {
			CustomerID string           `json:"customerId"`
			Records    []map[string]any `json:"records"`
			Contacts   []map[string]any `json:"contacts"`
			Cases      []struct {
				Case      map[string]any   `json:"case"`
				Notes     []map[string]any `json:"notes"`
				Timeline  []map[string]any `json:"timeline"`
				Referrals []map[string]any `json:"referrals"`
			} `json:"cases"`
			Ratings   []map[string]any `json:"ratings"`
			Tenancies []map[string]any `json:"tenancies"`
			Timeline  []map[string]any `json:"timeline"`
			Audit     []map[string]any `json:"audit"`
		}
		if err := json.Unmarshal(body, &x); err != nil {
			t.Fatal(err)
		}
		if x.CustomerID != person || len(x.Records) != 2 || x.Records[0]["id"] != person || x.Records[1]["id"] != dup {
			t.Fatalf("export of %s: customer %s, records %v", dup, x.CustomerID, x.Records)
		}
		for _, s := range []string{"7700900123", "bola@example.org", "rang about the bill for flat 2", "housing benefit new claim",
			"internal: check landlord details", "We have your form", "debt advice for rent arrears", "helpful advisor", "Bola"} {
			if !bytes.Contains(body, []byte(s)) {
				t.Errorf("the export lacks %q", s)
			}
		}
		if len(x.Contacts) != 1 || x.Contacts[0]["id"] != contactID {
			t.Fatalf("contacts %v, want %s", x.Contacts, contactID)
		}
		// The contact's own case (it moved to the survivor in the merge) and the one opened.
		c := slices.IndexFunc(x.Cases, func(c struct {
			Case      map[string]any   `json:"case"`
			Notes     []map[string]any `json:"notes"`
			Timeline  []map[string]any `json:"timeline"`
			Referrals []map[string]any `json:"referrals"`
		}) bool {
			return c.Case["id"] == caseID
		})
		if len(x.Cases) != 2 || c < 0 || len(x.Cases[c].Notes) != 2 || len(x.Cases[c].Referrals) != 1 || len(x.Cases[c].Timeline) == 0 {
			t.Fatalf("cases %+v", x.Cases)
		}
		marks := map[string]string{}
		for _, n := range x.Cases[c].Notes {
			marks[n["text"].(string)] = n["visibility"].(string)
		}
		if marks["internal: check landlord details"] != "internal" || marks["We have your form, thank you."] != "resident" {
			t.Fatalf("notes marked %v", marks)
		}
		if len(x.Ratings) != 1 || len(x.Tenancies) != 1 || x.Tenancies[0]["customerId"] != person {
			t.Fatalf("ratings %v, tenancies %v", x.Ratings, x.Tenancies)
		}
		var mergedOnTimeline bool
		for _, ev := range x.Timeline {
			mergedOnTimeline = mergedOnTimeline || ev["kind"] == "customer.merged_into"
		}
		if !mergedOnTimeline {
			t.Fatalf("the merged record's timeline is missing")
		}
		if ops := operations(x.Audit); !slices.Contains(ops, "createCustomer") || !slices.Contains(ops, "mergeCustomer") ||
			!slices.Contains(ops, "recordRating") || !slices.Contains(ops, "referCase") {
			t.Fatalf("the export's audit = %v", ops)
		}

		// The zip holds the same document and a CSV per kind of record.
		resp, zipped := h.raw("GET", "/v1/customers/"+person+"/export", w.admin, "", nil, "Accept", "application/zip")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("zip export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		files := unzip(t, zipped)
		for _, name := range []string{"export.json", "records.csv", "identifiers.csv", "contacts.csv", "cases.csv", "notes.csv",
			"referrals.csv", "timeline.csv", "ratings.csv", "surveys.csv", "tenancies.csv", "audit.csv"} {
			if _, ok := files[name]; !ok {
				t.Fatalf("the zip lacks %s (has %d files)", name, len(files))
			}
		}
		if !strings.Contains(files["contacts.csv"], "rang about the bill for flat 2") || !strings.Contains(files["notes.csv"], "internal,") {
			t.Fatalf("contacts.csv: %s\nnotes.csv: %s", files["contacts.csv"], files["notes.csv"])
		}

		// The exports are audited, with the purpose given.
		entries := w.auditOf(t, "customerId="+person)
		var exports int
		for _, e := range entries {
			if e["operation"] == "exportCustomer" && e["action"] == "export" {
				exports++
				if ids := e["customerIds"].([]any); len(ids) != 2 {
					t.Fatalf("the export's entry names %v, want both records", ids)
				}
			}
		}
		if exports != 2 {
			t.Fatalf("%d export entries, want 2", exports)
		}

		// The resident's own export: what they may see, no internal note, no staff name.
		citizen := h.token(auth.Claims{Subject: "resident-bola", Roles: []auth.Role{auth.Citizen}, CustomerID: dup})
		resp, mine := h.raw("GET", "/v1/me/export", citizen, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("me/export: %d %s", resp.StatusCode, mine)
		}
		for _, s := range []string{"internal: check landlord details", "agent-alice", "admin-ade", "helpful advisor"} {
			if bytes.Contains(mine, []byte(s)) {
				t.Errorf("the resident's export shows %q: %s", s, mine)
			}
		}
		var me struct {
			Record   map[string]any   `json:"record"`
			Cases    []map[string]any `json:"cases"`
			Contacts []map[string]any `json:"contacts"`
		}
		if err := json.Unmarshal(mine, &me); err != nil {
			t.Fatal(err)
		}
		if len(me.Cases) != 2 || len(me.Contacts) != 1 || !bytes.Contains(mine, []byte("Bola")) {
			t.Fatalf("the resident's export: %s", mine)
		}
	})
}

func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(data)
	}
	return out
}

func TestPrivacy_ErasureWaitsForTheLegalHoldThenLeavesNoTraceButTheFigures(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := newPrivacyWorld(h)
		start := time.Now().UTC().Add(-time.Hour)
		id := call(t, h, w.agent, "POST", "/v1/customers", js{"givenName": "Chidi", "familyName": "Eze", "dateOfBirth": "1980-02-03",
			"address": js{"line1": "1 High Street", "postcode": "SW1A 1AA"},
			"identifiers": []js{{"kind": "phone", "value": "07700 900456"}, {"kind": "email", "value": "chidi@example.org"},
				{"kind": "council_tax_account", "value": "512345678"}}}, http.StatusCreated)["id"].(string)
		contactID := call(t, h, w.agent, "POST", "/v1/contacts", js{"channel": "phone", "service": js{"lgsl": 58}, "customerId": id,
			"outcome": "resolved_first_contact", "summary": "moved to 4 Low Road with partner"}, http.StatusCreated)["contact"].(map[string]any)["id"].(string)
		caseID := call(t, h, w.agent, "POST", "/v1/cases", js{"customerId": id, "service": js{"lgsl": 59}, "summary": "discount for Chidi"}, http.StatusCreated)["id"].(string)
		call(t, h, w.agent, "POST", "/v1/cases/"+caseID+"/notes", js{"text": "spoke to Chidi's partner"}, http.StatusCreated)
		call(t, h, w.agent, "POST", "/v1/cases/"+caseID+"/referrals", js{"partner": "dwp", "reason": "Chidi asked about pension credit"}, http.StatusCreated)
		call(t, h, w.agent, "POST", "/v1/ratings", js{"source": "agent_recorded", "score": 5, "comment": "Chidi was pleased", "contactId": contactID}, http.StatusCreated)
		call(t, h, w.agent, "POST", "/v1/cases/"+caseID+"/handoffs", js{"queue": "blt-officers", "reason": "complexity", "note": "Chidi's income is complex"}, http.StatusCreated)
		period := "?from=" + url.QueryEscape(start.Format(time.RFC3339)) + "&to=" + url.QueryEscape(time.Now().UTC().Add(time.Hour).Format(time.RFC3339))
		today := time.Now().UTC()
		days := "?from=" + today.AddDate(0, 0, -1).Format(time.DateOnly) + "&to=" + today.AddDate(0, 0, 1).Format(time.DateOnly)
		reports := func() []string {
			var out []string
			for _, path := range []string{"/v1/reports/routing" + period, "/v1/reports/satisfaction" + period,
				"/v1/reports/satisfaction" + period + "&groupBy=agent", "/v1/reports/satisfaction" + period + "&groupBy=service",
				"/v1/reports/channel-shift" + days, "/v1/reports/resolution" + days, "/v1/reports/avoidable" + days,
				"/v1/reports/cost-to-serve" + days} {
				resp, b := h.raw("GET", path, w.admin, "", nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
				}
				out = append(out, string(b))
			}
			return out
		}

		// An open case holds the data; nothing is erased.
		outbox := h.count("outbox")
		resp, body := h.raw("POST", "/v1/customers/"+id+"/erasure", w.admin, "application/json", []byte(`{"reason":"article 17 request"}`))
		p := wantProblem(t, http.StatusConflict, body, resp.StatusCode, "conflict")
		if !strings.Contains(deref(p.Detail), caseID) || !strings.Contains(deref(p.Detail), "legal hold") {
			t.Fatalf("the refusal does not say why: %s", deref(p.Detail))
		}
		// So does a case closed less than CONTACTHUB_ERASURE_HOLD_DAYS ago.
		call(t, h, w.admin, "POST", "/v1/cases/"+caseID+"/resolve", js{"resolutionCode": "advice_given", "note": "told Chidi the rules"}, http.StatusOK)
		before := reports()
		resp, body = h.raw("POST", "/v1/customers/"+id+"/erasure", w.admin, "application/json", []byte(`{"reason":"article 17 request"}`))
		if p := wantProblem(t, http.StatusConflict, body, resp.StatusCode, "conflict"); !strings.Contains(deref(p.Detail), "closed less than 90 days ago") {
			t.Fatalf("the refusal does not say why: %s", deref(p.Detail))
		}
		// No reason: 422 naming it.
		resp, body = h.raw("POST", "/v1/customers/"+id+"/erasure", w.admin, "application/json", []byte(`{"override":true,"reason":"  "}`))
		if p := wantProblem(t, http.StatusUnprocessableEntity, body, resp.StatusCode, "invalid-value"); !slices.Equal(fieldsOf(p), []string{"reason"}) {
			t.Fatalf("fields %v, want reason", fieldsOf(p))
		}
		if h.count("outbox") != outbox+1 { // the resolution only
			t.Fatalf("refused erasures wrote events")
		}

		done := call(t, h, w.admin, "POST", "/v1/customers/"+id+"/erasure", js{"reason": "article 17 request, DPO ref 77", "override": true}, http.StatusOK)
		// Both cases were closed today: the contact's at first contact, and caseID.
		if ov := done["overrode"].([]any); len(ov) != 2 || !strings.Contains(ov[0].(string)+ov[1].(string), caseID) {
			t.Fatalf("overrode %v", ov)
		}

		// No former identifier, name or postcode finds the person.
		for _, q := range []string{"phone=07700900456", "email=chidi@example.org", "reference=512345678", "q=Chidi", "q=Eze", "postcode=SW1A+1AA"} {
			if items := call(t, h, w.agent, "GET", "/v1/customers?"+q, nil, http.StatusOK)["items"].([]any); len(items) != 0 {
				t.Fatalf("search %s still finds %v", q, items)
			}
		}
		m := call(t, h, w.system, "POST", "/v1/customers/match", js{"identifiers": []js{{"kind": "phone", "value": "07700 900456"}}}, http.StatusOK)
		if m["match"] != nil || len(m["candidates"].([]any)) != 0 {
			t.Fatalf("match still finds the person: %v", m)
		}
		// No free text survives anywhere the export or the timelines reach.
		_, x := h.raw("GET", "/v1/customers/"+id+"/export", w.admin, "", nil)
		_, events := h.raw("GET", "/v1/cases/"+caseID+"/timeline", w.admin, "", nil)
		for _, s := range []string{"Chidi", "Eze", "chidi@", "512345678", "High Street", "SW1A", "1980-02-03", "Low Road", "7700900456",
			"with partner", "s partner", "pension credit", "pleased", "income is complex", "told Chidi"} {
			if bytes.Contains(x, []byte(s)) || bytes.Contains(events, []byte(s)) {
				t.Errorf("%q survives the erasure", s)
			}
		}
		var left int
		if err := h.app.DB.Get(&left, h.app.DB.Rebind("SELECT count(*) FROM outbox WHERE CAST(payload AS TEXT) LIKE ?"), "%Chidi%"); err != nil || left != 0 {
			t.Fatalf("outbox messages still naming the person: %d (%v)", left, err)
		}
		// The figures do not change.
		if after := reports(); !slices.Equal(before, after) {
			t.Fatalf("reports changed:\nbefore %v\nafter  %v", before, after)
		}
		// Other systems hear of it, with ids only.
		var data string
		if err := h.app.DB.Get(&data, h.app.DB.Rebind("SELECT CAST(payload AS TEXT) FROM outbox WHERE topic = ?"), "customer.erased"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(data, id) || !strings.Contains(data, caseID) || strings.Contains(data, "article 17") {
			t.Fatalf("customer.erased message: %s", data)
		}
		// The erasure is audited with its reason.
		entries := w.auditOf(t, "customerId="+id)
		i := slices.IndexFunc(entries, func(e map[string]any) bool { return e["operation"] == "eraseCustomer" })
		if i < 0 {
			t.Fatalf("no erasure entry in %v", operations(entries))
		}
		entries = entries[i:]
		if entries[0]["action"] != "erase" || entries[0]["purpose"] != "article 17 request, DPO ref 77" {
			t.Fatalf("erasure entry %v", entries[0])
		}
	})
}

func TestPrivacy_SMSSurveysAndRepliesAreExportedThenErased(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			notify := newFakeNotify(t)
			h := surveyHub(t, b, func(c *config.Config) {
				c.SMSProvider, c.NotifyAPIKey, c.NotifyBaseURL, c.NotifyTemplateID = "notify", notifyKey, notify.server.URL, "f33517ff-2a88-4f6e-b855-c550268ce08a"
				c.NotifyCallbackToken = notifyToken
			})
			w := newPrivacyWorld(h)
			id := call(t, h, w.agent, "POST", "/v1/customers", js{"familyName": "Dlamini", "consents": js{"smsSurveys": true},
				"identifiers": []js{{"kind": "phone", "value": "07700 900321"}}}, http.StatusCreated)["id"].(string)
			contact := call(t, h, w.agent, "POST", "/v1/contacts", js{"channel": "ivr", "service": js{"lgsl": 58}, "customerId": id}, http.StatusCreated)
			contactID := contact["contact"].(map[string]any)["id"].(string)
			call(t, h, w.agent, "PATCH", "/v1/contacts/"+contactID, js{"endedAt": time.Now().UTC().Format(time.RFC3339Nano)}, http.StatusOK, "If-Match", "*")
			waitFor(t, "the survey to be sent", func() bool { return h.surveysSent() == 1 })
			reply := func(id, text string) {
				body, _ := json.Marshal(map[string]any{"id": id, "source_number": "447700900321", "destination_number": "07700900000",
					"message": text, "date_received": "2026-11-30T10:00:00.000000Z"})
				if resp, out := h.raw("POST", "/v1/callbacks/notify/received-text", notifyToken, "application/json", body); resp.StatusCode != http.StatusNoContent {
					t.Fatalf("reply: %d %s", resp.StatusCode, out)
				}
			}
			reply("in-1", "4 - the lady on the phone was kind")

			_, body := h.raw("GET", "/v1/customers/"+id+"/export", w.admin, "", nil)
			var x struct {
				SmsReplies []map[string]any `json:"smsReplies"`
				Surveys    []map[string]any `json:"surveys"`
			}
			if err := json.Unmarshal(body, &x); err != nil {
				t.Fatal(err)
			}
			if len(x.SmsReplies) != 1 || x.SmsReplies[0]["comment"] != "the lady on the phone was kind" || x.SmsReplies[0]["score"] != float64(4) {
				t.Fatalf("sms replies in the export: %v", x.SmsReplies)
			}
			if len(x.Surveys) != 1 || x.Surveys[0]["phone"] != "+447700900321" || x.Surveys[0]["contactId"] != contactID {
				t.Fatalf("surveys in the export: %v", x.Surveys)
			}

			call(t, h, w.admin, "POST", "/v1/customers/"+id+"/erasure", js{"reason": "article 17", "override": true}, http.StatusOK)
			_, body = h.raw("GET", "/v1/customers/"+id+"/export", w.admin, "", nil)
			if bytes.Contains(body, []byte("7700900321")) || bytes.Contains(body, []byte("lady on the phone")) {
				t.Fatalf("the phone or the reply survives: %s", body)
			}
			// A later text from the former number answers no survey: nothing is written.
			ratings := h.count("ratings")
			reply("in-2", "5")
			if h.count("ratings") != ratings {
				t.Fatal("a text from the erased number was taken as the person's rating")
			}
		})
	}
}

// An erasure keeps no copy of the person, so a merge of their records can no longer be
// undone: the undo is refused, saying so, and changes nothing (it used to bring back
// blank records and leave the moved contacts with the survivor).
func TestPrivacy_AMergeOfAnErasedPersonCannotBeUndone(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := newPrivacyWorld(h)
		person := call(t, h, w.agent, "POST", "/v1/customers", js{"givenName": "Ngozi", "familyName": "Adeyemi"}, http.StatusCreated)["id"].(string)
		dup := call(t, h, w.agent, "POST", "/v1/customers", js{"givenName": "Ngozi", "familyName": "Adeyemi",
			"identifiers": []js{{"kind": "email", "value": "ngozi@example.org"}}}, http.StatusCreated)["id"].(string)
		mergeID := call(t, h, w.agent, "POST", "/v1/customers/"+person+"/merge", js{"duplicateId": dup, "reason": "same person"}, http.StatusOK)["mergeId"].(string)
		call(t, h, w.admin, "POST", "/v1/customers/"+person+"/erasure", js{"reason": "article 17 request"}, http.StatusOK)
		outbox := h.count("outbox")
		before := call(t, h, w.admin, "GET", "/v1/customers/"+dup, nil, http.StatusOK)

		resp, body := h.raw("POST", "/v1/merges/"+mergeID+"/undo", w.agent, "application/json", []byte(`{"reason":"wrong person"}`))
		if p := wantProblem(t, http.StatusConflict, body, resp.StatusCode, "conflict"); !strings.Contains(deref(p.Detail), "erased") {
			t.Fatalf("the refusal does not say the person was erased: %s", deref(p.Detail))
		}
		after := call(t, h, w.admin, "GET", "/v1/customers/"+dup, nil, http.StatusOK)
		if after["mergedInto"] != person || after["version"] != before["version"] || h.count("outbox") != outbox {
			t.Fatalf("a refused undo changed something: before %v, after %v", before, after)
		}
	})
}
