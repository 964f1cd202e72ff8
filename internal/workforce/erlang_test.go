package workforce

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.6f, want %.6f ± %g", what, got, want, tol)
	}
}

// The worked example of Call Centre Helper's "Erlang C Formula – Made Simple With an Easy
// Worked Example": 100 calls in 30 minutes, 180 s handling, 80 % within 20 s, 30 %
// shrinkage. The article tabulates, for 11 to 14 agents, P(wait) 68.21 %, 44.94 %, 28.53 %,
// 17.41 % and service level 39.0 %, 64.0 %, 79.6 %, 88.8 %; it staffs 14 agents (ASA 7.8 s,
// occupancy 71.4 %) and rosters 20 after shrinkage.
func TestErlangC_CallCentreHelperWorkedExample(t *testing.T) {
	l := Load{Volume: 100, HandlingSeconds: 180, IntervalSeconds: 1800}
	near(t, "traffic", l.Traffic(), 10, 1e-12)
	table := []struct {
		n      int
		pw, sl float64
	}{{11, 0.6821, 0.390}, {12, 0.4494, 0.640}, {13, 0.2853, 0.796}, {14, 0.1741, 0.888}}
	for _, r := range table {
		pw, sl, _, _ := ErlangCMeasures(r.n, 10, 180, 20)
		near(t, "P(wait)", pw, r.pw, 0.00006)
		near(t, "service level", sl, r.sl, 0.0006)
	}
	s, err := Staff(l, Target{ServiceLevel: 0.8, AnswerWithinSeconds: 20, Shrinkage: 0.3, MaxOccupancy: 0.85})
	if err != nil {
		t.Fatal(err)
	}
	if s.Agents != 14 || s.Positions != 20 || s.Model != ErlangC {
		t.Fatalf("agents %d positions %d model %s, want 14, 20, erlang_c", s.Agents, s.Positions, s.Model)
	}
	near(t, "ASA", s.ASASeconds, 7.8, 0.05)
	near(t, "occupancy", s.Occupancy, 10.0/14, 1e-12)
}

// The recurrence must agree with shared/INTEGRATIONS.md's closed form, evaluated here
// term by term with factorials where they still fit in a float64 (N ≤ 60).
func TestErlangC_MatchesTheClosedFormOfIntegrations(t *testing.T) {
	closed := func(n int, a float64) float64 {
		sum, term := 0.0, 1.0 // term = aⁱ/i!
		for i := 0; i < n; i++ {
			sum += term
			term *= a / float64(i+1)
		}
		top := term * float64(n) / (float64(n) - a)
		return top / (sum + top)
	}
	for _, c := range []struct {
		n int
		a float64
	}{{1, 0.5}, {2, 1.2}, {5, 4.1}, {11, 10}, {30, 25.5}, {60, 52}} {
		pw, sl, asa, occ := ErlangCMeasures(c.n, c.a, 240, 30)
		want := closed(c.n, c.a)
		near(t, "P(wait)", pw, want, 1e-12)
		near(t, "SL", sl, 1-want*math.Exp(-(float64(c.n)-c.a)*30/240), 1e-12)
		near(t, "ASA", asa, want*240/(float64(c.n)-c.a), 1e-9)
		near(t, "occupancy", occ, c.a/float64(c.n), 1e-15)
	}
}

// Hundreds of agents: A^N/N! overflows a float64 past N ≈ 170, the recurrence does not.
// The figure is checked against the square-root staffing rule N ≈ A + β√A (Halfin & Whitt
// 1981), which for 80/20 at A = 800 and long calls lands a few agents above A + √A·0.5.
func TestErlangC_StableForHundredsOfAgents(t *testing.T) {
	s, err := Staff(Load{Volume: 8000, HandlingSeconds: 180, IntervalSeconds: 1800},
		Target{ServiceLevel: 0.8, AnswerWithinSeconds: 20})
	if err != nil {
		t.Fatal(err)
	}
	if s.Traffic != 800 || s.Agents <= 800 || s.Agents > 800+3*int(math.Sqrt(800)) {
		t.Fatalf("traffic %.1f agents %d: want just above 800, within 3√A", s.Traffic, s.Agents)
	}
	for _, v := range []float64{s.ServiceLevel, s.ASASeconds, s.ProbabilityOfWait, s.Occupancy} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("non-finite measure in %+v", s)
		}
	}
	if s.ServiceLevel < 0.8 {
		t.Fatalf("service level %.4f below target", s.ServiceLevel)
	}
	pw, sl, _, _ := ErlangCMeasures(s.Agents-1, 800, 180, 20)
	if sl >= 0.8 || pw <= 0 {
		t.Fatalf("one agent fewer still meets the target (sl %.4f): not the fewest", sl)
	}
}

// Traffic at or above the agents: every caller waits and the queue never drains; the
// measures say so (no divide by zero) and staffing answers the agents needed.
func TestErlangC_TrafficAtOrAboveAgentsNeverLoopsOrDividesByZero(t *testing.T) {
	for _, n := range []int{0, 5, 10} {
		pw, sl, asa, occ := ErlangCMeasures(n, 10, 180, 20)
		if pw != 1 || sl != 0 || !math.IsInf(asa, 1) || occ != 1 {
			t.Errorf("n=%d: pw %v sl %v asa %v occ %v, want 1, 0, +Inf, 1", n, pw, sl, asa, occ)
		}
	}
	s, err := Staff(Load{Volume: 1e6, HandlingSeconds: 600, IntervalSeconds: 900}, Target{ServiceLevel: 0.99, AnswerWithinSeconds: 0})
	if err == nil || s.Agents != 0 {
		// 666,667 Erlangs is past maxAgents: refused, quickly.
		t.Fatalf("want ErrTooMuchTraffic, got %+v, %v", s, err)
	}
	s, err = Staff(Load{Volume: 0, HandlingSeconds: 180, IntervalSeconds: 1800}, Target{ServiceLevel: 0.8, AnswerWithinSeconds: 20})
	if err != nil || s.Agents != 0 || s.Positions != 0 || s.ServiceLevel != 1 {
		t.Fatalf("no contacts: %+v, %v; want nobody", s, err)
	}
}

// A maximum occupancy raises agents when the service level alone would run them hotter:
// 10 Erlangs meets 80/20 with 14 (71.4 % busy); a 70 % cap needs ceil(10/0.7) = 15.
// Shrinkage then gives ceil(15 / (1 − 0.3)) = 22 positions (INTEGRATIONS.md).
func TestErlangC_OccupancyCapRaisesAgentsAndShrinkageRaisesPositions(t *testing.T) {
	s, err := Staff(Load{Volume: 100, HandlingSeconds: 180, IntervalSeconds: 1800},
		Target{ServiceLevel: 0.8, AnswerWithinSeconds: 20, MaxOccupancy: 0.7, Shrinkage: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	if s.Agents != 15 || s.Positions != 22 {
		t.Fatalf("agents %d positions %d, want 15 and 22", s.Agents, s.Positions)
	}
	near(t, "occupancy", s.Occupancy, 10.0/15, 1e-12)
	if s.ServiceLevel <= 0.888 {
		t.Fatalf("the extra agent must lift the service level above 14 agents' 88.8 %%, got %.4f", s.ServiceLevel)
	}
	// Exactly at the cap is allowed: 8.5 Erlangs at 85 % is 10 agents, not 11.
	if got := occupancyFloor(8.5, 0.85); got != 10 {
		t.Fatalf("occupancy floor %d, want 10", got)
	}
	for _, c := range []struct {
		n    int
		s    float64
		want int
	}{{7, 0.3, 10}, {14, 0.3, 20}, {1, 0, 1}, {0, 0.5, 0}, {10, 0.35, 16}} {
		if got := Positions(c.n, c.s); got != c.want {
			t.Errorf("Positions(%d, %.2f) = %d, want %d", c.n, c.s, got, c.want)
		}
	}
}

// Erlang A with callers who (almost) never hang up is Erlang C.
func TestErlangA_WithEndlessPatienceIsErlangC(t *testing.T) {
	l := Load{Volume: 100, HandlingSeconds: 180, IntervalSeconds: 1800}
	tg := Target{ServiceLevel: 0.8, AnswerWithinSeconds: 20}
	c, _ := Staff(l, tg)
	tg.PatienceSeconds = 1e8
	a, err := Staff(l, tg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Model != ErlangA || a.Agents != c.Agents {
		t.Fatalf("erlang A %+v vs C %+v", a, c)
	}
	near(t, "P(wait)", a.ProbabilityOfWait, c.ProbabilityOfWait, 1e-5)
	near(t, "SL", a.ServiceLevel, c.ServiceLevel, 1e-5)
	near(t, "ASA", a.ASASeconds, c.ASASeconds, 1e-3)
}

// Erlang A's measures against a seeded simulation of the M/M/N+M queue itself (an
// independent check of the stationary sums and of the uniformised waiting time): 12 agents,
// 10 Erlangs, 180 s handling, 120 s mean patience. Impatient callers need fewer agents than
// Erlang C says, which is the point of the model.
func TestErlangA_AgreesWithASimulatedQueueAndNeedsFewerAgents(t *testing.T) {
	const n, aht, patience, within = 12, 180.0, 120.0, 20.0
	lambda := 10 / aht
	m := erlangAMeasures(n, lambda, 1/aht, 1/patience, within)
	simPW, simSL, simAb := simulateErlangA(n, lambda, aht, patience, within, 400_000)
	near(t, "P(wait) vs simulation", m.pw, simPW, 0.01)
	near(t, "SL vs simulation", m.sl, simSL, 0.01)
	near(t, "P(abandon) vs simulation", m.pab, simAb, 0.005)

	l := Load{Volume: 100, HandlingSeconds: aht, IntervalSeconds: 1800}
	a, err := Staff(l, Target{ServiceLevel: 0.8, AnswerWithinSeconds: within, PatienceSeconds: patience})
	if err != nil {
		t.Fatal(err)
	}
	if a.Agents >= 14 || a.ServiceLevel < 0.8 || a.ProbabilityAbandon <= 0 {
		t.Fatalf("erlang A %+v: want fewer than Erlang C's 14 agents, SL met, some abandonment", a)
	}
	below := erlangAMeasures(a.Agents-1, lambda, 1/aht, 1/patience, within)
	if below.sl >= 0.8 {
		t.Fatalf("one agent fewer meets the target too (%.4f): not the fewest", below.sl)
	}
}

// simulateErlangA runs an M/M/N+M queue, first come first served, and answers the share
// of callers who waited, who were answered within `within` seconds, and who hung up.
func simulateErlangA(n int, lambda, aht, patience, within float64, callers int) (pw, sl, ab float64) {
	r := rand.New(rand.NewPCG(16, 30))
	free := make([]float64, n) // when each agent is next free
	now := 0.0
	waited, answered, abandoned := 0, 0, 0
	for i := 0; i < callers; i++ {
		now += r.ExpFloat64() / lambda
		// The agent free soonest takes the next caller in order (FCFS with abandonment:
		// a caller who hangs up takes no agent time).
		k := 0
		for j := range free {
			if free[j] < free[k] {
				k = j
			}
		}
		start := math.Max(now, free[k])
		wait := start - now
		if wait > 0 {
			waited++
		}
		if wait > 0 && r.ExpFloat64()*patience < wait {
			abandoned++
			continue
		}
		if wait <= within {
			answered++
		}
		free[k] = start + r.ExpFloat64()*aht
	}
	c := float64(callers)
	return float64(waited) / c, float64(answered) / c, float64(abandoned) / c
}

// Written work is staffed by workload: 60 forms × 600 s = 10 hours of work in a 60-minute
// interval is 10 people fully busy, ceil(10/0.85) = 12 at an 85 % cap, ceil(12/0.7) = 18
// rostered after 30 % shrinkage.
func TestWorkload_HoursOfWorkOverProductiveHours(t *testing.T) {
	s := StaffWorkload(Load{Volume: 60, HandlingSeconds: 600, IntervalSeconds: 3600}, Target{MaxOccupancy: 0.85, Shrinkage: 0.3})
	if s.Model != Workload || s.Agents != 12 || s.Positions != 18 {
		t.Fatalf("%+v, want workload, 12 agents, 18 positions", s)
	}
	if s := StaffWorkload(Load{Volume: 0, HandlingSeconds: 600, IntervalSeconds: 3600}, Target{}); s.Agents != 0 {
		t.Fatalf("no work, %d agents", s.Agents)
	}
}

func BenchmarkStaff_FourWeeksOfHalfHours(b *testing.B) {
	// 1,344 intervals with a daily shape between 5 and 80 Erlangs.
	loads := make([]Load, 1344)
	for i := range loads {
		h := float64(i%48) / 48
		loads[i] = Load{Volume: 50 + 750*math.Sin(math.Pi*h)*math.Sin(math.Pi*h), HandlingSeconds: 180, IntervalSeconds: 1800}
	}
	tg := Target{ServiceLevel: 0.8, AnswerWithinSeconds: 20, MaxOccupancy: 0.85, Shrinkage: 0.3}
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range loads {
			if _, err := Staff(l, tg); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkStaff_FourWeeksOfHalfHoursErlangA(b *testing.B) {
	loads := make([]Load, 1344)
	for i := range loads {
		h := float64(i%48) / 48
		loads[i] = Load{Volume: 50 + 750*math.Sin(math.Pi*h)*math.Sin(math.Pi*h), HandlingSeconds: 180, IntervalSeconds: 1800}
	}
	tg := Target{ServiceLevel: 0.8, AnswerWithinSeconds: 20, MaxOccupancy: 0.85, Shrinkage: 0.3, PatienceSeconds: 120}
	for b.Loop() {
		for _, l := range loads {
			if _, err := Staff(l, tg); err != nil {
				b.Fatal(err)
			}
		}
	}
}
