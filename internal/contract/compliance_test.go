package contract

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/council/contacthub/internal/auth"
)

// Compliance (issue 17): exception reports and quality-assurance sampling, on both
// databases.

// compliance is a hub with the tokens the compliance tests use.
type compliance struct {
	h                    *hub
	admin, qa, officerA  string
	officerB, supervisor string
}

func newCompliance(h *hub) *compliance {
	return &compliance{h: h,
		admin:      h.token(auth.Claims{Subject: "admin-c", Roles: []auth.Role{auth.Admin}}),
		qa:         h.token(auth.Claims{Subject: "qa-officer", Roles: []auth.Role{auth.QA}}),
		officerA:   h.token(auth.Claims{Subject: "officer-a", Roles: []auth.Role{auth.Agent}, Tier: 3}),
		officerB:   h.token(auth.Claims{Subject: "officer-b", Roles: []auth.Role{auth.Agent}, Tier: 3}),
		supervisor: h.token(auth.Claims{Subject: "supervisor-c", Roles: []auth.Role{auth.Supervisor}}),
	}
}

// call sends a JSON request and fails unless it answers want; it returns the body.
func (c *compliance) call(t *testing.T, token, method, path string, body any, want int, headers ...string) js {
	t.Helper()
	return call(t, c.h, token, method, path, body, want, headers...)
}

func (c *compliance) customer(t *testing.T, name string) string {
	t.Helper()
	return c.call(t, c.admin, "POST", "/v1/customers", js{"familyName": name,
		"identifiers": []js{{"kind": "email", "value": strings.ToLower(name) + "-" + uuid.NewString()[:8] + "@example.org"}}}, http.StatusCreated)["id"].(string)
}

func (c *compliance) openCase(t *testing.T, customer string, lgsl int) string {
	t.Helper()
	return c.call(t, c.admin, "POST", "/v1/cases", js{"customerId": customer, "service": js{"lgsl": lgsl}}, http.StatusCreated)["id"].(string)
}

func (c *compliance) resolve(t *testing.T, token, caseID string) {
	t.Helper()
	c.call(t, token, "POST", "/v1/cases/"+caseID+"/resolve", js{"resolutionCode": "advice_given"}, http.StatusOK)
}

// exec runs SQL against the hub's database: the tests age records the API cannot.
func (c *compliance) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := c.h.app.DB.Exec(c.h.app.DB.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// age moves a case's events and creation back to at, as if it had been opened then.
func (c *compliance) age(t *testing.T, caseID string, at time.Time) {
	t.Helper()
	c.exec(t, `UPDATE timeline_events SET occurred_at = ? WHERE case_id = ?`, at.UTC(), caseID)
	c.exec(t, `UPDATE cases SET created_at = ? WHERE id = ?`, at.UTC(), caseID)
}

// rowFor finds the report's row about id (a case, customer or survey).
func rowFor(page js, id string) (js, bool) {
	for _, it := range page["items"].([]any) {
		row := it.(map[string]any)
		for _, k := range []string{"caseId", "customerId", "surveyId"} {
			if row[k] == id {
				return row, true
			}
		}
	}
	return nil, false
}

func TestExceptions_EachKindListsItsCasesAndSaysWhy(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		c := newCompliance(h)
		now := time.Now().UTC()
		cust := c.customer(t, "Exceptional")

		// sla-breaches: one open past its due time, one resolved after it.
		overdue := c.openCase(t, cust, 57)
		c.call(t, c.admin, "PATCH", "/v1/cases/"+overdue, js{"slaDueAt": now.Add(-72 * time.Hour)}, http.StatusOK, "If-Match", "*")
		late := c.openCase(t, c.customer(t, "Late"), 61)
		c.call(t, c.admin, "PATCH", "/v1/cases/"+late, js{"slaDueAt": now.Add(-time.Hour)}, http.StatusOK, "If-Match", "*")
		c.resolve(t, c.officerA, late)
		onTime := c.openCase(t, c.customer(t, "OnTime"), 61)

		// idle-cases: nothing on the timeline for three weeks.
		idle := c.openCase(t, c.customer(t, "Idle"), 57)
		c.age(t, idle, now.AddDate(0, 0, -21))

		// stale-claims: claimed six hours ago, nothing since.
		stale := c.openCase(t, c.customer(t, "Stale"), 57)
		c.age(t, stale, now.Add(-7*time.Hour))
		c.exec(t, `UPDATE cases SET assignee = 'officer-z', claimed_at = ? WHERE id = ?`, now.Add(-6*time.Hour), stale)
		// ...and one claimed as long ago, but worked since (a note).
		worked := c.openCase(t, c.customer(t, "Worked"), 57)
		c.age(t, worked, now.Add(-7*time.Hour))
		c.exec(t, `UPDATE cases SET assignee = 'officer-z', claimed_at = ? WHERE id = ?`, now.Add(-6*time.Hour), worked)
		c.call(t, c.admin, "POST", "/v1/cases/"+worked+"/notes", js{"text": "rang the resident"}, http.StatusCreated)

		// repeat-customers: three contacts in a fortnight.
		repeat := c.customer(t, "Repeat")
		for range 3 {
			c.call(t, c.admin, "POST", "/v1/contacts", js{"channel": "phone", "service": js{"lgsl": 58}, "customerId": repeat}, http.StatusCreated)
		}

		// reopened-cases.
		reopened := c.openCase(t, c.customer(t, "Reopened"), 61)
		c.resolve(t, c.officerA, reopened)
		c.call(t, c.admin, "POST", "/v1/cases/"+reopened+"/reopen", js{"reason": "resident says the bill is still wrong"}, http.StatusOK)

		// ping-pong: handed off three times.
		pingPong := c.openCase(t, c.customer(t, "PingPong"), 58)
		for _, q := range []string{"blt-officers", "council-tax-recovery", "blt-officers"} {
			c.call(t, c.admin, "POST", "/v1/cases/"+pingPong+"/handoffs", js{"queue": q, "reason": "wrong_queue"}, http.StatusCreated)
		}

		// failing-surveys: a survey whose send failed.
		contact := c.call(t, c.admin, "POST", "/v1/contacts", js{"channel": "phone", "service": js{"lgsl": 58},
			"customerId": c.customer(t, "Surveyed")}, http.StatusCreated)["contact"].(map[string]any)
		survey := uuid.NewString()
		c.exec(t, `INSERT INTO surveys (id, contact_id, customer_id, phone, service_lgsl, provider, status, send_after, expires_at,
 attempts, next_attempt_at, last_error, created_at, updated_at) VALUES (?, ?, ?, '+447700900123', 58, 'notify', 'failed', ?, ?, 3, ?, 'provider said 400', ?, ?)`,
			survey, contact["id"], contact["customerId"], now.Add(-2*time.Hour), now.Add(time.Hour), now, now.Add(-2*time.Hour), now.Add(-time.Minute))

		// missing-resolution-codes: resolved before codes were required.
		noCode := c.openCase(t, c.customer(t, "NoCode"), 61)
		c.resolve(t, c.officerA, noCode)
		c.exec(t, `UPDATE cases SET resolution_code = '' WHERE id = ?`, noCode)

		for _, tc := range []struct {
			kind, query string
			in          []string
			out         []string
			why         string
		}{
			{"sla-breaches", "", []string{overdue, late}, []string{onTime}, "service level"},
			{"idle-cases", "?days=10", []string{idle}, []string{onTime, overdue}, "working days idle"},
			{"stale-claims", "?hours=4", []string{stale}, []string{worked, onTime}, "nothing done"},
			{"repeat-customers", "?atLeast=3&days=14", []string{repeat}, []string{cust}, "3 contacts"},
			{"reopened-cases", "", []string{reopened}, []string{late}, "bill is still wrong"},
			{"ping-pong", "?atLeast=3", []string{pingPong}, []string{onTime}, "handed off 3 times"},
			{"failing-surveys", "", []string{survey}, nil, "provider said 400"},
			{"missing-resolution-codes", "", []string{noCode}, []string{late, reopened}, "without a resolution code"},
		} {
			t.Run(tc.kind, func(t *testing.T) {
				page := c.call(t, c.qa, "GET", "/v1/exceptions/"+tc.kind+tc.query, nil, http.StatusOK)
				for _, id := range tc.in {
					row, ok := rowFor(page, id)
					if !ok {
						t.Fatalf("%s is not on the report: %v", id, page["items"])
					}
					if why, _ := row["reason"].(string); !strings.Contains(why, tc.why) && id == tc.in[0] {
						t.Errorf("reason %q does not say %q", why, tc.why)
					}
				}
				for _, id := range tc.out {
					if _, ok := rowFor(page, id); ok {
						t.Errorf("%s should not be on the report", id)
					}
				}
			})
		}

		// A late resolution says when it was resolved; the open breach that it is open.
		page := c.call(t, c.supervisor, "GET", "/v1/exceptions/sla-breaches", nil, http.StatusOK)
		if row, _ := rowFor(page, late); !strings.HasPrefix(row["reason"].(string), "resolved ") {
			t.Errorf("late resolution's reason: %v", row["reason"])
		}
		if row, _ := rowFor(page, overdue); !strings.HasPrefix(row["reason"].(string), "open and past") {
			t.Errorf("open breach's reason: %v", row["reason"])
		}
	})
}

func TestExceptions_PagesCSVAndBadParameters(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		c := newCompliance(h)
		var customers []string
		for i := range 3 {
			id := c.customer(t, fmt.Sprint("Pager", i))
			customers = append(customers, id)
			for range 2 {
				c.call(t, c.admin, "POST", "/v1/contacts", js{"channel": "web_form", "service": js{"lgsl": 58}, "customerId": id}, http.StatusCreated)
			}
		}
		// Three customers, two pages of two and one, no row twice.
		var seen []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatal("more pages than rows")
			}
			path := "/v1/exceptions/repeat-customers?atLeast=2&limit=2"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			page := c.call(t, c.qa, "GET", path, nil, http.StatusOK)
			for _, it := range page["items"].([]any) {
				id := it.(map[string]any)["customerId"].(string)
				if slices.Contains(seen, id) {
					t.Fatalf("%s on two pages", id)
				}
				seen = append(seen, id)
			}
			next, _ := page["nextCursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		slices.Sort(seen)
		slices.Sort(customers)
		if !slices.Equal(seen, customers) {
			t.Errorf("pages held %v, want %v", seen, customers)
		}

		// CSV: a header, one line per row, each with its reason.
		resp, body := h.raw("GET", "/v1/exceptions/repeat-customers?atLeast=2", c.supervisor, "", nil, "Accept", "text/csv")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		lines, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 4 || lines[0][0] != "kind" || lines[0][10] != "reason" || !strings.Contains(lines[1][10], "2 contacts") {
			t.Errorf("CSV = %v", lines)
		}

		// Bad parameters are named; nothing about them is guessed.
		for _, tc := range []struct {
			path, field string
			status      int
		}{
			{"/v1/exceptions/idle-cases?hours=3", "hours", http.StatusUnprocessableEntity},
			{"/v1/exceptions/failing-surveys?atLeast=3", "atLeast", http.StatusUnprocessableEntity},
			{"/v1/exceptions/sla-breaches?cursor=bm90LWEtY3Vyc29y", "cursor", http.StatusUnprocessableEntity},
			{"/v1/exceptions/idle-cases?days=0", "days", http.StatusBadRequest},
			{"/v1/exceptions/late-cases", "kind", http.StatusBadRequest},
		} {
			resp, body := h.raw("GET", tc.path, c.qa, "", nil)
			p := wantProblem(t, tc.status, body, resp.StatusCode, problemTypes[tc.status])
			if !slices.Contains(fieldsOf(p), tc.field) {
				t.Errorf("%s: the problem names %v, want %s", tc.path, fieldsOf(p), tc.field)
			}
		}
	})
}
