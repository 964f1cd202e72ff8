package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"
)

// A Unit is one transaction that spans a whole request: an idempotent write runs in a
// unit so that its Idempotency-Key, its work and its response commit together or not at
// all (a key exists if and only if its write committed).
//
// Domain code does not know about units. While a request runs in one, every statement
// it sends through this DB (InTx, GetContext, SelectContext, ExecContext and the sqlx
// queryer methods) goes to the unit's transaction, and InTx becomes a savepoint inside
// it. This is the one place the database is carried in a context: the request boundary
// is the HTTP layer's, and the domain keeps passing its own transactions explicitly.
type Unit struct {
	db    *DB
	tx    *sqlx.Tx
	held  *appends // PostgreSQL: appends waiting for the next savepoint or the commit
	depth int
	done  bool
}

type unitKey struct{ db *DB }

// BeginUnit opens a unit and returns a context whose statements on db run in it. The
// caller must Commit or Rollback. The unit does not end when ctx is cancelled: a client
// that goes away mid-write must not leave half a write behind, so pass a context
// without cancellation (and with a deadline) if the write should outlive its client.
func (db *DB) BeginUnit(ctx context.Context) (context.Context, *Unit, error) {
	u := &Unit{db: db}
	var err error
	if db.Dialect == Postgres {
		u.tx, u.held, err = db.beginWithAppends(ctx)
	} else {
		u.tx, err = db.BeginTxx(ctx, nil)
	}
	if err != nil {
		return ctx, nil, fmt.Errorf("begin: %w", MapError(err))
	}
	return context.WithValue(ctx, unitKey{db}, u), u, nil
}

// Commit runs last (statements with ? placeholders: the request's answer, say) and
// commits the unit. On PostgreSQL the held appends, last and the commit go in one
// pipeline, each only if everything before it succeeded. When it fails, nothing was
// written and the unit is rolled back.
func (u *Unit) Commit(ctx context.Context, last ...Exec) error {
	if u.done {
		return sql.ErrTxDone
	}
	u.done = true
	defer u.release()
	if u.held != nil {
		for i := range last {
			last[i].Query = u.db.Rebind(last[i].Query)
		}
		err := u.held.commit(ctx, last...)
		return finish(u.tx, err, u.held.committed)
	}
	for _, s := range last {
		if _, err := u.tx.ExecContext(ctx, u.db.Rebind(s.Query), s.Args...); err != nil {
			return finish(u.tx, MapError(err), false)
		}
	}
	return finish(u.tx, nil, false)
}

// Rollback abandons the unit; it is safe to call after Commit.
func (u *Unit) Rollback() {
	if u.done {
		return
	}
	u.done = true
	defer u.release()
	_ = u.tx.Rollback()
}

func (u *Unit) release() {
	if u.held != nil {
		open.Delete(u.tx)
		u.held.stmts = nil
		_ = u.held.conn.Close()
	}
}

// Savepoint runs fn so that, when it fails, what it did is undone and the unit goes on.
// A deadlock or serialization failure is not retried here: locks taken before the
// savepoint stay held, so a retry inside the unit would meet the same conflict. It
// ends as ErrContention (a 503): the unit is abandoned and the client's retry runs
// the whole request afresh.
func (u *Unit) Savepoint(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	err := u.savepoint(ctx, fn)
	if isContention(err) {
		return fmt.Errorf("%w: %w", ErrContention, err)
	}
	return err
}

func (u *Unit) savepoint(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	u.depth++
	defer func() { u.depth-- }()
	name := fmt.Sprintf("unit_sp%d", u.depth)
	if err := u.flush(ctx); err != nil {
		return err
	}
	if err := u.send(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", MapError(err))
	}
	err := fn(u.tx)
	if err == nil && u.held != nil && len(u.held.stmts) > 0 {
		// The appends and the release in one round trip; an append that fails stops
		// the pipeline before the release, and the savepoint is rolled back below.
		err = u.held.flushThen(ctx, "RELEASE SAVEPOINT "+name)
		u.held.stmts = nil
		if err == nil {
			return nil
		}
	}
	if err != nil {
		if u.held != nil {
			u.held.stmts = nil // appends of fn not yet sent: dropped with it
		}
		if _, rbErr := u.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rbErr != nil {
			return fmt.Errorf("%w (and rollback to savepoint: %w)", err, rbErr)
		}
		return err
	}
	if err := u.send(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", MapError(err))
	}
	return nil
}

// send runs a savepoint's statement. On PostgreSQL the connection owes it: it goes in
// front of the unit's next round trip, as it would have gone alone just before. Held
// appends are never behind it (a savepoint starts after a flush; a release is owed only
// when none are held), so the order the server sees is the order of the code. Its
// failure (the savepoint missing: a bug) then fails that next statement, and the unit.
func (u *Unit) send(ctx context.Context, stmt string) error {
	if u.held == nil {
		_, err := u.tx.ExecContext(ctx, stmt)
		return err
	}
	return u.held.conn.Raw(func(dc any) error {
		c, err := pipeConnOf(dc)
		if err == nil {
			c.owe(stmt)
		}
		return err
	})
}

// flush sends held appends so that later statements of the unit can read them back.
func (u *Unit) flush(ctx context.Context) error {
	if u.held == nil || len(u.held.stmts) == 0 {
		return nil
	}
	err := u.held.flush(ctx)
	u.held.stmts = nil
	return err
}

// unitOf returns the unit ctx runs in on db, if any.
func (db *DB) unitOf(ctx context.Context) *Unit {
	u, _ := ctx.Value(unitKey{db}).(*Unit)
	if u == nil || u.done {
		return nil
	}
	return u
}

// queryer is where a statement on db goes: the unit's transaction or the pool.
func (db *DB) queryer(ctx context.Context) sqlx.ExtContext {
	if u := db.unitOf(ctx); u != nil {
		return u.tx // its appends were sent when the savepoint that made them ended
	}
	return db.DB
}

// The statements domain code sends through DB, routed to the request's unit when there
// is one. They shadow the embedded sqlx.DB's methods of the same names.

// GetContext reads one row into dest.
func (db *DB) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.GetContext(ctx, db.queryer(ctx), dest, query, args...)
}

// SelectContext reads rows into dest.
func (db *DB) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return sqlx.SelectContext(ctx, db.queryer(ctx), dest, query, args...)
}

// ExecContext runs a statement.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.queryer(ctx).ExecContext(ctx, query, args...)
}

// QueryContext runs a query.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.queryer(ctx).QueryContext(ctx, query, args...)
}

// QueryxContext runs a query, sqlx-style.
func (db *DB) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	return db.queryer(ctx).QueryxContext(ctx, query, args...)
}

// QueryRowxContext runs a query for one row, sqlx-style.
func (db *DB) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	return db.queryer(ctx).QueryRowxContext(ctx, query, args...)
}

// Exec is one statement of ExecPipelined, with ? placeholders.
type Exec struct {
	Query string
	Args  []any
}

// ExecPipelined runs stmts in order where ctx's statements go and answers the rows
// each affected. In a unit on PostgreSQL they travel in one round trip (a pipeline) on
// the unit's transaction: the opening statements of an idempotent request are three
// round trips otherwise. They run as if sent one by one: the first that fails ends the
// pipeline with its error, and the transaction is then aborted as it would have been.
func (db *DB) ExecPipelined(ctx context.Context, stmts ...Exec) ([]int64, error) {
	affected := make([]int64, 0, len(stmts))
	u := db.unitOf(ctx)
	if u == nil || u.held == nil {
		for _, s := range stmts {
			res, err := db.ExecContext(ctx, db.Rebind(s.Query), s.Args...)
			if err != nil {
				return affected, err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return affected, err
			}
			affected = append(affected, n)
		}
		return affected, nil
	}
	if err := u.flush(ctx); err != nil {
		return nil, err
	}
	err := u.held.conn.Raw(func(dc any) error {
		c, err := pipeConnOf(dc)
		if err != nil {
			return err
		}
		return c.pipeline(ctx, false, func(b *pgx.Batch) {
			for _, s := range stmts {
				b.Queue(db.Rebind(s.Query), s.Args...)
			}
		}, func(results pgx.BatchResults) error {
			for range stmts {
				tag, err := results.Exec()
				if err != nil {
					return err
				}
				affected = append(affected, tag.RowsAffected())
			}
			return nil
		})
	})
	return affected, err
}
