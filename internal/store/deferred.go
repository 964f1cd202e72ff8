package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
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
	count string // a count's row (HoldCount), by its key; "" for an append
}

type appends struct {
	conn  *sqlx.Conn
	stmts []appendStmt
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
// in the order of their keys (key names the table and the row), two writers never wait
// for each other's rows in opposite orders. Nothing in the transaction may read the row
// back. It holds nothing, and reports false, when tx holds no appends (SQLite, or a
// transaction InTx did not begin): the caller runs the upsert at once, prepared.
func HoldCount(tx *sqlx.Tx, key, query string, args ...any) bool {
	held, ok := open.Load(tx)
	if !ok {
		return false
	}
	a := held.(*appends)
	a.stmts = append(a.stmts, appendStmt{query: tx.Rebind(query), args: args, count: key})
	return true
}

// inSendingOrder is the held statements as they go: the appends in the order they were
// made, then the counts in the order of their keys.
func inSendingOrder(stmts []appendStmt) []appendStmt {
	counts := 0
	for _, s := range stmts {
		if s.count != "" {
			counts++
		}
	}
	if counts == 0 {
		return stmts
	}
	out := make([]appendStmt, 0, len(stmts))
	for _, s := range stmts {
		if s.count == "" {
			out = append(out, s)
		}
	}
	n := len(out)
	for _, s := range stmts {
		if s.count != "" {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out[n:], func(a, b appendStmt) int { return strings.Compare(a.count, b.count) })
	return out
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

// flush sends the held appends in one pipeline on the transaction's connection.
func (a *appends) flush(ctx context.Context) error { return a.flushThen(ctx, "") }

// flushThen is flush with then (a savepoint's release, say) sent last in the same
// pipeline; it runs only if every append succeeded. Without appends, then is sent alone.
func (a *appends) flushThen(ctx context.Context, then string) error {
	if len(a.stmts) == 0 && then == "" {
		return nil
	}
	return a.conn.Raw(func(dc any) error {
		conn := dc.(*stdlib.Conn).Conn()
		stmts := inSendingOrder(a.stmts)
		var b pgx.Batch
		for _, s := range stmts {
			b.Queue(s.query, s.args...)
		}
		if then != "" {
			b.Queue(then)
		}
		results := conn.SendBatch(ctx, &b)
		for i, s := range stmts {
			if _, err := results.Exec(); err != nil {
				_ = results.Close()
				if s.count != "" {
					return fmt.Errorf("count %s: %w", s.count, MapError(err))
				}
				if err := conflictAs(MapError(err), s.taken); err == s.taken {
					return err
				}
				return fmt.Errorf("append %d of %d: %w", i+1, len(stmts), MapError(err))
			}
		}
		if then != "" {
			if _, err := results.Exec(); err != nil {
				_ = results.Close()
				return fmt.Errorf("%s: %w", then, MapError(err))
			}
		}
		return results.Close()
	})
}
