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

// Entry is an event message with its number: its place in the order the outbox
// published messages (outbox.Message.Seq). A stream's event ids are these numbers.
type Entry struct {
	Seq int64
	event.Message
}

// Outbox reads the messages a stream missed back from the outbox table.
type Outbox struct{ db *store.DB }

// NewOutbox reads db's outbox.
func NewOutbox(db *store.DB) *Outbox { return &Outbox{db: db} }

const (
	selectHeld   = `SELECT count(*) FROM outbox WHERE seq = ?`
	selectAfter  = `SELECT seq, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`
	selectLatest = `SELECT last_seq FROM outbox_sequence WHERE id = 1`
)

// Held reports whether message number seq is still in the outbox (published messages
// are purged after outbox.Retention; a number not yet given is not held either).
func (o *Outbox) Held(ctx context.Context, seq int64) (bool, error) {
	var n int
	if err := o.db.GetContext(ctx, &n, o.db.Rebind(selectHeld), seq); err != nil {
		return false, fmt.Errorf("read outbox: %w", store.MapError(err))
	}
	return n > 0, nil
}

// Latest is the number of the last message published (0 before the first).
func (o *Outbox) Latest(ctx context.Context) (int64, error) {
	var seq int64
	if err := o.db.GetContext(ctx, &seq, selectLatest); err != nil {
		return 0, fmt.Errorf("read outbox sequence: %w", store.MapError(err))
	}
	return seq, nil
}

// After reads up to limit messages numbered after seq, in order. Each call is one
// query: no connection is held between pages. A message that is not an event (none is
// written today) comes back with an empty ID: it holds its number but nothing to send.
func (o *Outbox) After(ctx context.Context, seq int64, limit int) ([]Entry, error) {
	var rows []struct {
		Seq     int64  `db:"seq"`
		Payload []byte `db:"payload"`
	}
	if err := o.db.SelectContext(ctx, &rows, o.db.Rebind(selectAfter), seq, limit); err != nil {
		return nil, fmt.Errorf("read outbox: %w", store.MapError(err))
	}
	out := make([]Entry, 0, len(rows))
	for _, r := range rows {
		e := Entry{Seq: r.Seq}
		_ = json.Unmarshal(r.Payload, &e.Message) // not an event: an empty entry
		out = append(out, e)
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
