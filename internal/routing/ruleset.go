// Package routing is the three-tier resolution router: a versioned, declarative rule set
// decides for every enquiry the tier, queue, priority and service level where it can be
// resolved first time, with self-service suggestions for tier 1, and explains each
// decision. Rules are validated before they are published and held compiled in memory.
package routing

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// RuleSet is the document a supervisor publishes.
type RuleSet struct {
	Queues  []Queue `json:"queues"`
	Rules   []Rule  `json:"rules"`
	Default Result  `json:"default"`
}

// Queue is a work queue at a tier, for agents with its skills.
type Queue struct {
	Name   string   `json:"name"`
	Tier   int      `json:"tier"`
	Skills []string `json:"skills,omitempty"`
}

// Rule sends enquiries that meet When (always, when absent) to Then.
type Rule struct {
	ID          string     `json:"id"`
	Description string     `json:"description,omitempty"`
	When        *Condition `json:"when,omitempty"`
	Then        Result     `json:"then"`
}

// Condition is one test, or a combination; exactly one member is set.
type Condition struct {
	All []Condition `json:"all,omitempty"`
	Any []Condition `json:"any,omitempty"`
	Not *Condition  `json:"not,omitempty"`

	Service        []int        `json:"service,omitempty"`        // LGSL codes
	Category       []string     `json:"category,omitempty"`       // local categories
	CategoryPrefix string       `json:"categoryPrefix,omitempty"` // start of the local category
	Intent         []string     `json:"intent,omitempty"`
	Channel        []string     `json:"channel,omitempty"`
	Need           string       `json:"need,omitempty"` // vulnerable | assistedDigital | interpreter
	Language       []string     `json:"language,omitempty"`
	ContactsInDays *CountWithin `json:"contactsInDays,omitempty"`
	Evidence       *bool        `json:"evidenceRequired,omitempty"`
	CaseAgeDays    *Compare     `json:"caseAgeDays,omitempty"`
	Amount         *Compare     `json:"amount,omitempty"` // pence
	TimeOfDay      *Between     `json:"timeOfDay,omitempty"`
	DayOfWeek      []string     `json:"dayOfWeek,omitempty"` // mon … sun

	// present records which members the document set, so an explicit empty "all": []
	// (always true) is told apart from a condition with nothing in it.
	present []string
}

// CountWithin counts this customer's contacts about this service in the last Days days.
type CountWithin struct {
	Days    int `json:"days"`
	AtLeast int `json:"atLeast"`
}

// Compare holds comparisons with a number; every one set must hold.
type Compare struct {
	GT  *int64 `json:"gt,omitempty"`
	GTE *int64 `json:"gte,omitempty"`
	LT  *int64 `json:"lt,omitempty"`
	LTE *int64 `json:"lte,omitempty"`
	EQ  *int64 `json:"eq,omitempty"`
}

// Between is a time-of-day window "HH:MM"–"HH:MM" in the council's time zone (it may wrap midnight).
type Between struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Result is where an enquiry goes.
type Result struct {
	Tier        int      `json:"tier"`
	Queue       string   `json:"queue"`
	Priority    int      `json:"priority"`
	SLA         SLA      `json:"sla"`
	Skills      []string `json:"skills,omitempty"`
	SelfService []Link   `json:"selfService,omitempty"`
}

// SLA is a service level: calendar hours, or working hours (09:00–17:00 on the working
// days of the council's calendar: weekdays less bank holidays and closures).
type SLA struct {
	Hours         int `json:"hours,omitempty"`
	BusinessHours int `json:"businessHours,omitempty"`
}

// Link is a self-service suggestion.
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// UnmarshalJSON records which members were present, and refuses unknown ones.
func (c *Condition) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	type plain Condition
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*c = Condition(p)
	for k := range raw {
		c.present = append(c.present, k)
	}
	return nil
}

// Parse reads a rule set document strictly: unknown members are errors.
func Parse(doc []byte) (RuleSet, error) {
	var rs RuleSet
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rs); err != nil {
		return RuleSet{}, fmt.Errorf("not a rule set: %w", err)
	}
	if dec.More() {
		return RuleSet{}, fmt.Errorf("not a rule set: more than one JSON value")
	}
	return rs, nil
}
