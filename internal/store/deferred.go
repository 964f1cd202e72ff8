package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// Appends are inserts that nothing in their transaction reads back: contacts, timeline
// events, outbox messages, ratings, call records. A transaction InTx began on PostgreSQL holds them and
// sends them all in one round trip (a pipeline) just before it commits, instead of one
// round trip each; on a single-core-pair machine a round trip costs the hub and the
// database more than the insert does. Elsewhere an append runs at once.

type appendStmt struct {
	query string // already rebound
	args  []any
	taken error // returned when the insert breaks a unique constraint; nil: ErrConflict
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
		var b pgx.Batch
		for _, s := range a.stmts {
			b.Queue(s.query, s.args...)
		}
		if then != "" {
			b.Queue(then)
		}
		results := conn.SendBatch(ctx, &b)
		for i, s := range a.stmts {
			if _, err := results.Exec(); err != nil {
				_ = results.Close()
				if err := conflictAs(MapError(err), s.taken); err == s.taken {
					return err
				}
				return fmt.Errorf("append %d of %d: %w", i+1, len(a.stmts), MapError(err))
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
