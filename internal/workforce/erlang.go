// Package workforce turns demand into staff: the agents a live channel needs in an interval
// to answer a share of its contacts within a time (Erlang C, or Erlang A when callers hang
// up), the staff a written channel's workload needs, and the demand forecast those rest on.
// The maths here is pure: no database, no clock.
package workforce

import (
	"errors"
	"math"
)

// Model names the queueing model a row was staffed by.
type Model string

const (
	// ErlangC: M/M/N, callers wait as long as it takes (overstates staff when they hang up).
	ErlangC Model = "erlang_c"
	// ErlangA: M/M/N+M (Palm), callers hang up after an exponential patience.
	ErlangA Model = "erlang_a"
	// Workload: written work staffed by its hours of handling, not by a queue.
	Workload Model = "workload"
)

// Target is what an interval must achieve.
type Target struct {
	// ServiceLevel is the share of contacts answered within AnswerWithin, in (0, 1).
	ServiceLevel float64
	// AnswerWithinSeconds is the service level's threshold, ≥ 0.
	AnswerWithinSeconds float64
	// MaxOccupancy caps the share of time an agent is busy, in (0, 1]; 0 means no cap.
	MaxOccupancy float64
	// Shrinkage is the share of paid time not on contacts (breaks, training, absence), in [0, 1).
	Shrinkage float64
	// PatienceSeconds is callers' mean patience before hanging up; 0 means they never do
	// (Erlang C), more means Erlang A.
	PatienceSeconds float64
}

// Load is one interval's demand.
type Load struct {
	Volume          float64 // contacts arriving in the interval
	HandlingSeconds float64 // average handling time
	IntervalSeconds float64
}

// Traffic is the offered load in Erlangs: arrivals × handling time ÷ interval length.
func (l Load) Traffic() float64 { return l.Volume * l.HandlingSeconds / l.IntervalSeconds }

// Staffing is the answer for one interval.
type Staffing struct {
	Model        Model
	Traffic      float64
	Agents       int // on the phones (or at the desk) in the interval
	Positions    int // rostered, after shrinkage
	ServiceLevel float64
	// ASASeconds is the average speed of answer over all contacts (those not waiting count 0).
	ASASeconds         float64
	ProbabilityOfWait  float64
	Occupancy          float64
	ProbabilityAbandon float64 // Erlang A only
}

// maxAgents bounds every search: no interval of a council contact centre needs more, and
// a bound means no input can make the search run away.
const maxAgents = 100_000

// ErrTooMuchTraffic says no staffing within maxAgents meets the target.
var ErrTooMuchTraffic = errors.New("the traffic needs more agents than the hub will staff in one interval")

// erlangB answers the blocking probability of N servers at traffic a by the recurrence
// B(0) = 1, B(n) = a·B(n−1) / (n + a·B(n−1)) — every term lies in [0, 1], so there is no
// factorial or power to overflow, however many agents (Jagerman 1974; the usual way).
func erlangB(n int, a float64) float64 {
	b := 1.0
	for i := 1; i <= n; i++ {
		b = a * b / (float64(i) + a*b)
	}
	return b
}

// erlangCFromB turns Erlang B into Erlang C (the probability an arrival waits) for N > a:
// C = N·B / (N − a·(1 − B)).
func erlangCFromB(n int, a, b float64) float64 {
	if float64(n) <= a {
		return 1
	}
	return float64(n) * b / (float64(n) - a*(1-b))
}

// ErlangCMeasures answers what n agents achieve at traffic a with handling time aht:
// P(wait), service level within t, ASA and occupancy (shared/INTEGRATIONS.md formulas).
// With n ≤ a the queue grows without bound: everyone waits, nobody is answered in time,
// and the average speed of answer is infinite (reported as +Inf; callers never staff there).
func ErlangCMeasures(n int, a, aht, t float64) (pw, sl, asa, occ float64) {
	if a <= 0 {
		return 0, 1, 0, 0
	}
	if float64(n) <= a {
		return 1, 0, math.Inf(1), 1
	}
	return measuresFromB(n, a, erlangB(n, a), aht, t)
}

func measuresFromB(n int, a, b, aht, t float64) (pw, sl, asa, occ float64) {
	pw = erlangCFromB(n, a, b)
	spare := float64(n) - a
	sl = 1 - pw*math.Exp(-spare*t/aht)
	asa = pw * aht / spare
	occ = a / float64(n)
	return pw, sl, asa, occ
}

// Staff answers the agents and rostered positions one live interval needs to meet tg,
// by Erlang C when no patience is given and Erlang A when it is.
func Staff(l Load, tg Target) (Staffing, error) {
	a := l.Traffic()
	if a <= 0 {
		return Staffing{Model: modelFor(tg), ServiceLevel: 1}, nil
	}
	var s Staffing
	var err error
	if tg.PatienceSeconds > 0 {
		s, err = staffErlangA(l, a, tg)
	} else {
		s, err = staffErlangC(a, l.HandlingSeconds, tg)
	}
	if err != nil {
		return Staffing{}, err
	}
	s.Positions = Positions(s.Agents, tg.Shrinkage)
	return s, nil
}

func modelFor(tg Target) Model {
	if tg.PatienceSeconds > 0 {
		return ErlangA
	}
	return ErlangC
}

// occupancyFloor is the fewest agents that keep occupancy a/N at or under the cap.
func occupancyFloor(a, maxOcc float64) int {
	if maxOcc <= 0 || maxOcc >= 1 {
		return 0
	}
	// A hair of tolerance so that a/N exactly at the cap (e.g. 8.5/10 at 0.85) is not
	// pushed to N+1 by rounding in the division.
	return int(math.Ceil(a/maxOcc - 1e-9))
}

// staffErlangC walks N up from the first N above the traffic, carrying Erlang B along
// (one recurrence step per agent), until the service level is met; then the occupancy cap
// may raise N further. The walk ends: SL → 1 as N grows, and maxAgents bounds it anyway.
func staffErlangC(a, aht float64, tg Target) (Staffing, error) {
	n := int(math.Floor(a)) + 1
	if n > maxAgents {
		return Staffing{}, ErrTooMuchTraffic
	}
	b := erlangB(n, a)
	for {
		pw, sl, asa, occ := measuresFromB(n, a, b, aht, tg.AnswerWithinSeconds)
		floor := occupancyFloor(a, tg.MaxOccupancy)
		if sl >= tg.ServiceLevel && n >= floor {
			return Staffing{Model: ErlangC, Traffic: a, Agents: n, ServiceLevel: sl, ASASeconds: asa, ProbabilityOfWait: pw, Occupancy: occ}, nil
		}
		if sl >= tg.ServiceLevel && floor > n {
			// The cap binds: jump straight there rather than stepping.
			if floor > maxAgents {
				return Staffing{}, ErrTooMuchTraffic
			}
			b = erlangBFrom(n, b, floor, a)
			n = floor
			continue
		}
		if n >= maxAgents {
			return Staffing{}, ErrTooMuchTraffic
		}
		n++
		b = a * b / (float64(n) + a*b)
	}
}

// erlangBFrom continues the recurrence from B(n) to B(m), m ≥ n.
func erlangBFrom(n int, b float64, m int, a float64) float64 {
	for i := n + 1; i <= m; i++ {
		b = a * b / (float64(i) + a*b)
	}
	return b
}

// Positions is the rostered staff that leaves n on the phones after shrinkage:
// ceil(n / (1 − shrinkage)) (shared/INTEGRATIONS.md).
func Positions(n int, shrinkage float64) int {
	if n == 0 {
		return 0
	}
	// Tolerance so that 7 / (1 − 0.3) = 10.000000000000002 rosters 10, not 11.
	return int(math.Ceil(float64(n)/(1-shrinkage) - 1e-9))
}

// StaffWorkload answers the staff a written channel needs in an interval: its hours of
// handling ÷ the productive hours one person gives in the interval (the interval less the
// occupancy headroom), then shrinkage. Written work waits in a queue within its SLA, so
// there is no waiting-time model: the service-level, ASA and P(wait) figures stay zero.
func StaffWorkload(l Load, tg Target) Staffing {
	work := l.Volume * l.HandlingSeconds
	productive := l.IntervalSeconds
	if tg.MaxOccupancy > 0 && tg.MaxOccupancy < 1 {
		productive *= tg.MaxOccupancy
	}
	n := 0
	if work > 0 {
		n = int(math.Ceil(work/productive - 1e-9))
	}
	s := Staffing{Model: Workload, Traffic: l.Traffic(), Agents: n, ServiceLevel: 1}
	if n > 0 {
		s.Occupancy = s.Traffic / float64(n)
	}
	s.Positions = Positions(n, tg.Shrinkage)
	return s
}
