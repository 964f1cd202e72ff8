package qa

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// Candidate is a resolved case that may be sampled.
type Candidate struct {
	CaseID     string
	Officer    string // who resolved it
	Service    int
	Tier       int
	ResolvedAt time.Time
	OpenedAt   time.Time
	ReopenedAt time.Time // its first reopening; zero if never
	// OfficerSince is when the officer resolved their first case (zero: unknown).
	OfficerSince time.Time
}

// Pick is a case the draw chose, and why.
type Pick struct {
	Candidate
	Why      string
	Reviewer string // "" for any compliance officer but the resolving one
}

// Stratum is one officer's cases of one service: how many were resolved and picked.
type Stratum struct {
	Officer  string
	Service  int
	Resolved int
	Sampled  int
	Rate     float64
}

// Draw is a sampling run's result.
type Draw struct {
	Picks  []Pick
	Strata []Stratum
}

// Sample draws from the candidates under the plan with seed. It is a pure function of
// its arguments: the same plan, candidates and seed always give the same picks (the
// order of candidates does not matter). Within each stratum (officer and service) the
// number picked is rate × size rounded up or down at random so that its expectation is
// exactly rate × size, and which cases are picked is a seeded shuffle of the stratum;
// each stratum has its own random stream, so one stratum's size never moves another's
// picks. Then every case a targeted rule matches is picked, then each officer is brought
// up to the weekly minimum, then reviewers are shared out, never the resolving officer.
func Sample(p Plan, cands []Candidate, seed int64, loc *time.Location) Draw {
	cands = append([]Candidate(nil), cands...)
	sort.Slice(cands, func(i, j int) bool { return cands[i].CaseID < cands[j].CaseID })
	picked := map[string]Pick{}
	var d Draw

	groups := strata(p, cands)
	for _, st := range groups {
		rate, source := st.rate, st.source
		rng := stream(seed, "stratum", st.officer, fmt.Sprint(st.service), source)
		order := append([]Candidate(nil), st.cases...)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		n := int(math.Floor(rate*float64(len(order)) + rng.Float64()))
		n = min(n, len(order))
		for _, c := range order[:n] {
			picked[c.CaseID] = Pick{Candidate: c, Why: fmt.Sprintf("%s rate %.3g: %d of the %d cases %s resolved for service %d",
				source, rate, n, len(order), st.officer, st.service)}
		}
	}
	for _, c := range cands {
		if _, ok := picked[c.CaseID]; ok {
			continue
		}
		for _, r := range p.Rules {
			if r.matches(c) {
				picked[c.CaseID] = Pick{Candidate: c, Why: "targeted rule " + r.ID}
				break
			}
		}
	}
	if p.MinPerOfficerPerWeek > 0 {
		topUp(p.MinPerOfficerPerWeek, cands, picked, seed, loc)
	}

	for _, c := range cands {
		if pk, ok := picked[c.CaseID]; ok {
			d.Picks = append(d.Picks, pk)
		}
	}
	assignReviewers(p.Reviewers, d.Picks, seed)
	for _, st := range groups {
		s := Stratum{Officer: st.officer, Service: st.service, Resolved: len(st.cases), Rate: st.rate}
		for _, c := range st.cases {
			if _, ok := picked[c.CaseID]; ok {
				s.Sampled++
			}
		}
		d.Strata = append(d.Strata, s)
	}
	return d
}

func (r TargetRule) matches(c Candidate) bool {
	if r.Tier != 0 && c.Tier != r.Tier {
		return false
	}
	if r.Service != 0 && c.Service != r.Service {
		return false
	}
	if r.ReopenedWithinDays != 0 {
		if c.ReopenedAt.IsZero() || c.ReopenedAt.Sub(c.OpenedAt) > time.Duration(r.ReopenedWithinDays)*24*time.Hour {
			return false
		}
	}
	return true
}

type stratum struct {
	officer string
	service int
	rate    float64
	source  string // which of the plan's rates applies
	cases   []Candidate
}

// strata groups sorted candidates by officer and service, in key order, and within
// those by the rate that applies (a tier's rate, or an officer's weeks as a new officer,
// can differ between cases of one officer and service).
func strata(p Plan, cands []Candidate) []stratum {
	by := map[string]*stratum{}
	var keys []string
	for _, c := range cands {
		rate, source := p.rateFor(c)
		k := fmt.Sprintf("%s\x1f%09d\x1f%s", c.Officer, c.Service, source)
		s, ok := by[k]
		if !ok {
			s = &stratum{officer: c.Officer, service: c.Service, rate: rate, source: source}
			by[k] = s
			keys = append(keys, k)
		}
		s.cases = append(s.cases, c)
	}
	sort.Strings(keys)
	out := make([]stratum, len(keys))
	for i, k := range keys {
		out[i] = *by[k]
	}
	return out
}

// topUp picks more of an officer's cases in a week where fewer than min were picked.
func topUp(minimum int, cands []Candidate, picked map[string]Pick, seed int64, loc *time.Location) {
	type week struct {
		officer string
		year, n int
	}
	groups := map[week][]Candidate{}
	var order []week
	for _, c := range cands {
		y, n := c.ResolvedAt.In(loc).ISOWeek()
		w := week{c.Officer, y, n}
		if _, ok := groups[w]; !ok {
			order = append(order, w)
		}
		groups[w] = append(groups[w], c)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.officer != b.officer {
			return a.officer < b.officer
		}
		if a.year != b.year {
			return a.year < b.year
		}
		return a.n < b.n
	})
	for _, w := range order {
		var have int
		var rest []Candidate
		for _, c := range groups[w] {
			if _, ok := picked[c.CaseID]; ok {
				have++
			} else {
				rest = append(rest, c)
			}
		}
		rng := stream(seed, "minimum", w.officer, fmt.Sprint(w.year, w.n))
		rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
		for _, c := range rest[:min(max(minimum-have, 0), len(rest))] {
			picked[c.CaseID] = Pick{Candidate: c, Why: fmt.Sprintf("weekly minimum of %d for %s (week %d-W%02d)", minimum, w.officer, w.year, w.n)}
		}
	}
}

// assignReviewers shares picks among reviewers at random, never to the resolving
// officer; a pick no listed reviewer may take is left for any compliance officer.
func assignReviewers(reviewers []string, picks []Pick, seed int64) {
	if len(reviewers) == 0 {
		return
	}
	sorted := append([]string(nil), reviewers...)
	sort.Strings(sorted)
	rng := stream(seed, "reviewers")
	for i := range picks {
		var eligible []string
		for _, r := range sorted {
			if r != picks[i].Officer {
				eligible = append(eligible, r)
			}
		}
		if len(eligible) > 0 {
			picks[i].Reviewer = eligible[rng.IntN(len(eligible))]
		}
	}
}

// stream is a random stream of its own for one part of a draw.
func stream(seed int64, parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p))
		_, _ = h.Write([]byte{0x1f})
	}
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}
