package intake

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/store"
)

// The daily rollup (table contact_daily) counts contacts as they are recorded, so the
// reports read a day's counts instead of a day's contacts. Each contact adds 1 to the
// row of its UTC day, channel, service, centre, outcome, avoidable reason and the tier
// of the case it opened (0 when it opened none); a change of outcome moves that 1. What
// needs the customer (repeat customers) is not rolled up: merges move contacts between
// customers, and counting at read time follows them for free.

// rollupKey is the row of the rollup a contact counts in.
type rollupKey struct {
	Day        string
	Channel    string
	LGSL       int
	Centre     string
	Outcome    string
	Avoidable  string
	OpenedTier int
}

// rollupKeyOf is c's row; openedTier is the tier of the case c opened, 0 when none.
func rollupKeyOf(c Contact, openedTier int) rollupKey {
	return rollupKey{Day: c.StartedAt.UTC().Format("2006-01-02"), Channel: string(c.Channel), LGSL: c.Service.LGSL,
		Centre: c.Centre, Outcome: string(c.Outcome), Avoidable: c.AvoidableReason, OpenedTier: openedTier}
}

// less orders keys, so that two transactions moving counts between the same two rows
// lock them in the same order and cannot deadlock.
func (k rollupKey) less(o rollupKey) bool {
	return fmt.Sprint(k) < fmt.Sprint(o)
}

// One statement in both engines: ON CONFLICT … DO UPDATE is PostgreSQL's and SQLite's.
const upsertRollup = `INSERT INTO contact_daily
 (day, channel, service_lgsl, centre, outcome, avoidable_reason, opened_tier, contacts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
 ON CONFLICT (day, channel, service_lgsl, centre, outcome, avoidable_reason, opened_tier)
 DO UPDATE SET contacts = contact_daily.contacts + excluded.contacts`

// count adds n (which may be negative) to k's row. The statement is prepared once per
// connection and reused (compiling it each time was most of its cost on SQLite).
func (in *Intake) count(ctx context.Context, tx *sqlx.Tx, k rollupKey, n int) error {
	if in.noRollup {
		return nil
	}
	stmt, err := in.upsertStmt(ctx)
	if err != nil {
		return err
	}
	if _, err := tx.StmtxContext(ctx, stmt).ExecContext(ctx, k.Day, k.Channel, k.LGSL, k.Centre, k.Outcome, k.Avoidable, k.OpenedTier, n); err != nil {
		return fmt.Errorf("count contact: %w", store.MapError(err))
	}
	return nil
}

// upsertStmt prepares the rollup's upsert on first use; a failed preparation is tried
// again next time.
func (in *Intake) upsertStmt(ctx context.Context) (*sqlx.Stmt, error) {
	in.upsertMu.Lock()
	defer in.upsertMu.Unlock()
	if in.upsert != nil {
		return in.upsert, nil
	}
	stmt, err := in.db.PreparexContext(ctx, in.db.Rebind(upsertRollup))
	if err != nil {
		return nil, fmt.Errorf("prepare the daily count: %w", store.MapError(err))
	}
	in.upsert = stmt
	return stmt, nil
}

// recount moves a contact's 1 from row was to row now, locking the rows in key order.
func (in *Intake) recount(ctx context.Context, tx *sqlx.Tx, was, now rollupKey) error {
	if was == now {
		return nil
	}
	first, second, n := was, now, -1
	if now.less(was) {
		first, second, n = now, was, 1
	}
	if err := in.count(ctx, tx, first, n); err != nil {
		return err
	}
	return in.count(ctx, tx, second, -n)
}
