// Package exceptions finds the work that slipped, for the compliance and control team
// and supervisors: cases past their service level, cases nobody has touched, claims
// held with nothing done, residents who keep contacting, cases reopened or passed
// around, surveys that failed to send, and resolved cases without a resolution code.
// Every row says why it is on the list.
package exceptions

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/workcal"
)

// Kind is one exception report.
type Kind string

const (
	SLABreaches            Kind = "sla-breaches"
	IdleCases              Kind = "idle-cases"
	StaleClaims            Kind = "stale-claims"
	RepeatCustomers        Kind = "repeat-customers"
	ReopenedCases          Kind = "reopened-cases"
	PingPong               Kind = "ping-pong"
	FailingSurveys         Kind = "failing-surveys"
	MissingResolutionCodes Kind = "missing-resolution-codes"
)

// Kinds lists every report, in the order the README describes them.
var Kinds = []Kind{SLABreaches, IdleCases, StaleClaims, RepeatCustomers, ReopenedCases, PingPong, FailingSurveys, MissingResolutionCodes}

// Params are a report's thresholds; zero takes the kind's default. Each kind reads
// only some of them, and refuses the others, so a caller never believes a threshold
// was applied when it was not.
type Params struct {
	Days    int // a look-back window in days, or (idle-cases) working days without an event
	Hours   int // stale-claims: hours a claim is held with nothing done
	AtLeast int // repeat-customers: contacts; ping-pong: hand-offs
	Limit   int
	After   string // cursor
}

// Row is one exception.
type Row struct {
	Key        string // what pages are keyed on: a case, customer, event or survey id
	CaseID     string
	CustomerID string
	Status     string
	Queue      string
	Assignee   string
	Service    int
	At         time.Time // the moment the row is about (when the service level fell due, the last contact...)
	Count      int       // contacts, hand-offs or attempts, where the kind counts something
	Reason     string
}

// Page is one page of a report.
type Page struct {
	Kind       Kind
	Params     Params // as applied, defaults filled in
	Items      []Row
	NextCursor string
}

// Reports runs the exception reports over the hub's database.
type Reports struct {
	db  *store.DB
	cal *workcal.Calendar
	now func() time.Time
}

// New returns the reports; cal counts working days.
func New(db *store.DB, cal *workcal.Calendar) *Reports {
	return &Reports{db: db, cal: cal, now: store.Now}
}

// spec is how one kind is found and explained.
type spec struct {
	uses     []string // the parameters the kind reads
	defaults Params   // their defaults
	query    func(r *Reports, p Params, now time.Time) (string, []any)
	reason   func(r *Reports, p Params, x rawRow, now time.Time) string
}

// rawRow is a row as every kind's query returns it.
type rawRow struct {
	Key        string         `db:"row_id"`
	CaseID     *string        `db:"case_id"`
	CustomerID *string        `db:"customer_id"`
	Status     string         `db:"status"`
	Queue      string         `db:"queue"`
	Assignee   string         `db:"assignee"`
	Service    int            `db:"service"`
	At         store.NullTime `db:"at"`
	N          int            `db:"n"`
	Note       string         `db:"note"`
	Other      store.NullTime `db:"other_at"`
}

// Run returns one page of the kind's report, newest first.
func (r *Reports) Run(ctx context.Context, kind Kind, p Params) (Page, error) {
	s, ok := specs[kind]
	if !ok {
		return Page{}, fault.Field("kind", "one of "+kindList())
	}
	p, err := s.apply(p)
	if err != nil {
		return Page{}, err
	}
	now := r.now()
	inner, args := s.query(r, p, now)
	query := `SELECT * FROM (` + inner + `) x WHERE x.at IS NOT NULL`
	if p.After != "" {
		at, key, err := decodeCursor(p.After)
		if err != nil {
			return Page{}, err
		}
		query += ` AND (x.at < ? OR (x.at = ? AND x.row_id < ?))`
		args = append(args, at, at, key)
	}
	query += ` ORDER BY x.at DESC, x.row_id DESC LIMIT ?`
	args = append(args, p.Limit+1)
	var raws []rawRow
	if err := r.db.SelectContext(ctx, &raws, r.db.Rebind(query), args...); err != nil {
		return Page{}, fmt.Errorf("exceptions %s: %w", kind, store.MapError(err))
	}
	page := Page{Kind: kind, Params: p, Items: make([]Row, 0, len(raws))}
	if len(raws) > p.Limit {
		raws = raws[:p.Limit]
		last := raws[len(raws)-1]
		page.NextCursor = cursor.Encode(last.At.Time.UTC().Format(time.RFC3339Nano), last.Key)
	}
	for _, x := range raws {
		page.Items = append(page.Items, Row{Key: x.Key, CaseID: deref(x.CaseID), CustomerID: deref(x.CustomerID),
			Status: x.Status, Queue: x.Queue, Assignee: x.Assignee, Service: x.Service, At: x.At.Time.UTC(), Count: x.N,
			Reason: s.reason(r, p, x, now)})
	}
	return page, nil
}

// apply refuses parameters the kind does not read and fills in defaults.
func (s spec) apply(p Params) (Params, error) {
	var errs fault.Fields
	for _, g := range []struct {
		name string
		v    int
	}{{"days", p.Days}, {"hours", p.Hours}, {"atLeast", p.AtLeast}} {
		if g.v != 0 && !slices.Contains(s.uses, g.name) {
			errs.Add(g.name, "not a parameter of this report; it reads "+strings.Join(s.uses, ", "))
		}
	}
	if err := errs.Err(); err != nil {
		return p, err
	}
	if p.Days == 0 {
		p.Days = s.defaults.Days
	}
	if p.Hours == 0 {
		p.Hours = s.defaults.Hours
	}
	if p.AtLeast == 0 {
		p.AtLeast = s.defaults.AtLeast
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	return p, nil
}

func decodeCursor(c string) (time.Time, string, error) {
	keys, err := cursor.Decode(c, 2)
	if err != nil {
		return time.Time{}, "", fault.Field("cursor", "not a cursor this server gave out")
	}
	at, err := time.Parse(time.RFC3339Nano, keys[0])
	if err != nil || uuid.Validate(keys[1]) != nil {
		return time.Time{}, "", fault.Field("cursor", "not a cursor this server gave out")
	}
	return at.UTC(), keys[1], nil
}

func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// reopenReason reads the reason from a case.reopened event's payload.
func reopenReason(data string) string {
	var d struct {
		Reason string `json:"reason"`
	}
	if json.Unmarshal([]byte(data), &d) != nil {
		return ""
	}
	return d.Reason
}
