package routing

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/council/contacthub/internal/workcal"
)

// Facts are what the router knows about an enquiry.
type Facts struct {
	LGSL             int
	Category         string
	Intent           string
	Channel          string
	Vulnerable       bool
	AssistedDigital  bool
	Language         string // preferred language, BCP 47; "" or "en" needs no interpreter
	PreviousContacts []time.Time
	EvidenceRequired bool
	CaseAge          time.Duration
	HasAmount        bool
	Amount           int64 // pence
	At               time.Time
}

// Decision is where the enquiry goes and which rule sent it there.
type Decision struct {
	Version int
	RuleID  string // "default" when no rule matched
	Result  *Result
	// Summary says why, in a sentence a supervisor can read.
	Summary string
}

// Compiled is a published rule set ready to decide.
type Compiled struct {
	Version int
	Set     RuleSet
	rules   []compiledRule
	queues  map[string]Queue
	loc     *time.Location
	cal     *workcal.Calendar
}

type compiledRule struct {
	id   string
	when *Condition // nil: always
}

// Compile prepares a valid rule set for deciding; its clocks read the calendar's time
// zone and its service levels count the calendar's working hours.
func Compile(version int, rs RuleSet, cal *workcal.Calendar) (*Compiled, error) {
	if ps := Validate(rs); len(ps) > 0 {
		return nil, fmt.Errorf("rule set is not valid: %s: %s", ps[0].Path, ps[0].Message)
	}
	c := &Compiled{Version: version, Set: rs, queues: map[string]Queue{}, loc: cal.Location(), cal: cal}
	for _, q := range rs.Queues {
		c.queues[q.Name] = q
	}
	for i := range rs.Rules {
		c.rules = append(c.rules, compiledRule{id: rs.Rules[i].ID, when: rs.Rules[i].When})
	}
	return c, nil
}

// Queue returns a queue of the rule set.
func (c *Compiled) Queue(name string) (Queue, bool) {
	q, ok := c.queues[name]
	return q, ok
}

// Decide returns the first rule that matches, or the default. It allocates nothing.
func (c *Compiled) Decide(f *Facts) Decision {
	for i := range c.rules {
		if r := &c.rules[i]; r.when == nil || c.eval(r.when, f) {
			return Decision{Version: c.Version, RuleID: r.id, Result: &c.Set.Rules[i].Then}
		}
	}
	return Decision{Version: c.Version, RuleID: "default", Result: &c.Set.Default}
}

// DecideExplained decides and writes the summary of why.
func (c *Compiled) DecideExplained(f *Facts) Decision {
	d := c.Decide(f)
	d.Summary = c.summary(d, f)
	return d
}

func (c *Compiled) summary(d Decision, f *Facts) string {
	where := fmt.Sprintf("tier %d, queue %s, priority %d", d.Result.Tier, d.Result.Queue, d.Result.Priority)
	if d.RuleID == "default" {
		return "no rule matched; the default sends it to " + where
	}
	for i := range c.rules {
		if c.rules[i].id == d.RuleID {
			if c.rules[i].when == nil {
				return fmt.Sprintf("rule %s matches every enquiry: %s", d.RuleID, where)
			}
			_, why := c.explain(c.rules[i].when, f)
			return fmt.Sprintf("rule %s matched (%s): %s", d.RuleID, why, where)
		}
	}
	return where
}

// Step is one rule tried, in order, and why it matched or not.
type Step struct {
	Rule    string
	Matched bool
	Reason  string
}

// Explain tries every rule in order up to the one that matches, saying why each did
// or did not.
func (c *Compiled) Explain(f *Facts) (Decision, []Step) {
	var steps []Step
	for i := range c.rules {
		r := &c.rules[i]
		if r.when == nil {
			steps = append(steps, Step{Rule: r.id, Matched: true, Reason: "matches every enquiry"})
			break
		}
		ok, why := c.explain(r.when, f)
		steps = append(steps, Step{Rule: r.id, Matched: ok, Reason: why})
		if ok {
			break
		}
	}
	if len(steps) == 0 || !steps[len(steps)-1].Matched {
		steps = append(steps, Step{Rule: "default", Matched: true, Reason: "no rule matched"})
	}
	return c.DecideExplained(f), steps
}

// eval is the allocation-free evaluation used on every contact.
func (c *Compiled) eval(k *Condition, f *Facts) bool {
	switch {
	case k.All != nil || k.Any != nil || k.Not != nil:
		return c.evalGroup(k, f)
	case k.Service != nil:
		return slices.Contains(k.Service, f.LGSL)
	case k.Category != nil:
		return slices.Contains(k.Category, f.Category)
	case k.CategoryPrefix != "":
		return strings.HasPrefix(f.Category, k.CategoryPrefix)
	case k.Intent != nil:
		return slices.Contains(k.Intent, f.Intent)
	case k.Channel != nil:
		return slices.Contains(k.Channel, f.Channel)
	case k.Need != "":
		return hasNeed(k.Need, f)
	case k.Language != nil:
		return slices.Contains(k.Language, f.Language)
	case k.ContactsInDays != nil:
		return contactsWithin(f, k.ContactsInDays.Days) >= k.ContactsInDays.AtLeast
	case k.Evidence != nil:
		return f.EvidenceRequired == *k.Evidence
	case k.CaseAgeDays != nil:
		return k.CaseAgeDays.holds(int64(f.CaseAge / (24 * time.Hour)))
	case k.Amount != nil:
		return f.HasAmount && k.Amount.holds(f.Amount)
	case k.TimeOfDay != nil:
		return inWindow(k.TimeOfDay, f.At.In(c.loc))
	case k.DayOfWeek != nil:
		return slices.Contains(k.DayOfWeek, weekdays[f.At.In(c.loc).Weekday()])
	}
	return len(k.present) == 1 && k.present[0] == "all" // an empty all: always
}

func (c *Compiled) evalGroup(k *Condition, f *Facts) bool {
	switch {
	case k.Not != nil:
		return !c.eval(k.Not, f)
	case k.Any != nil:
		for i := range k.Any {
			if c.eval(&k.Any[i], f) {
				return true
			}
		}
		return false
	}
	for i := range k.All {
		if !c.eval(&k.All[i], f) {
			return false
		}
	}
	return true
}

func hasNeed(need string, f *Facts) bool {
	switch need {
	case "vulnerable":
		return f.Vulnerable
	case "assistedDigital":
		return f.AssistedDigital
	case "interpreter":
		return f.Language != "" && f.Language != "en" && !strings.HasPrefix(f.Language, "en-")
	}
	return false
}

// contactsWithin counts this contact and the customer's earlier ones within days.
func contactsWithin(f *Facts, days int) int {
	n := 1
	since := f.At.Add(-time.Duration(days) * 24 * time.Hour)
	for _, t := range f.PreviousContacts {
		if !t.Before(since) && !t.After(f.At) {
			n++
		}
	}
	return n
}

func (cmp *Compare) holds(v int64) bool {
	return (cmp.GT == nil || v > *cmp.GT) && (cmp.GTE == nil || v >= *cmp.GTE) &&
		(cmp.LT == nil || v < *cmp.LT) && (cmp.LTE == nil || v <= *cmp.LTE) && (cmp.EQ == nil || v == *cmp.EQ)
}

func minutes(hhmm string) int {
	h, _ := strconv.Atoi(hhmm[:2])
	m, _ := strconv.Atoi(hhmm[3:])
	return h*60 + m
}

// inWindow reports whether t's clock time is in [from, to), wrapping midnight when to < from.
func inWindow(b *Between, t time.Time) bool {
	now, from, to := t.Hour()*60+t.Minute(), minutes(b.From), minutes(b.To)
	if from <= to {
		return now >= from && now < to
	}
	return now >= from || now < to
}

// explain evaluates like eval and says why, for people.
func (c *Compiled) explain(k *Condition, f *Facts) (bool, string) {
	switch {
	case k.Not != nil:
		ok, why := c.explain(k.Not, f)
		return !ok, "not (" + why + ")"
	case k.Any != nil:
		var whys []string
		for i := range k.Any {
			ok, why := c.explain(&k.Any[i], f)
			if ok {
				return true, "any: " + why
			}
			whys = append(whys, why)
		}
		return false, "none of: " + strings.Join(whys, "; ")
	case k.All != nil:
		var whys []string
		for i := range k.All {
			ok, why := c.explain(&k.All[i], f)
			if !ok {
				return false, why
			}
			whys = append(whys, why)
		}
		if len(whys) == 0 {
			return true, "always"
		}
		return true, strings.Join(whys, " and ")
	}
	ok := c.eval(k, f)
	return ok, describe(k, f, ok)
}

// describe says what one test found.
func describe(k *Condition, f *Facts, ok bool) string {
	is := map[bool]string{true: "is", false: "is not"}[ok]
	switch {
	case k.Service != nil:
		return fmt.Sprintf("service %d %s in %v", f.LGSL, is, k.Service)
	case k.Category != nil:
		return fmt.Sprintf("category %q %s in %q", f.Category, is, k.Category)
	case k.CategoryPrefix != "":
		return fmt.Sprintf("category %q %s starting %q", f.Category, is, k.CategoryPrefix)
	case k.Intent != nil:
		return fmt.Sprintf("intent %q %s in %q", f.Intent, is, k.Intent)
	case k.Channel != nil:
		return fmt.Sprintf("channel %s %s in %v", f.Channel, is, k.Channel)
	case k.Need != "":
		return fmt.Sprintf("the customer %s flagged %s", is, k.Need)
	case k.Language != nil:
		return fmt.Sprintf("preferred language %q %s in %q", f.Language, is, k.Language)
	case k.ContactsInDays != nil:
		return fmt.Sprintf("%d contact(s) in %d days (needs %d)", contactsWithin(f, k.ContactsInDays.Days), k.ContactsInDays.Days, k.ContactsInDays.AtLeast)
	case k.Evidence != nil:
		return fmt.Sprintf("evidence required is %v (needs %v)", f.EvidenceRequired, *k.Evidence)
	case k.CaseAgeDays != nil:
		return fmt.Sprintf("case age %d day(s) %s %s", int64(f.CaseAge/(24*time.Hour)), map[bool]string{true: "meets", false: "does not meet"}[ok], k.CaseAgeDays)
	case k.Amount != nil:
		if !f.HasAmount {
			return "no amount given"
		}
		return fmt.Sprintf("amount %d %s %s", f.Amount, map[bool]string{true: "meets", false: "does not meet"}[ok], k.Amount)
	case k.TimeOfDay != nil:
		return fmt.Sprintf("time of day %s %s between %s and %s", f.At.Format("15:04"), is, k.TimeOfDay.From, k.TimeOfDay.To)
	case k.DayOfWeek != nil:
		return fmt.Sprintf("day %s %s in %v", weekdays[f.At.Weekday()], is, k.DayOfWeek) // f.At is already in the council's zone here
	}
	return "always"
}

func (cmp *Compare) String() string {
	var parts []string
	for _, p := range []struct {
		op string
		v  *int64
	}{{">", cmp.GT}, {">=", cmp.GTE}, {"<", cmp.LT}, {"<=", cmp.LTE}, {"=", cmp.EQ}} {
		if p.v != nil {
			parts = append(parts, p.op+" "+strconv.FormatInt(*p.v, 10))
		}
	}
	return strings.Join(parts, " and ")
}

// MaxContactDays is the longest contactsInDays window any rule asks about (0: none),
// so intake reads only as much history as the rules need.
func (c *Compiled) MaxContactDays() int {
	longest := 0
	var walk func(k *Condition)
	walk = func(k *Condition) {
		if k == nil {
			return
		}
		if k.ContactsInDays != nil && k.ContactsInDays.Days > longest {
			longest = k.ContactsInDays.Days
		}
		for i := range k.All {
			walk(&k.All[i])
		}
		for i := range k.Any {
			walk(&k.Any[i])
		}
		walk(k.Not)
	}
	for _, r := range c.rules {
		walk(r.when)
	}
	return longest
}
