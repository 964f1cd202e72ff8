package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"
)

// Appends are inserts that nothing in their transaction reads back: contacts, timeline
// events, outbox messages, ratings, call records (and, last, the counts: HoldCount). A transaction InTx began on PostgreSQL holds them and
// sends them all in one round trip (a pipeline) just before it commits, instead of one
// round trip each; on a single-core-pair machine a round trip costs the hub and the
// database more than the insert does. Elsewhere an append runs at once.

type appendStmt struct {
	query string // already rebound
	args  []any
	taken error  // returned when the insert breaks a unique constraint; nil: ErrConflict
	table string // a count's table (HoldCount); "" for an append
	row   []any  // a count's row: the leading arguments, its unique key's columns
}

type appends struct {
	conn      *sqlx.Conn
	stmts     []appendStmt
	committed bool // the transaction's commit went, and succeeded, in a pipeline
}

// open holds the appends of transactions InTx began on PostgreSQL, by transaction.
var open sync.Map // *sqlx.Tx → *appends

// Append runs an insert in tx, or holds it to go with tx's commit. Its error, if it
// fails when sent, is the transaction's (nothing commits).
func Append(ctx context.Context, tx *sqlx.Tx, query string, args ...any) error {
	return AppendUnique(ctx, tx, nil, query, args...)
}

// AppendUnique is Append for an insert that may meet a unique constraint (a channel's
// own id seen before): that failure, now or at commit, is taken.
func AppendUnique(ctx context.Context, tx *sqlx.Tx, taken error, query string, args ...any) error {
	if held, ok := open.Load(tx); ok {
		a := held.(*appends)
		a.stmts = append(a.stmts, appendStmt{query: tx.Rebind(query), args: args, taken: taken})
		return nil
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(query), args...)
	return conflictAs(MapError(err), taken)
}

// HoldCount holds an upsert of a count that concurrent transactions share (a day's
// rollup row, a quarter hour's) to go with tx's commit, after every append, and reports
// whether it did. A shared row stays locked from its upsert to the commit, so the later
// it is sent the shorter others queue for it; and as every transaction sends its counts
// in one order (by table, then by row), two writers never wait for each other's rows in
// opposite orders. The row is named by the first keyCols of args, the columns of the
// table's unique key (strings, integers or booleans, possibly of named types): no key is
// built, so holding a count allocates nothing beyond the statement. Nothing in the
// transaction may read the row back. It holds nothing, and reports false, when tx holds
// no appends (SQLite, or a transaction InTx did not begin): the caller runs the upsert
// at once, prepared.
func HoldCount(tx *sqlx.Tx, table string, keyCols int, query string, args ...any) bool {
	held, ok := open.Load(tx)
	if !ok {
		return false
	}
	a := held.(*appends)
	a.stmts = append(a.stmts, appendStmt{query: tx.Rebind(query), args: args, table: table, row: args[:keyCols:keyCols]})
	return true
}

// inSendingOrder is the held statements as they go: the appends in the order they were
// made, then the counts in the order of their rows.
func inSendingOrder(stmts []appendStmt) []appendStmt {
	counts := 0
	for _, s := range stmts {
		if s.table != "" {
			counts++
		}
	}
	if counts == 0 {
		return stmts
	}
	out := make([]appendStmt, 0, len(stmts))
	for _, s := range stmts {
		if s.table == "" {
			out = append(out, s)
		}
	}
	n := len(out)
	for _, s := range stmts {
		if s.table != "" {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out[n:], compareCounts)
	return out
}

// compareCounts orders two counts' rows: by table, then column by column. Two rows of
// one table have the same column types, so the order is total across every writer.
func compareCounts(a, b appendStmt) int {
	if c := strings.Compare(a.table, b.table); c != 0 {
		return c
	}
	for i := range min(len(a.row), len(b.row)) {
		if c := compareValues(a.row[i], b.row[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a.row), len(b.row))
}

// compareValues orders two key values of one column by their kind (a named string type
// as a string); values of any other kind, or of different kinds, by their printed form.
func compareValues(a, b any) int {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	switch {
	case va.Kind() != vb.Kind():
	case va.CanInt():
		return cmp.Compare(va.Int(), vb.Int())
	case va.CanUint():
		return cmp.Compare(va.Uint(), vb.Uint())
	case va.Kind() == reflect.String:
		return strings.Compare(va.String(), vb.String())
	case va.Kind() == reflect.Bool:
		return cmp.Compare(boolInt(va.Bool()), boolInt(vb.Bool()))
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// conflictAs turns a unique-constraint failure into taken, when given.
func conflictAs(err, taken error) error {
	if taken != nil && errors.Is(err, ErrConflict) {
		return taken
	}
	return err
}

// beginWithAppends begins a transaction on a connection of its own, whose appends are
// held until flushAppends.
func (db *DB) beginWithAppends(ctx context.Context) (*sqlx.Tx, *appends, error) {
	conn, err := db.Connx(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	a := &appends{conn: conn}
	open.Store(tx, a)
	return tx, a, nil
}

// flush sends the held appends in one pipeline on the transaction's connection, after
// what the connection owes (its begin, a savepoint).
func (a *appends) flush(ctx context.Context) error { return a.send(ctx, nil, false) }

// flushThen is flush with then (a savepoint's release, say) sent last in the same
// pipeline; it runs only if every append succeeded. Without appends, then is sent alone.
func (a *appends) flushThen(ctx context.Context, then string) error {
	return a.send(ctx, []Exec{{Query: then}}, false)
}

// commit sends the held appends, then (rebound statements: a unit's last), and the
// transaction's commit in one pipeline: the whole transaction in one round trip when it
// had sent nothing before. Each runs only if everything before it succeeded. When the
// commit succeeds the transaction's Commit sends nothing more (see pipeTx).
func (a *appends) commit(ctx context.Context, then ...Exec) error {
	return a.send(ctx, then, true)
}

func (a *appends) send(ctx context.Context, then []Exec, commit bool) error {
	if len(a.stmts) == 0 && len(then) == 0 && !commit {
		return nil
	}
	return a.conn.Raw(func(dc any) error {
		c, err := pipeConnOf(dc)
		if err != nil {
			return err
		}
		if commit && len(a.stmts) == 0 && len(then) == 0 && c.owesBegin() && c.spoilt == nil {
			return nil // nothing sent, nothing held: the transaction's Commit sends nothing
		}
		stmts := inSendingOrder(a.stmts)
		err = c.pipeline(ctx, commit, func(b *pgx.Batch) {
			for _, s := range stmts {
				b.Queue(s.query, s.args...)
			}
			for _, s := range then {
				b.Queue(s.Query, s.Args...)
			}
			if commit {
				b.Queue("commit")
			}
		}, func(results pgx.BatchResults) error {
			return readHeld(results, stmts, then, commit)
		})
		if commit && err == nil {
			c.committed, a.committed = true, true
		}
		return err
	})
}

// readHeld reads the results of send's pipeline, naming the statement that failed.
func readHeld(results pgx.BatchResults, stmts []appendStmt, then []Exec, commit bool) error {
	for i, s := range stmts {
		if _, err := results.Exec(); err != nil {
			if s.table != "" {
				return fmt.Errorf("count %s %v: %w", s.table, s.row, MapError(err))
			}
			if err := conflictAs(MapError(err), s.taken); err == s.taken {
				return err
			}
			return fmt.Errorf("append %d of %d: %w", i+1, len(stmts), MapError(err))
		}
	}
	for _, s := range then {
		if _, err := results.Exec(); err != nil {
			return fmt.Errorf("%s: %w", firstWords(s.Query), MapError(err))
		}
	}
	if commit {
		return readCommit(results)
	}
	return nil
}

// firstWords names a statement in an error by its start.
func firstWords(query string) string {
	if len(query) > 40 {
		return query[:40] + "…"
	}
	return query
}
