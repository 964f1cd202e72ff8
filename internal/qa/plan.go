// Package qa is the compliance and control team's quality assurance: versioned
// sampling plans, seeded stratified sampling of resolved cases, reviews with outcomes
// and error categories, and the accuracy report.
package qa

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Plan is one version of the sampling plan.
type Plan struct {
	Version     int       `json:"-"`
	PublishedBy string    `json:"-"`
	PublishedAt time.Time `json:"-"`

	BaseRate             float64            `json:"baseRate"`
	ServiceRates         map[string]float64 `json:"serviceRates,omitempty"` // by LGSL code
	TierRates            map[string]float64 `json:"tierRates,omitempty"`    // by tier, "1" to "3"
	OfficerRates         map[string]float64 `json:"officerRates,omitempty"` // by officer subject
	MinPerOfficerPerWeek int                `json:"minPerOfficerPerWeek,omitempty"`
	NewOfficers          *NewOfficers       `json:"newOfficers,omitempty"`
	Rules                []TargetRule       `json:"rules,omitempty"`
	Reviewers            []string           `json:"reviewers,omitempty"`
}

// NewOfficers is the rate of officers in their first weeks: those whose first resolved
// case is less than Weeks weeks before the case being drawn.
type NewOfficers struct {
	Rate  float64 `json:"rate"`
	Weeks int     `json:"weeks"`
}

// TargetRule picks every resolved case that matches all its set conditions.
type TargetRule struct {
	ID                 string `json:"id"`
	Tier               int    `json:"tier,omitempty"`
	Service            int    `json:"service,omitempty"`
	ReopenedWithinDays int    `json:"reopenedWithinDays,omitempty"`
}

// Services says whether an LGSL code is one of the council's services.
type Services interface {
	HasService(lgsl int) bool
}

var ruleID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// Problem is one thing wrong with a plan, at its JSON path.
type Problem struct{ Field, Message string }

// Check lists what is wrong with a plan (officers are checked against the database by
// Publish, which knows who has resolved cases).
func (p Plan) Check(services Services) []Problem {
	var out []Problem
	bad := func(field, msg string) { out = append(out, Problem{field, msg}) }
	rate := func(field string, r float64) {
		if r < 0 || r > 1 {
			bad(field, "must be a share between 0 and 1")
		}
	}
	rate("baseRate", p.BaseRate)
	for _, k := range sortedKeys(p.ServiceRates) {
		rate("serviceRates."+k, p.ServiceRates[k])
		if lgsl, err := strconv.Atoi(k); err != nil || !services.HasService(lgsl) {
			bad("serviceRates."+k, "not a service of the catalogue")
		}
	}
	for _, k := range sortedKeys(p.TierRates) {
		rate("tierRates."+k, p.TierRates[k])
		if k != "1" && k != "2" && k != "3" {
			bad("tierRates."+k, "tiers are 1, 2 and 3")
		}
	}
	for _, k := range sortedKeys(p.OfficerRates) {
		rate("officerRates."+k, p.OfficerRates[k])
	}
	if n := p.NewOfficers; n != nil {
		rate("newOfficers.rate", n.Rate)
		if n.Weeks < 1 || n.Weeks > 52 {
			bad("newOfficers.weeks", "must be 1 to 52")
		}
	}
	if p.MinPerOfficerPerWeek < 0 || p.MinPerOfficerPerWeek > 100 {
		bad("minPerOfficerPerWeek", "must be 0 to 100")
	}
	seen := map[string]bool{}
	for i, r := range p.Rules {
		field := fmt.Sprintf("rules[%d]", i)
		switch {
		case !ruleID.MatchString(r.ID):
			bad(field+".id", "lower-case letters, digits and hyphens")
		case seen[r.ID]:
			bad(field+".id", "used by another rule")
		}
		seen[r.ID] = true
		if r.Tier == 0 && r.Service == 0 && r.ReopenedWithinDays == 0 {
			bad(field, "needs at least one of tier, service, reopenedWithinDays")
		}
		if r.Service != 0 && !services.HasService(r.Service) {
			bad(field+".service", "not a service of the catalogue")
		}
	}
	reviewers := map[string]bool{}
	for i, r := range p.Reviewers {
		if reviewers[r] {
			bad(fmt.Sprintf("reviewers[%d]", i), "listed twice")
		}
		reviewers[r] = true
	}
	return out
}

// rateFor is the most specific rate for a case c, and what it is.
func (p Plan) rateFor(c Candidate) (float64, string) {
	officer, service, tier := c.Officer, c.Service, c.Tier
	if r, ok := p.OfficerRates[officer]; ok {
		return r, "officer " + officer
	}
	if n := p.NewOfficers; n != nil && !c.OfficerSince.IsZero() &&
		c.ResolvedAt.Sub(c.OfficerSince) < time.Duration(n.Weeks)*7*24*time.Hour {
		return n.Rate, fmt.Sprintf("new officer (first case resolved %s)", c.OfficerSince.Format("2 Jan 2006"))
	}
	if r, ok := p.ServiceRates[strconv.Itoa(service)]; ok {
		return r, "service " + strconv.Itoa(service)
	}
	if r, ok := p.TierRates[strconv.Itoa(tier)]; ok {
		return r, "tier " + strconv.Itoa(tier)
	}
	return p.BaseRate, "base rate"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
