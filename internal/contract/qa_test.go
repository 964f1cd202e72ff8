package contract

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/auth"
)

// picked lists a run's sampled case ids, in order.
func picked(run js) []string {
	var ids []string
	for _, r := range run["reviews"].([]any) {
		ids = append(ids, r.(map[string]any)["caseId"].(string))
	}
	return ids
}

func reviewsOf(page js) []map[string]any {
	var out []map[string]any
	for _, r := range page["items"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

func TestQA_PlanRunReviewsFeedbackAndReport(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		c := newCompliance(h)
		start := time.Now().UTC().Add(-time.Minute)

		// No plan yet: a run is a conflict. Bad plans are refused, naming the field, and
		// write nothing.
		c.call(t, c.qa, "POST", "/v1/qa/runs", js{"from": start, "to": start.Add(time.Hour)}, http.StatusConflict)
		for _, tc := range []struct {
			plan   js
			status int
			field  string
		}{
			{js{"baseRate": 1.5}, http.StatusBadRequest, "baseRate"},
			{js{"baseRate": 0.1, "serviceRates": js{"999": 0.2}}, http.StatusUnprocessableEntity, "serviceRates.999"},
			{js{"baseRate": 0.1, "officerRates": js{"nobody": 0.2}}, http.StatusUnprocessableEntity, "officerRates.nobody"},
			{js{"baseRate": 0.1, "rules": []js{{"id": "empty"}}}, http.StatusUnprocessableEntity, "rules[0]"},
		} {
			resp, body := h.raw("POST", "/v1/qa/plans", c.qa, "application/json", mustJSON(t, tc.plan))
			p := wantProblem(t, tc.status, body, resp.StatusCode, problemTypes[tc.status])
			if !slices.Contains(fieldsOf(p), tc.field) {
				t.Errorf("%v: the problem names %v, want %s", tc.plan, fieldsOf(p), tc.field)
			}
		}
		if n := h.count("qa_plans"); n != 0 {
			t.Fatalf("refused plans wrote %d rows", n)
		}
		for _, period := range []js{{"from": start, "to": start}, {"from": start, "to": start.AddDate(0, 4, 0)}} {
			resp, body := h.raw("POST", "/v1/qa/runs", c.qa, "application/json", mustJSON(t, period))
			if p := wantProblem(t, http.StatusUnprocessableEntity, body, resp.StatusCode, "invalid-value"); !slices.Equal(fieldsOf(p), []string{"to"}) {
				t.Errorf("%v: the problem names %v, want to", period, fieldsOf(p))
			}
		}

		// Officer A resolves twelve cases, officer B six.
		for i := range 18 {
			id := c.openCase(t, c.customer(t, fmt.Sprint("Sampled", i)), []int{57, 61}[i%2])
			if i < 12 {
				c.resolve(t, c.officerA, id)
			} else {
				c.resolve(t, c.officerB, id)
			}
		}
		plan := c.call(t, c.qa, "POST", "/v1/qa/plans", js{"baseRate": 0.5, "officerRates": js{"officer-b": 1},
			"reviewers": []string{"qa-officer", "officer-a"}}, http.StatusCreated)
		if plan["version"] != 1.0 || plan["publishedBy"] != "qa-officer" {
			t.Fatalf("plan = %v", plan)
		}
		c.call(t, c.qa, "POST", "/v1/qa/plans", js{"baseRate": 0.5, "officerRates": js{"officer-b": 1},
			"reviewers": []string{"qa-officer", "officer-a"}}, http.StatusCreated)
		plans := c.call(t, c.supervisor, "GET", "/v1/qa/plans?limit=1", nil, http.StatusOK)
		if items := plans["items"].([]any); len(items) != 1 || items[0].(map[string]any)["version"] != 2.0 || plans["nextCursor"] == nil {
			t.Fatalf("plans page 1 = %v", plans)
		}
		older := c.call(t, c.qa, "GET", "/v1/qa/plans?limit=1&cursor="+plans["nextCursor"].(string), nil, http.StatusOK)
		if items := older["items"].([]any); len(items) != 1 || items[0].(map[string]any)["version"] != 1.0 ||
			items[0].(map[string]any)["officerRates"].(map[string]any)["officer-b"] != 1.0 {
			t.Fatalf("plans page 2 = %v", older)
		}
		period := js{"from": start, "to": time.Now().UTC().Add(time.Minute), "seed": 1234}

		// The same plan, period and seed pick the same cases: a dry run foretells the run.
		dry := c.call(t, c.qa, "POST", "/v1/qa/runs", js{"from": period["from"], "to": period["to"], "seed": 1234, "dryRun": true}, http.StatusCreated)
		run := c.call(t, c.qa, "POST", "/v1/qa/runs", period, http.StatusCreated)
		if !slices.Equal(picked(dry), picked(run)) || len(picked(run)) == 0 {
			t.Fatalf("dry run picked %v, the run %v", picked(dry), picked(run))
		}
		if run["seed"] != 1234.0 || run["considered"] != 18.0 || run["planVersion"] != 2.0 {
			t.Errorf("run = seed %v, considered %v, plan %v", run["seed"], run["considered"], run["planVersion"])
		}
		for _, s := range run["strata"].([]any) {
			st := s.(map[string]any)
			if st["officer"] == "officer-b" && st["sampled"] != st["resolved"] {
				t.Errorf("officer B at rate 1: sampled %v of %v", st["sampled"], st["resolved"])
			}
		}
		for _, r := range run["reviews"].([]any) {
			rv := r.(map[string]any)
			if rv["seed"] != 1234.0 || rv["why"] == "" || rv["assignee"] == rv["officer"] {
				t.Errorf("review %v: seed, why or reviewer wrong", rv)
			}
			if rv["officer"] == "officer-a" && rv["assignee"] != "qa-officer" {
				t.Errorf("officer A's case is reviewed by %v, want qa-officer (officer A may not review their own)", rv["assignee"])
			}
		}

		// A case is sampled at most once: the next run considers only the rest.
		again := c.call(t, c.qa, "POST", "/v1/qa/runs", period, http.StatusCreated)
		if again["considered"] != float64(18-len(picked(run))) {
			t.Errorf("second run considered %v, want %d", again["considered"], 18-len(picked(run)))
		}
		for _, id := range picked(again) {
			if slices.Contains(picked(run), id) {
				t.Errorf("%s sampled twice", id)
			}
		}

		// Reviews of officer A's cases, for qa-officer.
		mine := reviewsOf(c.call(t, c.qa, "GET", "/v1/qa/reviews?status=pending&assignee=qa-officer&officer=officer-a", nil, http.StatusOK))
		if len(mine) < 2 {
			t.Fatalf("want at least two reviews of officer A's work for qa-officer, got %d", len(mine))
		}
		failed, fed := mine[0]["id"].(string), mine[1]["id"].(string)
		failedCase := mine[0]["caseId"].(string)

		// Outcomes that do not hang together are refused, naming the field.
		for _, tc := range []struct {
			body  js
			field string
		}{
			{js{"outcome": "fail"}, "errorCategories"},
			{js{"outcome": "fail", "errorCategories": []string{"typo"}}, "errorCategories[0]"},
			{js{"outcome": "pass", "reopen": true}, "reopen"},
		} {
			resp, body := h.raw("POST", "/v1/qa/reviews/"+failed+"/outcome", c.qa, "application/json", mustJSON(t, tc.body))
			p := wantProblem(t, http.StatusUnprocessableEntity, body, resp.StatusCode, "invalid-value")
			if !slices.Contains(fieldsOf(p), tc.field) {
				t.Errorf("%v: the problem names %v, want %s", tc.body, fieldsOf(p), tc.field)
			}
		}
		// The officer who resolved a case never reviews it.
		selfReview := h.token(auth.Claims{Subject: "officer-a", Roles: []auth.Role{auth.QA}})
		resp, body := h.raw("POST", "/v1/qa/reviews/"+failed+"/outcome", selfReview, "application/json", mustJSON(t, js{"outcome": "pass"}))
		if p := wantProblem(t, http.StatusForbidden, body, resp.StatusCode, "forbidden"); !strings.Contains(deref(p.Detail), "resolved") {
			t.Errorf("self-review refused for %q", deref(p.Detail))
		}

		// A failure reopens the case and hands it back to officer A, on the timeline.
		out := c.call(t, c.qa, "POST", "/v1/qa/reviews/"+failed+"/outcome", js{"outcome": "fail", "errorCategories": []string{"wrong_amount"},
			"financialImpactPence": 12000, "notes": "single person discount applied twice", "reopen": true}, http.StatusOK)
		if out["status"] != "done" || out["reopened"] != true || out["reviewedBy"] != "qa-officer" {
			t.Errorf("outcome = %v", out)
		}
		kase := c.call(t, c.admin, "GET", "/v1/cases/"+failedCase, nil, http.StatusOK)
		if kase["status"] != "open" || kase["assignee"] != "officer-a" {
			t.Errorf("failed case: status %v, assignee %v; want open, officer-a", kase["status"], kase["assignee"])
		}
		tl := c.call(t, c.admin, "GET", "/v1/cases/"+failedCase+"/timeline", nil, http.StatusOK)
		var kinds []string
		reopenedFor := ""
		for _, e := range tl["items"].([]any) {
			ev := e.(map[string]any)
			kinds = append(kinds, ev["kind"].(string))
			if ev["kind"] == "case.reopened" {
				reopenedFor, _ = ev["data"].(map[string]any)["reason"].(string)
			}
		}
		if !slices.Contains(kinds, "qa.review_recorded") || reopenedFor != "qa_failed" {
			t.Errorf("timeline kinds %v, reopened for %q", kinds, reopenedFor)
		}
		// Reopening changed the case: the audit has the write, by the reviewer.
		if err := h.app.Audit.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		var reviewerWrites int
		if err := h.app.DB.Get(&reviewerWrites, h.app.DB.Rebind(`SELECT count(*) FROM audit_entries
 WHERE operation = ? AND subject = ? AND action = ?`), "recordQAOutcome", "qa-officer", "write"); err != nil || reviewerWrites != 1 {
			t.Errorf("audit entries of the reopening outcome: %d (%v), want 1", reviewerWrites, err)
		}
		c.call(t, c.qa, "POST", "/v1/qa/reviews/"+failed+"/outcome", js{"outcome": "pass"}, http.StatusConflict)
		c.call(t, c.qa, "POST", "/v1/qa/reviews/"+uuid.NewString()+"/outcome", js{"outcome": "pass"}, http.StatusNotFound)
		c.call(t, c.qa, "POST", "/v1/qa/reviews/"+fed+"/outcome", js{"outcome": "pass_with_feedback",
			"errorCategories": []string{"poor_communication"}, "notes": "explain the instalments"}, http.StatusOK)

		// Officer A reads the reviews of their own work, feedback and all; not B's.
		own := reviewsOf(c.call(t, c.officerA, "GET", "/v1/qa/reviews?status=done", nil, http.StatusOK))
		if len(own) != 2 {
			t.Fatalf("officer A sees %d done reviews, want 2", len(own))
		}
		for _, rv := range own {
			if rv["officer"] != "officer-a" || rv["notes"] == nil {
				t.Errorf("officer A sees %v", rv)
			}
		}
		c.call(t, c.officerA, "GET", "/v1/qa/reviews?officer=officer-b", nil, http.StatusForbidden)

		// The report: officer A at 50 % (one failed, one passed with feedback).
		window := "?from=" + start.Format(time.RFC3339) + "&to=" + time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
		rep := c.call(t, c.supervisor, "GET", "/v1/qa/report"+window, nil, http.StatusOK)
		groups := rep["groups"].([]any)
		if len(groups) != 1 {
			t.Fatalf("groups = %v", groups)
		}
		if g := groups[0].(map[string]any); g["key"] != "officer-a" || g["reviewed"] != 2.0 || g["failed"] != 1.0 ||
			g["accuracy"] != 0.5 || g["financialImpactPence"] != 12000.0 {
			t.Errorf("officer A's group = %v", g)
		}
		byCat := c.call(t, c.qa, "GET", "/v1/qa/report"+window+"&groupBy=category", nil, http.StatusOK)
		if n := len(byCat["groups"].([]any)); n != 2 {
			t.Errorf("by category: %d groups, want wrong_amount and poor_communication", n)
		}
		resp, body = h.raw("GET", "/v1/qa/report"+window, c.supervisor, "", nil, "Accept", "image/svg+xml")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "<svg") || !strings.Contains(string(body), `<title id="chart-title">QA accuracy by officer</title>`) ||
			!strings.Contains(string(body), "officer-a: 50.0%</title>") || !strings.Contains(string(body), "officer-a 50.0% of 2") {
			t.Errorf("SVG: %d %s", resp.StatusCode, body)
		}
		resp, body = h.raw("GET", "/v1/qa/report"+window+"&groupBy=week", c.qa, "", nil, "Accept", "text/csv")
		lines, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil || resp.StatusCode != http.StatusOK || len(lines) != 2 || lines[0][0] != "week" || lines[1][1] != "2" {
			t.Errorf("CSV by week: %d %v %v", resp.StatusCode, lines, err)
		}
	})
}

// On 2,000 generated resolved cases, each stratum (officer and service) is sampled at
// its rate to within one case, and the whole run is reproducible from its seed.
func TestQA_StratificationOnTwoThousandCases(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		c := newCompliance(h)
		cust := c.customer(t, "Generated")
		base := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
		officers := []string{"officer-a", "officer-b", "officer-c", "officer-d"}
		services := []int{57, 58, 61, 69, 55}
		db := h.app.DB
		tx, err := db.Beginx()
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2000 {
			id, at := uuid.NewString(), base.Add(time.Duration(i)*time.Second)
			mustExec(t, tx, `INSERT INTO cases (id, customer_id, service_lgsl, status, sla_due_at, channel, resolution_code, resolved_at,
 version, created_at, updated_at) VALUES (?, ?, ?, 'resolved', ?, 'phone', 'advice_given', ?, 2, ?, ?)`,
				id, cust, services[(i/len(officers))%len(services)], at.Add(24*time.Hour), at, at.Add(-time.Hour), at)
			mustExec(t, tx, `INSERT INTO timeline_events (id, customer_id, case_id, kind, actor_subject, actor_role, data, occurred_at)
 VALUES (?, ?, ?, 'case.resolved', ?, 'agent', ?, ?)`, uuid.NewString(), cust, id, officers[i%len(officers)], `{"resolutionCode":"advice_given","firstContact":false}`, at)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		c.call(t, c.qa, "POST", "/v1/qa/plans", js{"baseRate": 0.05, "serviceRates": js{"58": 0.2}}, http.StatusCreated)
		body := js{"from": base, "to": base.Add(time.Hour), "seed": 20261130, "dryRun": true}
		run := c.call(t, c.qa, "POST", "/v1/qa/runs", body, http.StatusCreated)
		if run["considered"] != 2000.0 {
			t.Fatalf("considered %v, want 2000", run["considered"])
		}
		expected := 0.0
		for _, s := range run["strata"].([]any) {
			st := s.(map[string]any)
			want := st["rate"].(float64) * st["resolved"].(float64)
			expected += want
			if math.Abs(st["sampled"].(float64)-want) > 1 {
				t.Errorf("stratum %v/%v: sampled %v of %v, want %.1f ± 1", st["officer"], st["service"], st["sampled"], st["resolved"], want)
			}
		}
		if got := run["sampled"].(float64); math.Abs(got-expected) > 20 || expected < 150 {
			t.Errorf("sampled %v, want about %.0f", got, expected)
		}
		if again := c.call(t, c.qa, "POST", "/v1/qa/runs", body, http.StatusCreated); !slices.Equal(picked(run), picked(again)) {
			t.Error("the same seed picked different cases")
		}
	})
}

func mustExec(t *testing.T, tx *sqlx.Tx, query string, args ...any) {
	t.Helper()
	if _, err := tx.Exec(tx.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// The daily sample is drawn once per working day, whichever replica gets there first.
func TestQA_DailySampleIsDrawnOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		c := newCompliance(h)
		id := c.openCase(t, c.customer(t, "Daily"), 61)
		c.resolve(t, c.officerA, id)
		cal := h.app.Router.Calendar()
		next := time.Now().AddDate(0, 0, 1)
		for !cal.WorkingDay(next) {
			next = next.AddDate(0, 0, 1)
		}
		ctx := t.Context()
		if ran, err := h.app.QA.RunDaily(ctx, cal, next); ran || err != nil {
			t.Fatalf("without a plan: ran %v, err %v", ran, err)
		}
		c.call(t, c.qa, "POST", "/v1/qa/plans", js{"baseRate": 1}, http.StatusCreated)
		results := make(chan bool, 2)
		for range 2 {
			go func() {
				ran, err := h.app.QA.RunDaily(ctx, cal, next)
				if err != nil {
					t.Error(err)
				}
				results <- ran
			}()
		}
		if a, b := <-results, <-results; a == b {
			t.Fatalf("two replicas at once: ran %v and %v, want exactly one", a, b)
		}
		if n := h.count("qa_runs"); n != 1 {
			t.Fatalf("%d runs, want 1", n)
		}
		page := c.call(t, c.qa, "GET", "/v1/qa/reviews?officer=officer-a", nil, http.StatusOK)
		if items := reviewsOf(page); len(items) != 1 || items[0]["caseId"] != id {
			t.Errorf("daily sample reviews = %v, want the case resolved the working day before", items)
		}
	})
}

// A failed review whose case cannot be reopened (it was closed since) is refused whole:
// the review stays pending and nothing reaches the timeline.
func TestQA_AFailureThatCannotReopenWritesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		c := newCompliance(h)
		id := c.openCase(t, c.customer(t, "Closed"), 61)
		c.resolve(t, c.officerA, id)
		c.call(t, c.qa, "POST", "/v1/qa/plans", js{"baseRate": 1}, http.StatusCreated)
		run := c.call(t, c.qa, "POST", "/v1/qa/runs", js{"from": time.Now().UTC().Add(-time.Minute), "to": time.Now().UTC().Add(time.Minute)}, http.StatusCreated)
		review := run["reviews"].([]any)[0].(map[string]any)["id"].(string)
		c.call(t, c.admin, "PATCH", "/v1/cases/"+id, js{"status": "closed"}, http.StatusOK, "If-Match", "*")
		events := h.count("timeline_events")

		c.call(t, c.qa, "POST", "/v1/qa/reviews/"+review+"/outcome", js{"outcome": "fail", "errorCategories": []string{"wrong_decision"},
			"reopen": true}, http.StatusConflict)
		if n := h.count("timeline_events"); n != events {
			t.Errorf("a refused outcome added %d timeline events", n-events)
		}
		pending := reviewsOf(c.call(t, c.qa, "GET", "/v1/qa/reviews?status=pending", nil, http.StatusOK))
		if len(pending) != 1 || pending[0]["id"] != review {
			t.Errorf("pending reviews = %v, want the refused one still pending", pending)
		}
		if k := c.call(t, c.admin, "GET", "/v1/cases/"+id, nil, http.StatusOK); k["status"] != "closed" {
			t.Errorf("case status %v, want closed", k["status"])
		}
	})
}
