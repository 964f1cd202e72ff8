package qa

import (
	"fmt"
	"math"
	"slices"
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

// generated is n resolved cases spread over officers and services.
func generated(n int) []Candidate {
	officers := []string{"officer-a", "officer-b", "officer-c", "officer-d"}
	services := []int{58, 59, 69, 55, 726}
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	out := make([]Candidate, n)
	for i := range out {
		out[i] = Candidate{CaseID: fmt.Sprintf("case-%05d", i), Officer: officers[i%len(officers)],
			Service: services[(i/len(officers))%len(services)], Tier: 1 + i%3,
			ResolvedAt: start.Add(time.Duration(i) * 17 * time.Minute), OpenedAt: start.Add(-48 * time.Hour)}
	}
	return out
}

func caseIDs(d Draw) []string {
	var ids []string
	for _, p := range d.Picks {
		ids = append(ids, p.CaseID)
	}
	return ids
}

func TestSample_SameSeedSamePicksWhateverTheOrder(t *testing.T) {
	plan := Plan{BaseRate: 0.05, ServiceRates: map[string]float64{"58": 0.2}}
	cands := generated(2000)
	first := Sample(plan, cands, 42, london)
	reversed := slices.Clone(cands)
	slices.Reverse(reversed)
	again := Sample(plan, reversed, 42, london)
	if !slices.Equal(caseIDs(first), caseIDs(again)) {
		t.Fatal("the same plan, cases and seed picked different cases")
	}
	if other := Sample(plan, cands, 43, london); slices.Equal(caseIDs(first), caseIDs(other)) {
		t.Fatal("another seed picked exactly the same cases")
	}
}

// On 2,000 generated cases, every stratum's share sampled is its rate to within one
// case (the draw rounds rate × size up or down), and the whole is near its expectation.
func TestSample_StratificationWithinTolerance(t *testing.T) {
	plan := Plan{BaseRate: 0.05, ServiceRates: map[string]float64{"58": 0.2}, OfficerRates: map[string]float64{"officer-d": 0.5}}
	d := Sample(plan, generated(2000), 7, london)
	var expected float64
	for _, s := range d.Strata {
		want := s.Rate * float64(s.Resolved)
		expected += want
		if math.Abs(float64(s.Sampled)-want) > 1 {
			t.Errorf("stratum %s/%d: sampled %d of %d at rate %.2f, want %.1f ± 1", s.Officer, s.Service, s.Sampled, s.Resolved, s.Rate, want)
		}
		if s.Officer == "officer-d" && s.Rate != 0.5 {
			t.Errorf("officer-d's rate is %.2f, want the officer's own 0.5", s.Rate)
		}
	}
	if got := float64(len(d.Picks)); math.Abs(got-expected) > float64(len(d.Strata)) {
		t.Errorf("sampled %v in all, want %.1f within %d", got, expected, len(d.Strata))
	}
	seen := map[string]bool{}
	for _, p := range d.Picks {
		if seen[p.CaseID] {
			t.Fatalf("%s picked twice", p.CaseID)
		}
		seen[p.CaseID] = true
	}
}

func TestSample_TargetedRulesAndWeeklyMinimum(t *testing.T) {
	cands := generated(200)
	cands[3].ReopenedAt = cands[3].OpenedAt.Add(10 * 24 * time.Hour)
	cands[5].ReopenedAt = cands[5].OpenedAt.Add(40 * 24 * time.Hour)
	plan := Plan{BaseRate: 0, Rules: []TargetRule{{ID: "reopened-28", ReopenedWithinDays: 28}}, MinPerOfficerPerWeek: 2}
	d := Sample(plan, cands, 1, london)
	why := map[string]string{}
	for _, p := range d.Picks {
		why[p.CaseID] = p.Why
	}
	if why[cands[3].CaseID] != "targeted rule reopened-28" {
		t.Errorf("a case reopened after 10 days: why = %q", why[cands[3].CaseID])
	}
	if w := why[cands[5].CaseID]; w == "targeted rule reopened-28" {
		t.Errorf("a case reopened after 40 days was picked by the 28-day rule")
	}
	perWeek := map[string]int{}
	for _, p := range d.Picks {
		y, w := p.ResolvedAt.In(london).ISOWeek()
		perWeek[fmt.Sprint(p.Officer, y, w)]++
	}
	for k, n := range perWeek {
		if n < 2 {
			t.Errorf("%s: %d picked, want the minimum of 2", k, n)
		}
	}
	if len(perWeek) == 0 {
		t.Fatal("nothing picked at a base rate of 0 with a weekly minimum")
	}
}

func TestSample_ReviewerIsNeverTheResolvingOfficer(t *testing.T) {
	plan := Plan{BaseRate: 1, Reviewers: []string{"officer-a", "qa-1"}}
	for _, p := range Sample(plan, generated(100), 9, london).Picks {
		if p.Reviewer == p.Officer {
			t.Fatalf("%s is reviewed by the officer who resolved it", p.CaseID)
		}
		if p.Officer == "officer-a" && p.Reviewer != "qa-1" {
			t.Fatalf("%s: reviewer %q, want qa-1 (the only other)", p.CaseID, p.Reviewer)
		}
	}
	only := Plan{BaseRate: 1, Reviewers: []string{"officer-a"}}
	for _, p := range Sample(only, generated(8), 9, london).Picks {
		if p.Officer == "officer-a" && p.Reviewer != "" {
			t.Fatalf("with no other reviewer listed the review is left open, got %q", p.Reviewer)
		}
	}
}

type fakeServices map[int]bool

func (f fakeServices) HasService(lgsl int) bool { return f[lgsl] }

func TestPlanCheck_NamesEveryBadField(t *testing.T) {
	p := Plan{BaseRate: 1.5, ServiceRates: map[string]float64{"999": 0.1, "58": -0.1}, TierRates: map[string]float64{"4": 0.1},
		Rules: []TargetRule{{ID: "x"}, {ID: "x", Service: 12}}, Reviewers: []string{"a", "a"}}
	got := map[string]bool{}
	for _, pr := range p.Check(fakeServices{58: true}) {
		got[pr.Field] = true
	}
	for _, f := range []string{"baseRate", "serviceRates.999", "serviceRates.58", "tierRates.4", "rules[0]", "rules[1].id", "rules[1].service", "reviewers[1]"} {
		if !got[f] {
			t.Errorf("no problem named %s; got %v", f, got)
		}
	}
}

func TestDailyPeriod_ThePreviousWorkingDayAndWhatFollowedIt(t *testing.T) {
	ew, err := workcal.New(london, workcal.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, london)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ now, from, to string }{
		{"2026-11-25 08:00", "2026-11-24 00:00", "2026-11-25 00:00"}, // Wednesday: Tuesday
		{"2026-11-30 08:00", "2026-11-27 00:00", "2026-11-30 00:00"}, // Monday: Friday and the weekend
		{"2026-12-29 10:00", "2026-12-24 00:00", "2026-12-29 00:00"}, // after Christmas: Christmas Eve on
		{"2026-04-07 10:00", "2026-04-02 00:00", "2026-04-07 00:00"}, // after Easter: Maundy Thursday on
	} {
		from, to, ok := DailyPeriod(ew, at(tc.now))
		if !ok || !from.Equal(at(tc.from)) || !to.Equal(at(tc.to)) {
			t.Errorf("%s: %v to %v (%v), want %s to %s", tc.now, from.In(london), to.In(london), ok, tc.from, tc.to)
		}
	}
	if _, _, ok := DailyPeriod(ew, at("2026-12-25 10:00")); ok {
		t.Error("no daily run on Christmas Day")
	}
}

func TestSample_NewOfficersAtTheirRateForTheirFirstWeeks(t *testing.T) {
	cands := generated(400)
	first := cands[0].ResolvedAt
	for i := range cands {
		cands[i].OfficerSince = first.AddDate(0, 0, -60) // everyone long established...
		if cands[i].Officer == "officer-c" {
			cands[i].OfficerSince = first.Add(-time.Hour) // ...but officer C, who started this week
		}
	}
	plan := Plan{BaseRate: 0, NewOfficers: &NewOfficers{Rate: 1, Weeks: 4}}
	for _, p := range Sample(plan, cands, 3, london).Picks {
		if p.Officer != "officer-c" {
			t.Fatalf("%s of %s picked at the new officers' rate", p.CaseID, p.Officer)
		}
	}
	if n := len(Sample(plan, cands, 3, london).Picks); n != 100 {
		t.Errorf("officer C's cases picked: %d, want all 100", n)
	}
	plan.OfficerRates = map[string]float64{"officer-c": 0}
	if n := len(Sample(plan, cands, 3, london).Picks); n != 0 {
		t.Errorf("an officer named in officerRates keeps that rate: %d picked", n)
	}
}
