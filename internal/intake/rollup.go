package intake

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/store"
)

// The daily rollup (table contact_daily) counts contacts as they are recorded, so the
// reports read a day's counts instead of a day's contacts. A row is a UTC day, channel,
// service and centre (what the reports filter by); its columns count the contacts, each
// outcome, each avoidable reason and the cases opened at each tier. Recording a contact
// adds to one row; a change of outcome moves a count between two columns of that row.
// What needs the customer (repeat customers) is not rolled up: merges move contacts
// between customers, and counting at read time follows them for free.

// rollupKey is the row of the rollup a contact counts in.
type rollupKey struct {
	Day     string
	Channel string
	LGSL    int
	Centre  string
}

func rollupKeyOf(c Contact) rollupKey {
	return rollupKey{Day: c.StartedAt.UTC().Format("2006-01-02"), Channel: string(c.Channel), LGSL: c.Service.LGSL, Centre: c.Centre}
}

// tally is what one write adds to a row, column by column (in rollupColumns' order).
type tally [len(rollupColumns)]int

var rollupColumns = [...]string{"contacts", "in_progress", "resolved_first_contact", "self_served", "handed_off", "referred",
	"abandoned", "avoidable_repeat", "avoidable_progress_chasing", "avoidable_chasing_response", "avoidable_misdirected",
	"opened_tier_1", "opened_tier_2", "opened_tier_3", "avoidable_past_sla"}

var rollupColumn = func() map[string]int {
	m := map[string]int{}
	for i, c := range rollupColumns {
		m[c] = i
	}
	return m
}()

// add counts n in the column named; a name that is not a column (an outcome or reason
// added later without a column) counts nowhere rather than failing the contact.
func (t *tally) add(column string, n int) {
	if i, ok := rollupColumn[column]; ok {
		t[i] += n
	}
}

// contactTally is what recording c adds; openedTier is the tier of the case c opened
// (0 when it opened none).
func contactTally(c Contact, openedTier int) tally {
	var t tally
	t.add("contacts", 1)
	t.add(string(c.Outcome), 1)
	if c.AvoidableReason != "" {
		t.add("avoidable_"+c.AvoidableReason, 1)
	}
	if openedTier > 0 {
		t.add(fmt.Sprintf("opened_tier_%d", openedTier), 1)
	}
	return t
}

// One statement in both engines: ON CONFLICT … DO UPDATE is PostgreSQL's and SQLite's.
var upsertRollup = func() string {
	cols, marks, sets := "", "", ""
	for i, c := range rollupColumns {
		if i > 0 {
			cols, sets = cols+", ", sets+", "
		}
		cols += c
		marks += ", ?"
		sets += c + " = contact_daily." + c + " + excluded." + c
	}
	return `INSERT INTO contact_daily (day, channel, service_lgsl, centre, ` + cols + `) VALUES (?, ?, ?, ?` + marks + `)
 ON CONFLICT (day, channel, service_lgsl, centre) DO UPDATE SET ` + sets
}()

// rollup is the prepared upsert, shared by an Intake's transactions.
type rollup struct {
	off  bool // only to measure what the rollup costs (export_test.go)
	mu   sync.Mutex
	stmt *sqlx.Stmt
}

// count adds t to k's row. On PostgreSQL the upsert goes with the commit's pipeline
// (store.HoldCount): no round trip of its own, and the row, which every concurrent
// contact of the day, channel, service and centre shares, stays locked for the least
// time. Elsewhere it runs now, with the prepared statement when there is one (compiling
// the statement each time was most of its cost on SQLite) and as plain text otherwise.
func (in *Intake) count(ctx context.Context, tx *sqlx.Tx, k rollupKey, t tally) error {
	if in.rollup.off {
		return nil
	}
	args := make([]any, 0, 4+len(t))
	args = append(args, k.Day, k.Channel, k.LGSL, k.Centre)
	for _, n := range t {
		args = append(args, n)
	}
	if store.HoldCount(tx, "contact_daily", 4, upsertRollup, args...) {
		return nil
	}
	var err error
	if stmt := in.prepared(); stmt != nil {
		_, err = tx.StmtxContext(ctx, stmt).ExecContext(ctx, args...)
	} else {
		_, err = tx.ExecContext(ctx, tx.Rebind(upsertRollup), args...)
	}
	if err != nil {
		return fmt.Errorf("count contact: %w", store.MapError(err))
	}
	return nil
}

func (in *Intake) prepared() *sqlx.Stmt {
	in.rollup.mu.Lock()
	defer in.rollup.mu.Unlock()
	return in.rollup.stmt
}

// PrepareRollup prepares the upsert once, at start, on SQLite. It must not run on a
// request's path: preparing takes a connection of its own from the pool, and a request
// holding one already (its transaction, or its Idempotency-Key's unit) that waited for
// another could wait on requests that wait on it. Without it, count executes the text.
// On PostgreSQL it prepares nothing: every write there is in a transaction InTx or a
// unit began, whose counts go with the commit (store.HoldCount), so a prepared
// statement would never be used, only held open on one of the pool's connections.
func (in *Intake) PrepareRollup(ctx context.Context) error {
	if in.db.Dialect != store.SQLite {
		return nil
	}
	in.rollup.mu.Lock()
	defer in.rollup.mu.Unlock()
	if in.rollup.stmt != nil {
		return nil
	}
	stmt, err := in.db.PreparexContext(ctx, in.db.Rebind(upsertRollup))
	if err != nil {
		return fmt.Errorf("prepare the daily count of contacts: %w", store.MapError(err))
	}
	in.rollup.stmt = stmt
	return nil
}
