package contract

import (
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/council/contacthub/internal/auth"
)

// Workforce (issue 16): forecasts and staffing from contacts the test records.

func supervisorToken(h *hub) string {
	return h.token(auth.Claims{Subject: "sup-wfm", Roles: []auth.Role{auth.Supervisor}})
}

var londonTZ = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}()

// recordAt records a contact on a channel at a time, four minutes long.
func recordAt(t *testing.T, h *hub, token, ch string, at time.Time) {
	t.Helper()
	body := map[string]any{"channel": ch, "service": map[string]any{"lgsl": 58}, "startedAt": at.UTC().Format(time.RFC3339),
		"endedAt": at.Add(4 * time.Minute).UTC().Format(time.RFC3339)}
	if status, _, out := h.call(t, token, "POST", "/v1/contacts", body); status != http.StatusCreated {
		t.Fatalf("record contact at %v: %d %s", at, status, out)
	}
}

// workforceHistory records three weeks of phone contacts before origin (a Monday,
// midnight in London): three at 10:00 on Mondays and one at 10:00 on the other weekdays,
// plus web forms that a phone forecast must not count; and two phone contacts on the
// Monday of origin's own week, its actuals.
func workforceHistory(t *testing.T, h *hub, origin time.Time) {
	t.Helper()
	agent := h.agentToken()
	for day := -21; day < 0; day++ {
		d := origin.AddDate(0, 0, day)
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		at := time.Date(d.Year(), d.Month(), d.Day(), 10, 5, 0, 0, londonTZ)
		n := 1
		if d.Weekday() == time.Monday {
			n = 3
			recordAt(t, h, agent, "web_form", at)
		}
		for range n {
			recordAt(t, h, agent, "phone", at)
		}
	}
	for range 2 {
		recordAt(t, h, agent, "phone", origin.Add(10*time.Hour+10*time.Minute))
	}
}

func lastWeeksMonday(now time.Time) time.Time {
	l := now.In(londonTZ)
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, londonTZ)
	return d.AddDate(0, 0, -((int(d.Weekday())+6)%7)-7)
}

func TestWorkforceForecast_ForecastsTheWeekFromTheContactsRecordedAndReportsItsActuals(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		sup := supervisorToken(h)
		origin := lastWeeksMonday(time.Now())
		workforceHistory(t, h, origin)
		tuesday := origin.AddDate(0, 0, 1)
		if status, _, out := h.call(t, sup, "POST", "/v1/workforce/calendar", map[string]any{"name": "Letter run", "channel": "phone",
			"from": tuesday.Format("2006-01-02"), "to": tuesday.Format("2006-01-02"), "uplift": 1.0}); status != http.StatusCreated {
			t.Fatalf("calendar entry: %d %s", status, out)
		}
		q := url.Values{"channel": {"phone"}, "from": {origin.UTC().Format(time.RFC3339)},
			"to": {origin.AddDate(0, 0, 7).UTC().Format(time.RFC3339)}, "interval": {"1d"}}
		status, f, out := h.call(t, sup, "GET", "/v1/workforce/forecast?"+q.Encode(), nil)
		if status != http.StatusOK {
			t.Fatalf("forecast: %d %s", status, out)
		}
		if f["method"] != "seasonal_profile_trend_yearly" || f["historyDays"].(float64) < 18 || f["historyDays"].(float64) > 21 {
			t.Fatalf("method %v, historyDays %v: want the full method on three weeks", f["method"], f["historyDays"])
		}
		points := f["points"].([]any)
		if len(points) != 7 {
			t.Fatalf("%d daily points, want 7", len(points))
		}
		day := func(i int) map[string]any { return points[i].(map[string]any) }
		// Monday: three phone contacts on each of three Mondays (the web forms are not phone).
		if e := day(0)["expected"].(float64); math.Abs(e-3) > 0.01 {
			t.Errorf("Monday expected %.3f, want 3", e)
		}
		if a, ok := day(0)["actual"].(float64); !ok || a != 2 {
			t.Errorf("Monday actual %v, want 2", day(0)["actual"])
		}
		// Tuesday: one a week, doubled by the letter run.
		if e := day(1)["expected"].(float64); math.Abs(e-2) > 0.01 {
			t.Errorf("Tuesday expected %.3f, want 1 × (1 + 1.0) for the letter run", e)
		}
		if e := day(6)["expected"].(float64); e != 0 {
			t.Errorf("Sunday expected %.3f, want 0", e)
		}
		if ev := f["events"].([]any); len(ev) != 1 || ev[0].(map[string]any)["name"] != "Letter run" {
			t.Errorf("events %v, want the letter run", ev)
		}
		for i := range points {
			p := day(i)
			if !(p["lower95"].(float64) <= p["lower80"].(float64) && p["lower80"].(float64) <= p["expected"].(float64) &&
				p["expected"].(float64) <= p["upper80"].(float64) && p["upper80"].(float64) <= p["upper95"].(float64)) {
				t.Errorf("point %d: bands out of order: %v", i, p)
			}
		}

		// The same as CSV: a header and a row per day.
		resp, body := h.raw("GET", "/v1/workforce/forecast?"+q.Encode(), sup, "", nil, "Accept", "text/csv")
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || len(lines) != 8 ||
			lines[0] != "start,expected,lower80,upper80,lower95,upper95,actual" || !strings.HasSuffix(lines[1], ",2") {
			t.Errorf("CSV %d %s:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}

		// And as a chart: the bands, the expected line and the actuals.
		resp, body = h.raw("GET", "/v1/workforce/forecast?"+q.Encode(), sup, "", nil, "Accept", "image/svg+xml")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "image/svg+xml") ||
			!strings.HasPrefix(string(body), "<svg") || strings.Count(string(body), "<polygon") != 2 {
			t.Errorf("SVG %d %s: %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}

		// A week after the first contact there is too little history: seasonal averages, said so.
		first := origin.AddDate(0, 0, -21)
		q2 := url.Values{"channel": {"phone"}, "from": {first.AddDate(0, 0, 7).UTC().Format(time.RFC3339)},
			"to": {first.AddDate(0, 0, 8).UTC().Format(time.RFC3339)}, "interval": {"60m"}}
		status, f, out = h.call(t, sup, "GET", "/v1/workforce/forecast?"+q2.Encode(), nil)
		if status != http.StatusOK || f["method"] != "seasonal_average" || f["historyDays"].(float64) != 7 || len(f["points"].([]any)) != 24 {
			t.Fatalf("short history: %d %s", status, out)
		}
		if e := f["points"].([]any)[10].(map[string]any)["expected"].(float64); e != 3 {
			t.Errorf("Monday 10:00 from one Monday of history: %.2f, want 3", e)
		}
	})
}

func TestWorkforceStaffing_StaffsAForecastWithTheMeasuredHandlingTimeAndTheRosterGap(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		sup := supervisorToken(h)
		origin := lastWeeksMonday(time.Now())
		workforceHistory(t, h, origin)
		ten := origin.Add(10 * time.Hour).UTC()
		status, p, out := h.call(t, sup, "POST", "/v1/workforce/staffing", map[string]any{
			"forecast":        map[string]any{"channel": "phone", "from": origin.UTC().Format(time.RFC3339), "to": origin.AddDate(0, 0, 1).UTC().Format(time.RFC3339)},
			"roster":          []map[string]any{{"start": ten.Format(time.RFC3339), "rostered": 0}},
			"intervalMinutes": 60, "serviceLevel": map[string]any{"target": 0.8, "answerWithinSeconds": 20}, "shrinkage": 0.3})
		if status != http.StatusOK {
			t.Fatalf("staffing: %d %s", status, out)
		}
		if p["handlingTimeSource"] != "measured" || p["channel"] != "phone" {
			t.Fatalf("source %v channel %v, want measured phone", p["handlingTimeSource"], p["channel"])
		}
		rows := p["rows"].([]any)
		if len(rows) != 24 {
			t.Fatalf("%d rows, want 24 hours", len(rows))
		}
		var at10 map[string]any
		for _, r := range rows {
			if r.(map[string]any)["start"] == ten.Format(time.RFC3339) {
				at10 = r.(map[string]any)
			}
		}
		// 3 calls of 240 s in an hour: 0.2 Erlangs; one agent answers 80 % within 20 s,
		// ceil(1 / 0.7) = 2 positions, and the empty roster is 2 short.
		if at10 == nil || math.Abs(at10["handlingTimeSeconds"].(float64)-240) > 0.5 || math.Abs(at10["traffic"].(float64)-0.2) > 0.01 ||
			at10["agents"].(float64) != 1 || at10["positions"].(float64) != 2 || at10["model"] != "erlang_c" || at10["gap"].(float64) != -2 {
			t.Fatalf("10:00 row %v", at10)
		}
		days := p["days"].([]any)
		if len(days) != 1 || days[0].(map[string]any)["intervalsUnder"].(float64) != 1 || days[0].(map[string]any)["positionHours"].(float64) != 2 {
			t.Fatalf("days %v: want one day, one interval under, 2 position hours", days)
		}
	})
}

func TestWorkforceStaffing_CallCentreHelpersWorkedExampleAsCSV(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		body := `{"intervals":[{"start":"2026-12-07T09:00:00Z","volume":100,"handlingTimeSeconds":180,"rostered":18}],
 "intervalMinutes":30,"serviceLevel":{"target":0.8,"answerWithinSeconds":20},"shrinkage":0.3,"maxOccupancy":0.85}`
		resp, out := h.raw("POST", "/v1/workforce/staffing", supervisorToken(h), "application/json", []byte(body), "Accept", "text/csv")
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if resp.StatusCode != http.StatusOK || len(lines) != 2 {
			t.Fatalf("%d %s", resp.StatusCode, out)
		}
		f := strings.Split(lines[1], ",")
		// traffic 10, 14 agents, 20 positions, erlang_c, rostered 18, gap −2.
		if f[3] != "10" || f[4] != "14" || f[5] != "20" || f[10] != "erlang_c" || f[11] != "18" || f[12] != "-2" {
			t.Fatalf("row %q", lines[1])
		}
	})
}

// Bad figures are 422 naming the field; a staffing request writes nothing either way.
func TestWorkforce_BadInputIsRefusedNamingTheField(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		sup := supervisorToken(h)
		base := func() map[string]any {
			return map[string]any{"intervals": []map[string]any{{"start": "2026-12-07T09:00:00Z", "volume": 100, "handlingTimeSeconds": 180}},
				"intervalMinutes": 30, "serviceLevel": map[string]any{"target": 0.8, "answerWithinSeconds": 20}}
		}
		from := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
		cases := []struct {
			field string
			edit  func(m map[string]any)
		}{
			{"serviceLevel.target", func(m map[string]any) { m["serviceLevel"] = map[string]any{"target": 1, "answerWithinSeconds": 20} }},
			{"serviceLevel.target", func(m map[string]any) { m["serviceLevel"] = map[string]any{"target": 0, "answerWithinSeconds": 20} }},
			{"intervals[0].handlingTimeSeconds", func(m map[string]any) {
				m["intervals"] = []map[string]any{{"start": "2026-12-07T09:00:00Z", "volume": 100, "handlingTimeSeconds": -5}}
			}},
			{"intervals[0].handlingTimeSeconds", func(m map[string]any) {
				m["intervals"] = []map[string]any{{"start": "2026-12-07T09:00:00Z", "volume": 100, "handlingTimeSeconds": 0}}
			}},
			{"shrinkage", func(m map[string]any) { m["shrinkage"] = 1 }},
			{"maxOccupancy", func(m map[string]any) { m["maxOccupancy"] = 1.5 }},
			{"intervalMinutes", func(m map[string]any) { m["intervalMinutes"] = 7 }},
			{"channel", func(m map[string]any) { m["channel"] = "web_self_service" }},
			{"intervals", func(m map[string]any) {
				m["forecast"] = map[string]any{"channel": "phone", "from": from.Format(time.RFC3339), "to": from.Add(time.Hour).Format(time.RFC3339)}
			}},
			{"forecast.to", func(m map[string]any) {
				delete(m, "intervals")
				m["forecast"] = map[string]any{"channel": "phone", "from": from.Format(time.RFC3339), "to": from.AddDate(1, 0, 2).Format(time.RFC3339)}
			}},
		}
		for _, c := range cases {
			m := base()
			c.edit(m)
			status, _, out := h.call(t, sup, "POST", "/v1/workforce/staffing", m)
			wantFieldProblem(t, c.field, http.StatusUnprocessableEntity, "invalid-value", status, out, c.field)
		}
		long := url.Values{"from": {from.Format(time.RFC3339)}, "to": {from.AddDate(1, 0, 2).Format(time.RFC3339)}}
		status, _, out := h.call(t, sup, "GET", "/v1/workforce/forecast?"+long.Encode(), nil)
		wantFieldProblem(t, "a forecast over a year", http.StatusUnprocessableEntity, "invalid-value", status, out, "to")
		status, _, out = h.call(t, sup, "POST", "/v1/workforce/calendar", map[string]any{"name": "Backwards", "from": "2027-03-02", "to": "2027-03-01", "uplift": 0.2})
		wantFieldProblem(t, "a calendar entry ending before it starts", http.StatusUnprocessableEntity, "invalid-value", status, out, "to")
		status, _, out = h.call(t, sup, "POST", "/v1/workforce/calendar", map[string]any{"name": "Uprating", "from": "2027-04-05", "to": "2027-04-09"})
		wantFieldProblem(t, "an uplift to learn with no contacts a year back", http.StatusUnprocessableEntity, "invalid-value", status, out, "uplift")
		status, _, out = h.call(t, sup, "POST", "/v1/workforce/calendar", map[string]any{"name": "Huge", "from": "2027-04-05", "to": "2027-04-05", "uplift": 11})
		wantFieldProblem(t, "an uplift over 10", http.StatusUnprocessableEntity, "invalid-value", status, out, "uplift")
		m := base()
		m["channel"], m["writtenWithinHours"] = "email", 0.1
		status, _, out = h.call(t, sup, "POST", "/v1/workforce/staffing", m)
		wantFieldProblem(t, "an SLA under one interval", http.StatusUnprocessableEntity, "invalid-value", status, out, "writtenWithinHours")
		status, list, _ := h.call(t, sup, "GET", "/v1/workforce/calendar?from=2027-01-01&to=2027-12-31", nil)
		if status != http.StatusOK || len(list["items"].([]any)) != 0 {
			t.Fatalf("a refused entry was written: %v", list)
		}
	})
}

// The accuracy backtest answers per channel with contacts, measured against seasonal naive.
func TestWorkforceAccuracy_BacktestsEachChannelWithContacts(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		sup := supervisorToken(h)
		origin := lastWeeksMonday(time.Now())
		workforceHistory(t, h, origin)
		status, a, out := h.call(t, sup, "GET", "/v1/workforce/forecast/accuracy?weeks=1&interval=1d", nil)
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, out)
		}
		chans := a["channels"].([]any)
		if len(chans) != 2 {
			t.Fatalf("channels %v, want phone and web_form", chans)
		}
		for _, c := range chans {
			c := c.(map[string]any)
			if c["origins"].(float64) != 1 || c["intervals"].(float64) != 7 {
				t.Errorf("%v: want one origin of seven days", c)
			}
		}
		status, _, out = h.call(t, sup, "GET", "/v1/workforce/forecast/accuracy?weeks=0", nil)
		wantFieldProblem(t, "no weeks", http.StatusUnprocessableEntity, "invalid-value", status, out, "weeks")
	})
}

// A calendar entry without an uplift learns it from the same weekday 52 weeks before,
// against the same weekday in the 4 weeks before that: two phone contacts that Monday
// against one on each of the four Mondays before is an uplift of 1 (twice the usual).
// The answer and the forecast's events say it was learnt, and from which day.
func TestWorkforceCalendar_LearnsTheUpliftFromTheSameDayLastYear(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		sup, agent := supervisorToken(h), h.agentToken()
		day := lastWeeksMonday(time.Now()).AddDate(0, 0, 14) // next week's Monday
		then := day.AddDate(0, 0, -364)
		for w := 1; w <= 4; w++ {
			d := then.AddDate(0, 0, -7*w)
			recordAt(t, h, agent, "phone", time.Date(d.Year(), d.Month(), d.Day(), 11, 0, 0, 0, londonTZ))
		}
		for range 2 {
			recordAt(t, h, agent, "phone", time.Date(then.Year(), then.Month(), then.Day(), 11, 0, 0, 0, londonTZ))
		}
		status, e, out := h.call(t, sup, "POST", "/v1/workforce/calendar", map[string]any{"name": "Annual billing", "channel": "phone",
			"from": day.Format("2006-01-02"), "to": day.Format("2006-01-02")})
		if status != http.StatusCreated {
			t.Fatalf("learnt entry: %d %s", status, out)
		}
		if e["uplift"].(float64) != 1 || e["upliftSource"] != "last_year" || e["learntFrom"] != then.Format("2006-01-02") || e["learntTo"] != then.Format("2006-01-02") {
			t.Fatalf("learnt entry %v: want uplift 1 learnt from %s", e, then.Format("2006-01-02"))
		}
		status, given, out := h.call(t, sup, "POST", "/v1/workforce/calendar", map[string]any{"name": "Letter run", "channel": "phone",
			"from": day.Format("2006-01-02"), "to": day.Format("2006-01-02"), "uplift": 0.3})
		if status != http.StatusCreated || given["upliftSource"] != "supervisor" || given["learntFrom"] != nil {
			t.Fatalf("given entry: %d %s", status, out)
		}
		q := url.Values{"channel": {"phone"}, "from": {day.UTC().Format(time.RFC3339)}, "to": {day.AddDate(0, 0, 1).UTC().Format(time.RFC3339)}, "interval": {"1d"}}
		status, f, out := h.call(t, sup, "GET", "/v1/workforce/forecast?"+q.Encode(), nil)
		if status != http.StatusOK {
			t.Fatalf("forecast: %d %s", status, out)
		}
		sources := map[string]bool{}
		for _, ev := range f["events"].([]any) {
			sources[ev.(map[string]any)["upliftSource"].(string)] = true
		}
		if !sources["last_year"] || !sources["supervisor"] {
			t.Fatalf("forecast events %v", f["events"])
		}
	})
}

// Written work's SLA counts the council's working hours through the staffing endpoint:
// 100 emails at 16:00 on Christmas Eve 2026 with 8 working hours are staffed that last
// hour and on Tuesday 29 December, and nobody over Christmas Day, the weekend and the
// Monday that stands for Boxing Day.
func TestWorkforceStaffing_WrittenSLAWaitsOverBankHolidays(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *hub) {
		sup := supervisorToken(h)
		start := time.Date(2026, 12, 24, 16, 0, 0, 0, londonTZ)
		var intervals []map[string]any
		for i := range 5 * 48 {
			v := 0
			if i == 0 {
				v = 100
			}
			intervals = append(intervals, map[string]any{"start": start.Add(time.Duration(i) * 30 * time.Minute).UTC().Format(time.RFC3339), "volume": v})
		}
		status, p, out := h.call(t, sup, "POST", "/v1/workforce/staffing", map[string]any{"channel": "email", "intervals": intervals,
			"intervalMinutes": 30, "handlingTimeSeconds": 480, "writtenWithinHours": 8,
			"serviceLevel": map[string]any{"target": 0.8, "answerWithinSeconds": 20}})
		if status != http.StatusOK {
			t.Fatalf("%d %s", status, out)
		}
		staffedDays := map[string]int{}
		for _, r := range p["rows"].([]any) {
			r := r.(map[string]any)
			at, _ := time.Parse(time.RFC3339, r["start"].(string))
			staffedDays[at.In(londonTZ).Format("2006-01-02")] += int(r["agents"].(float64))
		}
		if staffedDays["2026-12-24"] != 4 || staffedDays["2026-12-29"] != 28 || staffedDays["2026-12-25"]+staffedDays["2026-12-26"]+
			staffedDays["2026-12-27"]+staffedDays["2026-12-28"] != 0 {
			t.Fatalf("agent-intervals by day %v", staffedDays)
		}
	})
}
