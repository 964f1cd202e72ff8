package audit

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/cursor"
	"github.com/council/contacthub/internal/fault"
	"github.com/council/contacthub/internal/store"
)

// Query selects entries, newest first. Empty fields do not filter.
type Query struct {
	CustomerIDs []string // entries that touched any of these people
	Subject     string
	From, To    time.Time // [From, To)
	Limit       int
	After       string // a cursor from the previous page
}

// Page is one page of entries.
type Page struct {
	Items      []Entry
	NextCursor string
}

type entryRow struct {
	ID        string         `db:"id"`
	At        store.NullTime `db:"at"`
	Subject   string         `db:"subject"`
	Roles     string         `db:"roles"`
	Action    string         `db:"action"`
	Operation string         `db:"operation"`
	Resource  string         `db:"resource"`
	Purpose   string         `db:"purpose"`
	RequestID string         `db:"request_id"`
	// Customer is the entry's one customer; NULL when it touched nobody or several
	// people (or was written before migration 00019): those are link rows.
	Customer sql.NullString `db:"customer_id"`
}

const selectEntries = `SELECT e.id, e.at, e.subject, e.roles, e.action, e.operation, e.resource, e.purpose, e.request_id, e.customer_id
 FROM audit_entries e`

// touchedAny finds the entries that touched any of the customers, wherever the entry
// keeps them: on its own row (one customer) or as link rows (none or several, and
// every entry written before migration 00019). Each branch is an index range
// (audit_entries_customer, audit_entry_customers_customer); an entry is in one branch
// only, and IN would not repeat it if it were in both.
const touchedAny = `e.id IN (SELECT id FROM audit_entries WHERE customer_id IN (?)
 UNION ALL SELECT entry_id FROM audit_entry_customers WHERE customer_id IN (?))`

// List answers q. The retention is the oldest an entry may be: a period starting
// before it is refused, naming from, since what it asks for has been purged.
func (l *Log) List(ctx context.Context, q Query, retention time.Duration) (Page, error) {
	if err := checkPeriod(q, retention, store.Now()); err != nil {
		return Page{}, err
	}
	var where []string
	var args []any
	if len(q.CustomerIDs) > 0 {
		where = append(where, touchedAny)
		args = append(args, q.CustomerIDs, q.CustomerIDs)
	}
	if q.Subject != "" {
		where = append(where, `e.subject = ?`)
		args = append(args, q.Subject)
	}
	if !q.From.IsZero() {
		where = append(where, `e.at >= ?`)
		args = append(args, q.From.UTC())
	}
	if !q.To.IsZero() {
		where = append(where, `e.at < ?`)
		args = append(args, q.To.UTC())
	}
	if q.After != "" {
		keys, err := cursor.Decode(q.After, 2)
		if err != nil {
			return Page{}, fault.Field("cursor", "is not a cursor this server gave")
		}
		at, err := time.Parse(time.RFC3339Nano, keys[0])
		if err != nil {
			return Page{}, fault.Field("cursor", "is not a cursor this server gave")
		}
		where = append(where, `(e.at < ? OR (e.at = ? AND e.id < ?))`)
		args = append(args, at, at, keys[1])
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	query := selectEntries
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY e.at DESC, e.id DESC LIMIT ?"
	args = append(args, limit+1)
	query, args, err := sqlx.In(query, args...)
	if err != nil {
		return Page{}, fmt.Errorf("audit query: %w", err)
	}
	var found []entryRow
	if err := l.db.SelectContext(ctx, &found, l.db.Rebind(query), args...); err != nil {
		return Page{}, fmt.Errorf("list audit entries: %w", store.MapError(err))
	}
	var page Page
	if len(found) > limit {
		found = found[:limit]
		last := found[limit-1]
		page.NextCursor = cursor.Encode(last.At.Time.Format(time.RFC3339Nano), last.ID)
	}
	if page.Items, err = l.withCustomers(ctx, found); err != nil {
		return Page{}, err
	}
	return page, nil
}

// checkPeriod refuses a period that starts before the retention or ends before it starts.
func checkPeriod(q Query, retention time.Duration, now time.Time) error {
	var fs fault.Fields
	if retention > 0 && !q.From.IsZero() && q.From.Before(now.Add(-retention)) {
		fs.Add("from", fmt.Sprintf("is before the audit retention (%s): older entries are purged", retention))
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		fs.Add("to", "must be after from")
	}
	return fs.Err()
}

// withCustomers gives each entry its customers: its own, or its link rows, read in one
// query for the entries that have no customer of their own (none when every entry on
// the page names exactly one person).
func (l *Log) withCustomers(ctx context.Context, found []entryRow) ([]Entry, error) {
	out := make([]Entry, 0, len(found))
	if len(found) == 0 {
		return out, nil
	}
	byEntry, err := l.linkedCustomers(ctx, found)
	if err != nil {
		return nil, err
	}
	for _, r := range found {
		e := Entry{ID: r.ID, At: r.At.Time, Subject: r.Subject, Action: Action(r.Action), Operation: r.Operation,
			Resource: r.Resource, Purpose: r.Purpose, RequestID: r.RequestID, CustomerIDs: byEntry[r.ID]}
		if r.Customer.Valid {
			e.CustomerIDs = []string{r.Customer.String}
		}
		if e.CustomerIDs == nil {
			e.CustomerIDs = []string{}
		}
		if r.Roles != "" {
			e.Roles = strings.Split(r.Roles, ",")
		}
		out = append(out, e)
	}
	return out, nil
}

// linkedCustomers reads the link rows of the entries without a customer of their own,
// each entry's customers in order.
func (l *Log) linkedCustomers(ctx context.Context, found []entryRow) (map[string][]string, error) {
	var ids []string
	for _, r := range found {
		if !r.Customer.Valid {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	query, args, err := sqlx.In(`SELECT entry_id, customer_id FROM audit_entry_customers WHERE entry_id IN (?) ORDER BY customer_id`, ids)
	if err != nil {
		return nil, fmt.Errorf("audit customers query: %w", err)
	}
	var links []struct {
		EntryID    string `db:"entry_id"`
		CustomerID string `db:"customer_id"`
	}
	if err := l.db.SelectContext(ctx, &links, l.db.Rebind(query), args...); err != nil {
		return nil, fmt.Errorf("read audit customers: %w", store.MapError(err))
	}
	byEntry := make(map[string][]string, len(ids))
	for _, k := range links {
		byEntry[k.EntryID] = append(byEntry[k.EntryID], k.CustomerID)
	}
	return byEntry, nil
}

const (
	// A link row's at is its entry's, so the links to purge are those of the entries
	// to purge: found through audit_entries_at and the links' primary key, where
	// "WHERE at < ?" on the links had no index to use and read the whole table.
	purgeCustomers = `DELETE FROM audit_entry_customers WHERE entry_id IN (SELECT id FROM audit_entries WHERE at < ?)`
	purgeEntries   = `DELETE FROM audit_entries WHERE at < ?`
)

// Purge deletes the entries older than retention: the only way an entry ever leaves.
func (l *Log) Purge(ctx context.Context, retention time.Duration) (int64, error) {
	cutoff := store.Now().Add(-retention)
	var n int64
	err := l.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(purgeCustomers), cutoff); err != nil {
			return fmt.Errorf("purge audit customers: %w", err)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(purgeEntries), cutoff)
		if err != nil {
			return fmt.Errorf("purge audit entries: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return fmt.Errorf("purge audit entries: %w", err)
		}
		return nil
	})
	return n, err
}
