// Package timeline keeps the append-only events of customers (and, later, cases): who did
// what, when. Rows are only ever inserted; reading is newest first, cursor-paginated.
package timeline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// Actor is who caused an event: a token subject and the role they acted in. Its JSON is
// the contract's Actor (an event message's actor).
type Actor struct {
	Subject string `json:"subject"`
	Role    string `json:"role"`
}

// Event is one thing that happened to a customer or case.
type Event struct {
	ID         string
	CustomerID string
	CaseID     string
	Kind       string
	Actor      Actor
	Data       map[string]any
	// Raw is Data as stored, on events read back; Data is then nil until Fields
	// decodes it, so a timeline passed straight to a client is never decoded.
	Raw        json.RawMessage
	OccurredAt time.Time
}

// Fields is the event's data, decoded from Raw when it was read back.
func (e Event) Fields() map[string]any {
	if e.Data != nil || len(e.Raw) == 0 {
		return e.Data
	}
	var m map[string]any
	if json.Unmarshal(e.Raw, &m) != nil {
		return nil
	}
	return m
}

// ResidentView tells a resident what an event means for them, and whether they see it
// at all. Each package that writes events answers for its own kinds.
type ResidentView func(Event) (summary string, shown bool)

// ForResident is the first view's words for ev; an event no view shows is hidden, so a
// new kind of event stays internal until its package says otherwise.
func ForResident(ev Event, views ...ResidentView) (string, bool) {
	for _, view := range views {
		if summary, shown := view(ev); shown {
			return summary, true
		}
	}
	return "", false
}

// Page is one page of events and the cursor of the next, "" on the last.
type Page struct {
	Items      []Event
	NextCursor string
}

const insertEvent = `INSERT INTO timeline_events
 (id, customer_id, case_id, kind, actor_subject, actor_role, data, occurred_at)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// Append writes ev inside tx, so an event commits or rolls back with the change it tells.
func Append(ctx context.Context, tx *sqlx.Tx, ev Event) error {
	if ev.ID == "" {
		ev.ID = store.NewID()
	}
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = store.Now()
	}
	data := []byte(ev.Raw) // an event package's payload, already encoded
	if data == nil {
		if ev.Data == nil {
			ev.Data = map[string]any{}
		}
		var err error
		if data, err = json.Marshal(ev.Data); err != nil {
			return fmt.Errorf("encode event data: %w", err)
		}
	}
	err := store.Append(ctx, tx, insertEvent, ev.ID, nullable(ev.CustomerID), nullable(ev.CaseID),
		ev.Kind, ev.Actor.Subject, ev.Actor.Role, string(data), ev.OccurredAt)
	if err != nil {
		return fmt.Errorf("append %s event: %w", ev.Kind, err)
	}
	return nil
}

// eventRow is one row of eventColumns, in its order (scanEvents relies on it).
type eventRow struct {
	ID           string    `db:"id"`
	CustomerID   *string   `db:"customer_id"`
	CaseID       *string   `db:"case_id"`
	Kind         string    `db:"kind"`
	ActorSubject string    `db:"actor_subject"`
	ActorRole    string    `db:"actor_role"`
	Data         []byte    `db:"data"`
	OccurredAt   time.Time `db:"occurred_at"`
}

const eventColumns = `SELECT id, customer_id, case_id, kind, actor_subject, actor_role, data, occurred_at FROM timeline_events`

// ForCustomer reads one page of the events of a customer — and of any records merged
// into it, whose history is now its history — newest first.
func ForCustomer(ctx context.Context, db *store.DB, customerIDs []string, limit int, after string) (Page, error) {
	return page(ctx, db, "customer_id", customerIDs, limit, after)
}

// ForCase reads one page of a case's events, newest first.
func ForCase(ctx context.Context, db *store.DB, caseID string, limit int, after string) (Page, error) {
	return page(ctx, db, "case_id", []string{caseID}, limit, after)
}

// page reads events whose column (customer_id or case_id, never caller input) is one
// of ids, ordered by (time, id) descending from the cursor.
func page(ctx context.Context, db *store.DB, column string, ids []string, limit int, after string) (Page, error) {
	where := column + " IN (?)"
	args := []any{ids}
	if after != "" {
		at, id, err := decodeCursor(after)
		if err != nil {
			return Page{}, err
		}
		where += " AND (occurred_at < ? OR (occurred_at = ? AND id < ?))"
		args = append(args, at, at, id)
	}
	args = append(args, limit+1)
	q, qargs, err := sqlx.In(eventColumns+" WHERE "+where+" ORDER BY occurred_at DESC, id DESC LIMIT ?", args...)
	if err != nil {
		return Page{}, fmt.Errorf("read timeline: %w", err)
	}
	rows, err := scanEvents(ctx, db, db.Rebind(q), qargs, limit+1)
	if err != nil {
		return Page{}, fmt.Errorf("read timeline: %w", store.MapError(err))
	}
	return toPage(rows, limit)
}

// scanEvents reads the rows into eventRows field by field, as sqlx would by reflection
// (the same destinations, so the same conversions on both databases) without its
// per-row reflection, which was a twentieth of a fifty-event read's CPU.
func scanEvents(ctx context.Context, db *store.DB, query string, args []any, capacity int) ([]eventRow, error) {
	rs, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	rows := make([]eventRow, 0, capacity)
	for rs.Next() {
		var r eventRow
		if err := rs.Scan(&r.ID, &r.CustomerID, &r.CaseID, &r.Kind, &r.ActorSubject, &r.ActorRole, &r.Data, &r.OccurredAt); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	return rows, rs.Close()
}

func toPage(rows []eventRow, limit int) (Page, error) {
	var page Page
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		page.NextCursor = cursor.Encode(last.OccurredAt.UTC().Format(time.RFC3339Nano), last.ID)
	}
	page.Items = make([]Event, 0, len(rows))
	for _, r := range rows {
		ev := Event{ID: r.ID, Kind: r.Kind, Actor: Actor{r.ActorSubject, r.ActorRole}, OccurredAt: r.OccurredAt.UTC()}
		if r.CustomerID != nil {
			ev.CustomerID = *r.CustomerID
		}
		if r.CaseID != nil {
			ev.CaseID = *r.CaseID
		}
		if !json.Valid(r.Data) {
			return Page{}, fmt.Errorf("event %s holds data that is not JSON", r.ID)
		}
		ev.Raw = r.Data
		page.Items = append(page.Items, ev)
	}
	return page, nil
}

func decodeCursor(c string) (time.Time, string, error) {
	keys, err := cursor.Decode(c, 2)
	if err != nil {
		return time.Time{}, "", fault.Field("cursor", "not a cursor this server gave out")
	}
	at, err := time.Parse(time.RFC3339Nano, keys[0])
	if err != nil {
		return time.Time{}, "", fault.Field("cursor", "not a cursor this server gave out")
	}
	if _, err := uuid.Parse(keys[1]); err != nil {
		return time.Time{}, "", fault.Field("cursor", "not a cursor this server gave out")
	}
	return at.UTC(), keys[1], nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
