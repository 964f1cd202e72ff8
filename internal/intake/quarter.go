package intake

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/store"
)

// The quarter-hour count (table contact_quarter) is what the workforce forecast reads:
// contacts by arrival, per quarter hour of UTC time, channel, service and centre. The
// daily rollup (rollup.go) is too coarse for a forecast of half hours, and counting two
// years of contacts at read time took a second on SQLite. It is kept apart from the
// daily rollup because it counts one thing, by a different key, for a different reader:
// a contact adds 1 to one row; nothing a contact may change later (its outcome, its
// customer) moves it, as channel, service, centre and start are fixed once recorded.

// quarterSeconds is the width of a count: every forecast interval (15, 30, 60 minutes,
// a day) is a whole number of them.
const quarterSeconds = 900

// quarterOf is the quarter hour a contact arrived in: Unix seconds ÷ 900, rounded down.
func quarterOf(c Contact) int64 {
	s := c.StartedAt.Unix()
	q := s / quarterSeconds
	if s < 0 && s%quarterSeconds != 0 {
		q-- // round towards the past before 1970, as floor does
	}
	return q
}

const upsertQuarter = `INSERT INTO contact_quarter (channel, quarter, service_lgsl, centre, contacts) VALUES (?, ?, ?, ?, 1)
 ON CONFLICT (channel, quarter, service_lgsl, centre) DO UPDATE SET contacts = contact_quarter.contacts + 1`

// quarterCount is the prepared upsert, shared by an Intake's transactions.
type quarterCount struct {
	off  bool // only to measure what the count costs (export_test.go)
	mu   sync.Mutex
	stmt *sqlx.Stmt
}

// countQuarter adds contact c to its quarter hour's row, in c's transaction.
func (in *Intake) countQuarter(ctx context.Context, tx *sqlx.Tx, c Contact) error {
	if in.quarters.off {
		return nil
	}
	args := []any{string(c.Channel), quarterOf(c), c.Service.LGSL, c.Centre}
	// With the commit on PostgreSQL, as the daily count (see count).
	if store.HoldCount(tx, "contact_quarter", 4, upsertQuarter, args...) {
		return nil
	}
	in.quarters.mu.Lock()
	stmt := in.quarters.stmt
	in.quarters.mu.Unlock()
	var err error
	if stmt != nil {
		_, err = tx.StmtxContext(ctx, stmt).ExecContext(ctx, args...)
	} else {
		_, err = tx.ExecContext(ctx, tx.Rebind(upsertQuarter), args...)
	}
	if err != nil {
		return fmt.Errorf("count contact by quarter hour: %w", store.MapError(err))
	}
	return nil
}

// PrepareQuarterCount prepares the upsert once, at start, for the reason PrepareRollup
// gives: never on a request's path, and only on SQLite (PostgreSQL holds the count for
// the commit, see countQuarter).
func (in *Intake) PrepareQuarterCount(ctx context.Context) error {
	if in.db.Dialect != store.SQLite {
		return nil
	}
	in.quarters.mu.Lock()
	defer in.quarters.mu.Unlock()
	if in.quarters.stmt != nil {
		return nil
	}
	stmt, err := in.db.PreparexContext(ctx, in.db.Rebind(upsertQuarter))
	if err != nil {
		return fmt.Errorf("prepare the quarter-hour count of contacts: %w", store.MapError(err))
	}
	in.quarters.stmt = stmt
	return nil
}
