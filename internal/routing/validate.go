package routing

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/council/contacthub/internal/channel"
)

// Problem is one thing wrong with a rule set, at a JSON path such as rules[2].when.any[0].
type Problem struct {
	Path    string
	Message string
}

// Needs and days a condition may name (channels are the channel package's).
var (
	needs    = []string{"vulnerable", "assistedDigital", "interpreter"}
	weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
	ruleID   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	clock    = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

const maxDepth = 8

// channelList names the channels a condition may name, for the problem that names one wrongly.
var channelList = func() string {
	names := channel.Names()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return strings.Join(out, ", ")
}()

// Validate lists every problem in rs; none means it may be published.
func Validate(rs RuleSet) []Problem {
	v := &validator{queues: map[string]int{}}
	seenQueue := map[string]bool{}
	if len(rs.Queues) == 0 {
		v.add("queues", "at least one queue is needed")
	}
	for i, q := range rs.Queues {
		p := fmt.Sprintf("queues[%d]", i)
		switch {
		case !ruleID.MatchString(q.Name):
			v.add(p+".name", "lower-case letters, digits and dashes, up to 64")
		case seenQueue[q.Name]:
			v.add(p+".name", fmt.Sprintf("queue %q is listed twice", q.Name))
		}
		if q.Tier < 1 || q.Tier > 3 {
			v.add(p+".tier", "must be 1, 2 or 3")
		}
		if !seenQueue[q.Name] {
			v.queues[q.Name] = q.Tier
		}
		seenQueue[q.Name] = true
	}
	seenRule := map[string]bool{}
	catchAll := ""
	for i, r := range rs.Rules {
		p := fmt.Sprintf("rules[%d]", i)
		if catchAll != "" {
			v.add(p, fmt.Sprintf("unreachable: rule %q before it matches every enquiry", catchAll))
		}
		switch {
		case !ruleID.MatchString(r.ID):
			v.add(p+".id", "lower-case letters, digits and dashes, up to 64")
		case seenRule[r.ID]:
			v.add(p+".id", fmt.Sprintf("rule %q is listed twice", r.ID))
		}
		seenRule[r.ID] = true
		if r.When == nil {
			catchAll = r.ID
		} else {
			v.condition(p+".when", *r.When, 0)
			if always(*r.When) {
				catchAll = r.ID
			}
		}
		v.result(p+".then", r.Then)
	}
	v.result("default", rs.Default)
	return v.problems
}

type validator struct {
	queues   map[string]int
	problems []Problem
}

func (v *validator) add(path, msg string) { v.problems = append(v.problems, Problem{path, msg}) }

// always reports whether a condition matches everything (an empty "all").
func always(c Condition) bool {
	return len(c.present) == 1 && c.present[0] == "all" && len(c.All) == 0
}

func (v *validator) condition(p string, c Condition, depth int) {
	if depth > maxDepth {
		v.add(p, fmt.Sprintf("conditions nest deeper than %d", maxDepth))
		return
	}
	if len(c.present) != 1 {
		v.add(p, "a condition has exactly one test (or all/any/not); this one has "+fmt.Sprint(len(c.present)))
		return
	}
	switch c.present[0] {
	case "all":
		for i, k := range c.All {
			v.condition(fmt.Sprintf("%s.all[%d]", p, i), k, depth+1)
		}
	case "any":
		if len(c.Any) == 0 {
			v.add(p+".any", "an empty any matches nothing")
		}
		for i, k := range c.Any {
			v.condition(fmt.Sprintf("%s.any[%d]", p, i), k, depth+1)
		}
	case "not":
		if c.Not == nil {
			v.add(p+".not", "needs a condition")
		} else {
			v.condition(p+".not", *c.Not, depth+1)
		}
	case "service":
		if len(c.Service) == 0 {
			v.add(p+".service", "list at least one LGSL code")
		}
		for i, s := range c.Service {
			if s < 1 {
				v.add(fmt.Sprintf("%s.service[%d]", p, i), "LGSL codes are positive")
			}
		}
	case "category", "intent", "language":
		list := map[string][]string{"category": c.Category, "intent": c.Intent, "language": c.Language}[c.present[0]]
		if len(list) == 0 {
			v.add(p+"."+c.present[0], "list at least one value")
		}
	case "categoryPrefix":
		if c.CategoryPrefix == "" {
			v.add(p+".categoryPrefix", "must not be empty")
		}
	case "channel":
		if len(c.Channel) == 0 {
			v.add(p+".channel", "list at least one channel")
		}
		for i, ch := range c.Channel {
			if !channel.Channel(ch).Known() {
				v.add(fmt.Sprintf("%s.channel[%d]", p, i), "unknown channel; one of "+channelList)
			}
		}
	case "need":
		if !slices.Contains(needs, c.Need) {
			v.add(p+".need", "one of "+strings.Join(needs, ", "))
		}
	case "contactsInDays":
		if c.ContactsInDays.Days < 1 || c.ContactsInDays.Days > 365 {
			v.add(p+".contactsInDays.days", "between 1 and 365")
		}
		if c.ContactsInDays.AtLeast < 1 {
			v.add(p+".contactsInDays.atLeast", "at least 1")
		}
	case "evidenceRequired":
	case "caseAgeDays", "amount":
		cmp := c.CaseAgeDays
		if c.present[0] == "amount" {
			cmp = c.Amount
		}
		if cmp.GT == nil && cmp.GTE == nil && cmp.LT == nil && cmp.LTE == nil && cmp.EQ == nil {
			v.add(p+"."+c.present[0], "give at least one of gt, gte, lt, lte, eq")
		}
	case "timeOfDay":
		if !clock.MatchString(c.TimeOfDay.From) {
			v.add(p+".timeOfDay.from", "a time like 09:30")
		}
		if !clock.MatchString(c.TimeOfDay.To) {
			v.add(p+".timeOfDay.to", "a time like 17:00")
		}
	case "dayOfWeek":
		if len(c.DayOfWeek) == 0 {
			v.add(p+".dayOfWeek", "list at least one day")
		}
		for i, d := range c.DayOfWeek {
			if !slices.Contains(weekdays, d) {
				v.add(fmt.Sprintf("%s.dayOfWeek[%d]", p, i), "one of mon, tue, wed, thu, fri, sat, sun")
			}
		}
	}
}

func (v *validator) result(p string, r Result) {
	if r.Tier < 1 || r.Tier > 3 {
		v.add(p+".tier", "must be 1, 2 or 3")
	}
	qt, ok := v.queues[r.Queue]
	switch {
	case !ok:
		v.add(p+".queue", fmt.Sprintf("unknown queue %q", r.Queue))
	case qt != r.Tier:
		v.add(p+".queue", fmt.Sprintf("queue %q is at tier %d, not %d", r.Queue, qt, r.Tier))
	}
	if r.Priority < 1 || r.Priority > 5 {
		v.add(p+".priority", "1 (most urgent) to 5")
	}
	switch {
	case r.SLA.Hours < 0 || r.SLA.BusinessHours < 0:
		v.add(p+".sla", "durations are positive")
	case (r.SLA.Hours > 0) == (r.SLA.BusinessHours > 0):
		v.add(p+".sla", "give either hours or businessHours")
	case r.SLA.Hours > 24*366 || r.SLA.BusinessHours > 8*260:
		v.add(p+".sla", "longer than a year")
	}
	if len(r.SelfService) > 0 && r.Tier != 1 {
		v.add(p+".selfService", "self-service suggestions are for tier 1")
	}
	for i, l := range r.SelfService {
		u, err := url.Parse(l.URL)
		if l.Title == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.add(fmt.Sprintf("%s.selfService[%d]", p, i), "needs a title and an http(s) URL")
		}
	}
}
