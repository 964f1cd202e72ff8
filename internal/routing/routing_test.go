package routing

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/council/contacthub/internal/workcal"
)

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return l
}()

// plainWeek is a calendar without holidays, so the tables below read plainly.
var plainWeek = workcal.Weekdays(london)

func defaultSet(t testing.TB) *Compiled {
	t.Helper()
	rs, err := Parse(DefaultJSON)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(1, rs, plainWeek)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Monday 23 November 2026, 10:00 in London.
var monday = time.Date(2026, 11, 23, 10, 0, 0, 0, london)

func TestDecide_DefaultRulesRouteEachKindOfEnquiry(t *testing.T) {
	c := defaultSet(t)
	for _, tc := range []struct {
		name  string
		f     Facts
		rule  string
		tier  int
		queue string
		due   time.Time
	}{
		{"council tax account enquiry", Facts{LGSL: 58, Channel: "phone"}, "council-tax-first-point", 1, "advisors", monday.Add(240 * time.Hour)},
		{"benefit fraud", Facts{LGSL: 726}, "benefit-fraud", 3, "fraud", time.Date(2026, 11, 30, 10, 0, 0, 0, london)},
		{"vulnerable council tax payer", Facts{LGSL: 58, Vulnerable: true}, "vulnerable-customers", 2, "vulnerable-support", time.Date(2026, 11, 24, 10, 0, 0, 0, london)},
		{"appeal beats vulnerability", Facts{LGSL: 72, Vulnerable: true}, "appeals", 3, "appeals", monday.Add(1344 * time.Hour)},
		{"arrears over a thousand pounds", Facts{LGSL: 58, HasAmount: true, Amount: 150000}, "high-council-tax-arrears", 3, "council-tax-recovery", time.Date(2026, 11, 30, 10, 0, 0, 0, london)},
		{"arrears of a thousand exactly", Facts{LGSL: 58, HasAmount: true, Amount: 100000}, "council-tax-first-point", 1, "advisors", monday.Add(240 * time.Hour)},
		{"third council tax contact in two weeks", Facts{LGSL: 59, PreviousContacts: []time.Time{monday.Add(-24 * time.Hour), monday.Add(-13 * 24 * time.Hour)}}, "repeat-contacts", 2, "blt-officers", time.Date(2026, 11, 24, 10, 0, 0, 0, london)},
		{"older contacts do not count", Facts{LGSL: 59, PreviousContacts: []time.Time{monday.Add(-24 * time.Hour), monday.Add(-15 * 24 * time.Hour)}}, "council-tax-first-point", 1, "advisors", monday.Add(240 * time.Hour)},
		{"repeat parking is still tier 1", Facts{LGSL: 471, PreviousContacts: []time.Time{monday.Add(-time.Hour), monday.Add(-2 * time.Hour)}}, "parking", 1, "advisors", monday.Add(120 * time.Hour)},
		{"new housing benefit claim", Facts{LGSL: 69}, "new-benefit-claims", 2, "blt-officers", time.Date(2026, 11, 24, 10, 0, 0, 0, london)},
		{"evidence outstanding", Facts{LGSL: 69, EvidenceRequired: true}, "evidence-needed", 3, "benefits-assessment", monday.Add(336 * time.Hour)},
		{"business rates relief", Facts{LGSL: 55}, "business-rates", 2, "business-rates", time.Date(2026, 11, 25, 10, 0, 0, 0, london)},
		{"anything else", Facts{LGSL: 1616}, "default", 1, "advisors", monday.Add(240 * time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			f.At = monday
			d := c.DecideExplained(&f)
			if d.RuleID != tc.rule || d.Result.Tier != tc.tier || d.Result.Queue != tc.queue {
				t.Fatalf("decided %s → tier %d %s; want %s → tier %d %s", d.RuleID, d.Result.Tier, d.Result.Queue, tc.rule, tc.tier, tc.queue)
			}
			if due := c.Due(d.Result, f.At); !due.Equal(tc.due) {
				t.Fatalf("due %v, want %v", due.In(london), tc.due)
			}
			if !strings.Contains(d.Summary, tc.rule) || !strings.Contains(d.Summary, tc.queue) {
				t.Fatalf("summary %q does not say which rule and queue", d.Summary)
			}
		})
	}
}

func TestExplain_SaysWhyEachRuleMatchedOrNot(t *testing.T) {
	c := defaultSet(t)
	f := Facts{LGSL: 58, At: monday, HasAmount: true, Amount: 50000, Channel: "phone"}
	d, steps := c.Explain(&f)
	var rules []string
	for _, s := range steps {
		rules = append(rules, s.Rule)
	}
	want := []string{"benefit-fraud", "appeals", "vulnerable-customers", "evidence-needed", "high-council-tax-arrears",
		"repeat-contacts", "new-benefit-claims", "business-rates", "council-tax-first-point"}
	if !slices.Equal(rules, want) || d.RuleID != "council-tax-first-point" {
		t.Fatalf("steps %v, decided %s", rules, d.RuleID)
	}
	for _, tc := range []struct {
		i    int
		want string
	}{
		{0, "service 58 is not in [726]"},
		{2, "the customer is not flagged vulnerable"},
		{4, "amount 50000 does not meet > 100000"},
		{5, "1 contact(s) in 14 days (needs 3)"},
		{8, "service 58 is in [57 58 59 60 61]"},
	} {
		if steps[tc.i].Reason != tc.want || steps[tc.i].Matched != (tc.i == 8) {
			t.Errorf("step %d (%s): %q matched=%v, want %q", tc.i, steps[tc.i].Rule, steps[tc.i].Reason, steps[tc.i].Matched, tc.want)
		}
	}
}

func TestConditions_TimeDayLanguageAndCombinators(t *testing.T) {
	rs := RuleSet{
		Queues: []Queue{{Name: "q1", Tier: 1}, {Name: "q2", Tier: 2}},
		Rules: []Rule{
			{ID: "evening-welsh", When: &Condition{All: []Condition{
				{TimeOfDay: &Between{From: "17:00", To: "09:00"}, present: []string{"timeOfDay"}},
				{Language: []string{"cy"}, present: []string{"language"}},
			}, present: []string{"all"}}, Then: Result{Tier: 2, Queue: "q2", Priority: 2, SLA: SLA{Hours: 1}}},
			{ID: "weekend-not-web", When: &Condition{All: []Condition{
				{DayOfWeek: []string{"sat", "sun"}, present: []string{"dayOfWeek"}},
				{Not: &Condition{Channel: []string{"web_form"}, present: []string{"channel"}}, present: []string{"not"}},
			}, present: []string{"all"}}, Then: Result{Tier: 2, Queue: "q2", Priority: 3, SLA: SLA{Hours: 1}}},
			{ID: "interpreter", When: &Condition{Need: "interpreter", present: []string{"need"}}, Then: Result{Tier: 2, Queue: "q2", Priority: 3, SLA: SLA{Hours: 1}}},
		},
		Default: Result{Tier: 1, Queue: "q1", Priority: 3, SLA: SLA{Hours: 1}},
	}
	c, err := Compile(1, rs, plainWeek)
	if err != nil {
		t.Fatal(err)
	}
	saturday := time.Date(2026, 11, 28, 12, 0, 0, 0, london)
	for _, tc := range []struct {
		f    Facts
		want string
	}{
		{Facts{At: time.Date(2026, 11, 23, 22, 0, 0, 0, london), Language: "cy"}, "evening-welsh"},
		{Facts{At: time.Date(2026, 11, 24, 8, 59, 0, 0, london), Language: "cy"}, "evening-welsh"},
		{Facts{At: time.Date(2026, 11, 24, 9, 0, 0, 0, london), Language: "cy"}, "interpreter"},
		{Facts{At: saturday, Channel: "phone", Language: "en"}, "weekend-not-web"},
		{Facts{At: saturday, Channel: "web_form", Language: "en-GB"}, "default"},
		{Facts{At: monday, Language: "pl"}, "interpreter"},
	} {
		if d := c.Decide(&tc.f); d.RuleID != tc.want {
			t.Errorf("%+v: decided %s, want %s", tc.f, d.RuleID, tc.want)
		}
	}
}

func TestAddBusinessHours_SkipsNightsAndWeekends(t *testing.T) {
	friday4pm := time.Date(2026, 11, 27, 16, 0, 0, 0, london)
	for _, tc := range []struct {
		from  time.Time
		hours int
		want  time.Time
	}{
		{friday4pm, 1, time.Date(2026, 11, 27, 17, 0, 0, 0, london)},
		{friday4pm, 2, time.Date(2026, 11, 30, 10, 0, 0, 0, london)},
		{time.Date(2026, 11, 28, 11, 0, 0, 0, london), 8, time.Date(2026, 11, 30, 17, 0, 0, 0, london)},
		{time.Date(2026, 11, 23, 7, 0, 0, 0, london), 3, time.Date(2026, 11, 23, 12, 0, 0, 0, london)},
		{time.Date(2026, 11, 23, 19, 0, 0, 0, london), 16, time.Date(2026, 11, 25, 17, 0, 0, 0, london)},
	} {
		if got := plainWeek.AddWorkingHours(tc.from, tc.hours); !got.Equal(tc.want) {
			t.Errorf("%v + %dh = %v, want %v", tc.from, tc.hours, got, tc.want)
		}
	}
}

// The service level of a case opened before Christmas runs past the bank holidays of
// the council's calendar, not through them.
func TestDue_BusinessHoursSkipBankHolidays(t *testing.T) {
	rs, err := Parse(DefaultJSON)
	if err != nil {
		t.Fatal(err)
	}
	ew, err := workcal.New(london, workcal.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(1, rs, ew)
	if err != nil {
		t.Fatal(err)
	}
	christmasEve := time.Date(2026, 12, 24, 16, 0, 0, 0, london)
	r := &Result{SLA: SLA{BusinessHours: 8}}
	want := time.Date(2026, 12, 29, 16, 0, 0, 0, london)
	if got := c.Due(r, christmasEve); !got.Equal(want) {
		t.Errorf("8 business hours from Christmas Eve 16:00 = %v, want %v (Christmas Day and the Boxing Day substitute skipped)", got.In(london), want)
	}
	if got := defaultSet(t).Due(r, christmasEve); !got.Equal(time.Date(2026, 12, 25, 16, 0, 0, 0, london)) {
		t.Errorf("without a calendar the clock runs on Christmas Day: got %v", got.In(london))
	}
}

func TestValidate_ListsEveryProblemWithItsPath(t *testing.T) {
	doc := `{
	  "queues": [{"name": "advisors", "tier": 1}, {"name": "advisors", "tier": 4}],
	  "rules": [
	    {"id": "ok", "when": {"service": [58]}, "then": {"tier": 1, "queue": "advisors", "priority": 3, "sla": {"hours": 24}}},
	    {"id": "Bad Id", "when": {"service": [58], "channel": ["phone"]}, "then": {"tier": 2, "queue": "nowhere", "priority": 9, "sla": {}}},
	    {"id": "catch-all", "then": {"tier": 1, "queue": "advisors", "priority": 3, "sla": {"hours": 1, "businessHours": 1}}},
	    {"id": "late", "when": {"any": [{"channel": ["pigeon"]}, {"timeOfDay": {"from": "25:00", "to": "9"}}]},
	     "then": {"tier": 2, "queue": "advisors", "priority": 3, "sla": {"hours": 1}, "selfService": [{"title": "", "url": "ftp://x"}]}}
	  ],
	  "default": {"tier": 1, "queue": "advisors", "priority": 3, "sla": {"hours": 24}}
	}`
	rs, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range Validate(rs) {
		got = append(got, p.Path)
	}
	want := []string{
		"queues[1].name", "queues[1].tier",
		"rules[1].id", "rules[1].when", "rules[1].then.queue", "rules[1].then.priority", "rules[1].then.sla",
		"rules[2].then.sla",
		"rules[3]", "rules[3].when.any[0].channel[0]", "rules[3].when.any[1].timeOfDay.from", "rules[3].when.any[1].timeOfDay.to",
		"rules[3].then.queue", "rules[3].then.selfService", "rules[3].then.selfService[0]",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("problems at\n%v\nwant\n%v", got, want)
	}
}

func TestParse_RefusesUnknownMembers(t *testing.T) {
	for _, doc := range []string{
		`{"queues": [], "rules": [], "default": {}, "extra": 1}`,
		`{"rules": [{"id": "x", "when": {"colour": "red"}, "then": {}}]}`,
		`{"rules": [{"id": "x", "then": {"tier": 1, "sla": {"days": 2}}}]}`,
		`not json`,
		`{"rules": []} {"rules": []}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("Parse(%s) accepted", doc)
		}
	}
}

func FuzzParseAndValidate(f *testing.F) {
	f.Add(string(DefaultJSON))
	f.Add(`{"queues":[{"name":"a","tier":1}],"rules":[{"id":"x","when":{"not":{"all":[]}},"then":{"tier":1,"queue":"a","priority":1,"sla":{"hours":1}}}],"default":{"tier":1,"queue":"a","priority":1,"sla":{"hours":1}}}`)
	f.Add(`{"rules":[{"id":"x","when":{"any":[{"amount":{"gt":1}},{"dayOfWeek":["mon"]}]}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		rs, err := Parse([]byte(doc))
		if err != nil {
			return
		}
		if len(Validate(rs)) > 0 {
			return
		}
		c, err := Compile(1, rs, plainWeek)
		if err != nil {
			t.Fatalf("a valid rule set did not compile: %v", err)
		}
		for _, f := range []Facts{{LGSL: 58, At: monday}, {Vulnerable: true, HasAmount: true, Amount: 1 << 40, At: monday.Add(13 * time.Hour)}} {
			d, steps := c.Explain(&f)
			if d.Result == nil || len(steps) == 0 || !steps[len(steps)-1].Matched {
				t.Fatalf("no decision for %+v", f)
			}
			if d.Result.Tier < 1 || d.Result.Tier > 3 {
				t.Fatalf("tier %d", d.Result.Tier)
			}
			_ = c.Due(d.Result, f.At)
		}
	})
}

// fiftyRules is a rule set of 50 rules where only the last-but-one matches.
func fiftyRules(t testing.TB) *Compiled {
	var b strings.Builder
	b.WriteString(`{"queues":[{"name":"q1","tier":1},{"name":"q2","tier":2}],"rules":[`)
	for i := range 49 {
		fmt.Fprintf(&b, `{"id":"r%d","when":{"all":[{"service":[%d,%d]},{"channel":["phone","ivr"]},{"not":{"need":"vulnerable"}}]},"then":{"tier":2,"queue":"q2","priority":2,"sla":{"hours":8}}},`, i, 1000+i, 2000+i)
	}
	b.WriteString(`{"id":"r49","when":{"all":[{"service":[58]},{"contactsInDays":{"days":14,"atLeast":2}}]},"then":{"tier":2,"queue":"q2","priority":2,"sla":{"businessHours":8}}}],`)
	b.WriteString(`"default":{"tier":1,"queue":"q1","priority":3,"sla":{"hours":240}}}`)
	rs, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(7, rs, plainWeek)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func BenchmarkDecide_FiftyRules(b *testing.B) {
	c := fiftyRules(b)
	f := Facts{LGSL: 58, Channel: "phone", At: monday, PreviousContacts: []time.Time{monday.Add(-48 * time.Hour)}}
	b.ReportAllocs()
	for b.Loop() {
		if d := c.Decide(&f); d.RuleID != "r49" {
			b.Fatal(d.RuleID)
		}
	}
}

func BenchmarkDecideExplained_FiftyRules(b *testing.B) {
	c := fiftyRules(b)
	f := Facts{LGSL: 58, Channel: "phone", At: monday, PreviousContacts: []time.Time{monday.Add(-48 * time.Hour)}}
	b.ReportAllocs()
	for b.Loop() {
		c.DecideExplained(&f)
	}
}
