package contract

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	contacthub "github.com/council/contacthub/clients/go"
)

// The routing report by period, over the reports world: contacts count on the day they
// started (two a week, all routed to tier 1: the week of 2 November has A's phone call
// and web form, the week of 9 November B's web self-service and face-to-face visit);
// cases count on the day they were opened, which is today (they were recorded today):
// five of them (A two, B one, C and D one each in the fortnight before), A's phone
// call's resolved at first contact.
func TestReports_RoutingByPeriodSumsToItsTotals(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := writeReportsWorld(t, h)
		routing := func(from, to, by string) contacthub.RoutingReport {
			t.Helper()
			_, body := w.get(t, h, "/v1/reports/routing?from="+from+"&to="+to+by, "application/json")
			return decode[contacthub.RoutingReport](t, body)
		}
		r := routing("2026-11-02T00:00:00Z", "2026-11-16T00:00:00Z", "")
		if r.GroupBy != contacthub.ReportPeriodWeek || len(r.Periods) != 2 ||
			r.Periods[0].Start.Format(time.DateOnly) != "2026-11-02" || r.Periods[1].Start.Format(time.DateOnly) != "2026-11-09" {
			t.Fatalf("weeks = %s %+v", r.GroupBy, r.Periods)
		}
		if r.Periods[0].ContactsByTier["1"] != 2 || r.Periods[1].ContactsByTier["1"] != 2 || r.CasesOpened != 0 {
			t.Fatalf("by week %+v, cases opened %d", r.Periods, r.CasesOpened)
		}
		sum := map[string]int{}
		for _, p := range r.Periods {
			for k, n := range p.ContactsByTier {
				sum[k] += n
			}
		}
		if len(sum) == 0 || !mapsEqual(sum, r.ContactsByTier) {
			t.Fatalf("periods' contacts by tier %v, totals %v", sum, r.ContactsByTier)
		}
		// By day: 14 periods, A's phone call on the 2nd, nothing on the 4th.
		byDay := routing("2026-11-02T00:00:00Z", "2026-11-16T00:00:00Z", "&groupBy=day")
		if len(byDay.Periods) != 14 || byDay.Periods[0].ContactsByTier["1"] != 1 || byDay.Periods[1].ContactsByTier["1"] != 1 || len(byDay.Periods[2].ContactsByTier) != 0 {
			t.Fatalf("by day = %+v", byDay.Periods)
		}
		// Periods are clipped to [from, to): from the 3rd to the 9th at 10:00 keeps only
		// A's web form (the 3rd); B's self-service at 11:00 on the 9th falls outside.
		clipped := routing("2026-11-03T00:00:00Z", "2026-11-09T10:00:00Z", "&groupBy=week")
		if len(clipped.Periods) != 2 || clipped.Periods[0].ContactsByTier["1"] != 1 || len(clipped.Periods[1].ContactsByTier) != 0 {
			t.Fatalf("clipped = %+v", clipped.Periods)
		}
		// By month: one period, named by the 1st.
		if m := routing("2026-11-02T00:00:00Z", "2026-11-16T00:00:00Z", "&groupBy=month"); len(m.Periods) != 1 || m.Periods[0].Start.Format(time.DateOnly) != "2026-11-01" || m.Periods[0].ContactsByTier["1"] != 4 {
			t.Fatalf("by month = %+v", m.Periods)
		}
		// Today, by day: the five cases opened, one resolved at first contact; none yesterday.
		today := time.Now().UTC().Truncate(24 * time.Hour)
		cases := routing(today.AddDate(0, 0, -1).Format(time.RFC3339), today.AddDate(0, 0, 1).Format(time.RFC3339), "&groupBy=day")
		if len(cases.Periods) != 2 || cases.Periods[0].CasesOpened != 0 || cases.Periods[1].CasesOpened != 5 || cases.CasesOpened != 5 ||
			cases.Periods[1].FirstContactResolutionRate != 0.2 || cases.FirstContactResolutionRate != 0.2 {
			t.Fatalf("cases today: %d, %+v", cases.CasesOpened, cases.Periods)
		}
		// CSV: a header in words and one row per week, numbers as numbers.
		_, body := w.get(t, h, "/v1/reports/routing?from=2026-11-02T00:00:00Z&to=2026-11-16T00:00:00Z", "text/csv")
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "Period start,Contacts routed to tier 1,") ||
			lines[1] != "2026-11-02,2,0,0,0,0.0000,0.0000,0" {
			t.Fatalf("CSV = %q", body)
		}
		_, body = w.get(t, h, "/v1/reports/routing?from=2026-11-02T00:00:00Z&to=2026-11-16T00:00:00Z", "image/svg+xml")
		if svg := string(body); !strings.Contains(svg, "Contacts by the tier they were routed to") || !strings.Contains(svg, "<title>") {
			t.Fatalf("SVG = %.400s", svg)
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestReports_RoutingAndTakeUpBadInputNamesTheParameter(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		w := writeReportsWorld(t, h)
		for _, tc := range []struct {
			path   string
			status int
			field  string
		}{
			{"/v1/reports/routing?from=2026-11-15T00:00:00Z&to=2026-11-02T00:00:00Z", http.StatusUnprocessableEntity, "to"},
			{"/v1/reports/routing?from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:01Z", http.StatusUnprocessableEntity, "to"},
			{"/v1/reports/routing?from=2026-11-02T00:00:00Z&to=2026-11-15T00:00:00Z&groupBy=year", http.StatusBadRequest, "groupBy"},
			{"/v1/reports/routing?from=yesterday&to=2026-11-15T00:00:00Z", http.StatusBadRequest, "from"},
			{"/v1/reports/landlord-takeup?from=2026-11-15&to=2026-11-02", http.StatusUnprocessableEntity, "to"},
			{"/v1/reports/landlord-takeup?from=2020-01-01&to=2025-01-02", http.StatusUnprocessableEntity, "to"},
			{"/v1/reports/landlord-takeup?groupBy=fortnight", http.StatusBadRequest, "groupBy"},
			{"/v1/reports/landlord-takeup?to=someday", http.StatusBadRequest, "to"},
		} {
			resp, body := h.raw("GET", tc.path, w.supToken, "", nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s: %d, want %d: %.300s", tc.path, resp.StatusCode, tc.status, body)
			}
			if fields := fieldsOf(problemOf(t, body)); !slices.Contains(fields, tc.field) {
				t.Fatalf("%s names %v, want %s: %s", tc.path, fields, tc.field, body)
			}
		}
		// Exactly five years is allowed, and an empty span answers zeros.
		if resp, body := h.raw("GET", "/v1/reports/routing?from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&groupBy=month", w.supToken, "", nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("five years: %d %.300s", resp.StatusCode, body)
		}
		_, body := w.get(t, h, "/v1/reports/routing?from=2019-01-01T00:00:00Z&to=2019-01-08T00:00:00Z&groupBy=day", "application/json")
		if r := decode[contacthub.RoutingReport](t, body); r.CasesOpened != 0 || len(r.Periods) != 7 || r.Periods[6].CasesOpened != 0 {
			t.Fatalf("an empty week: %+v", r)
		}
	})
}
