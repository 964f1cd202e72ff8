package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/council/contacthub/internal/event"
	"github.com/council/contacthub/internal/store"
)

// Page is how many messages one replay query reads.
const Page = 500

// Outbox reads the messages a stream missed back from the outbox table.
type Outbox struct{ db *store.DB }

// NewOutbox reads db's outbox.
func NewOutbox(db *store.DB) *Outbox { return &Outbox{db: db} }

const (
	selectHeld  = `SELECT count(*) FROM outbox WHERE id = ?`
	selectAfter = `SELECT payload FROM outbox WHERE id > ? ORDER BY id LIMIT ?`
)

// Held reports whether the message id is still in the outbox (published messages are
// purged after outbox.Retention; an id the hub never made is not held either).
func (o *Outbox) Held(ctx context.Context, id string) (bool, error) {
	var n int
	if err := o.db.GetContext(ctx, &n, o.db.Rebind(selectHeld), id); err != nil {
		return false, fmt.Errorf("read outbox: %w", store.MapError(err))
	}
	return n > 0, nil
}

// After reads up to limit messages after id, in id order (ids are UUIDv7: the order
// they were made). Each call is one query: no connection is held between pages.
func (o *Outbox) After(ctx context.Context, id string, limit int) ([]event.Message, error) {
	var rows [][]byte
	if err := o.db.SelectContext(ctx, &rows, o.db.Rebind(selectAfter), id, limit); err != nil {
		return nil, fmt.Errorf("read outbox: %w", store.MapError(err))
	}
	out := make([]event.Message, 0, len(rows))
	for _, raw := range rows {
		var m event.Message
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("decode outbox message: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}

// Filter picks the messages a staff stream sends: each member given must match (any of
// its values); an empty filter sends everything.
type Filter struct {
	Types       []string
	Queues      []string
	CaseIDs     []string
	CustomerIDs []string
}

// Match reports whether m passes f.
func (f Filter) Match(m event.Message) bool {
	return anyOf(f.Types, m.Type) && anyOf(f.Queues, m.Queue) && anyOf(f.CaseIDs, m.CaseID) &&
		anyOf(f.CustomerIDs, m.CustomerID)
}

func anyOf(values []string, v string) bool {
	return len(values) == 0 || slices.Contains(values, v)
}

// SplitList reads a repeatable query parameter that may also hold comma lists
// ("a,b" and "a&b" alike), dropping empty items.
func SplitList(values []string) []string {
	var out []string
	for _, v := range values {
		for item := range strings.SplitSeq(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// Resident picks the messages a resident's stream may consider: those of their own
// record and of their own cases (what each says to them is the resident views' to
// decide). Cases opened for them while the stream is open join as their messages pass.
type Resident struct {
	customerID string
	cases      map[string]bool
}

// NewResident is the resident whose record is customerID, with their cases so far.
func NewResident(customerID string, caseIDs []string) *Resident {
	r := &Resident{customerID: customerID, cases: map[string]bool{}}
	for _, id := range caseIDs {
		r.cases[id] = true
	}
	return r
}

// Match reports whether m is about the resident's record or one of their cases. Not
// safe for concurrent use: one stream calls it.
func (r *Resident) Match(m event.Message) bool {
	if m.CustomerID == r.customerID {
		if m.CaseID != "" {
			r.cases[m.CaseID] = true
		}
		return true
	}
	return m.CaseID != "" && r.cases[m.CaseID]
}
