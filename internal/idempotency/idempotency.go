// Package idempotency keeps Idempotency-Keys where the writes are: in the hub's
// database, in the same transaction as the write they belong to and with the response
// it was answered with (the design Stripe describes for its API). So a key exists if and
// only if its write committed: a request that dies, crashes or is abandoned leaves
// nothing behind and its retry simply runs, and a retry of one that committed gets the
// first answer again. Nothing here depends on Redis.
package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/store"
)

// Response is the first answer to a key, replayed to its retries.
type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    []byte            `json:"body"`
}

// ErrInUse: another request with the same key is still running and did not finish
// within the wait.
var ErrInUse = errors.New("idempotency key in use")

// Store keeps keys in the database's idempotency_keys table.
type Store struct {
	db   *store.DB
	ttl  time.Duration
	wait time.Duration
}

// New keeps keys in db for ttl; a request waits up to wait for another holding its key.
func New(db *store.DB, ttl, wait time.Duration) *Store {
	return &Store{db: db, ttl: ttl, wait: wait}
}

// Attempt is one request under a key: either the first answer to replay, a mismatch,
// or the right to do the work in Ctx and then Complete or Abandon it.
type Attempt struct {
	// Ctx is the context the work must run in: its statements go to the attempt's unit.
	Ctx context.Context
	// Replay is the first answer to the key, when there is one.
	Replay *Response
	// Mismatch: the key was first used with a different request.
	Mismatch bool

	store *Store
	unit  *store.Unit
	scope string
	hash  string
}

const (
	deleteExpired = `DELETE FROM idempotency_keys WHERE scope = ? AND expires_at < ?`
	insertKey     = `INSERT INTO idempotency_keys (scope, request_hash, created_at, expires_at) VALUES (?, ?, ?, ?)
 ON CONFLICT (scope) DO NOTHING`
	selectKey   = `SELECT request_hash, status, response FROM idempotency_keys WHERE scope = ?`
	completeKey = `UPDATE idempotency_keys SET status = ?, response = ? WHERE scope = ?`
	sweepKeys   = `DELETE FROM idempotency_keys WHERE expires_at < ?`
)

// Begin opens the unit a request under scope (the caller and its key) runs in, and
// takes the key. On PostgreSQL a request whose key another running request holds waits
// for that one to commit (then replays its answer) or roll back (then runs); on SQLite
// the single writer lock orders them the same way. A wait longer than the store's is
// ErrInUse. ctx should not be cancelled by the client going away (see store.BeginUnit).
func (s *Store) Begin(ctx context.Context, scope, hash string) (*Attempt, error) {
	ctx, unit, err := s.db.BeginUnit(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin idempotent request: %w", err)
	}
	a := &Attempt{Ctx: ctx, store: s, unit: unit, scope: scope, hash: hash}
	taken, err := a.take()
	if err != nil {
		unit.Rollback()
		return nil, err
	}
	if taken {
		return a, nil
	}
	defer unit.Rollback() // nothing to write: the key was answered before
	if err := a.readFirst(); err != nil {
		return nil, err
	}
	return a, nil
}

// take inserts the key row; false when a committed row already holds the key. On
// PostgreSQL the bound on the wait, the expired row's removal and the insert go in one
// round trip, the bound first, so that neither statement waits longer than it.
func (a *Attempt) take() (bool, error) {
	now := store.Now()
	var stmts []store.Exec
	if a.store.db.Dialect == store.Postgres && a.store.wait > 0 {
		stmts = append(stmts, store.Exec{Query: fmt.Sprintf("SET LOCAL lock_timeout = %d", a.store.wait.Milliseconds())})
	}
	stmts = append(stmts, store.Exec{Query: deleteExpired, Args: []any{a.scope, now}},
		store.Exec{Query: insertKey, Args: []any{a.scope, a.hash, now, now.Add(a.store.ttl)}})
	affected, err := a.store.db.ExecPipelined(a.Ctx, stmts...)
	if err != nil {
		return false, fmt.Errorf("take idempotency key: %w", inUse(err))
	}
	return affected[len(affected)-1] == 1, nil
}

// inUse turns PostgreSQL's lock_timeout (55P03) while waiting on the key into ErrInUse.
func inUse(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" {
		return fmt.Errorf("%w: %w", ErrInUse, err)
	}
	return store.MapError(err)
}

// readFirst loads the committed answer to the key, or marks a mismatch.
func (a *Attempt) readFirst() error {
	var row struct {
		Hash     string `db:"request_hash"`
		Status   int    `db:"status"`
		Response []byte `db:"response"`
	}
	if err := a.store.db.GetContext(a.Ctx, &row, a.store.db.Rebind(selectKey), a.scope); err != nil {
		return fmt.Errorf("read idempotency key: %w", store.MapError(err))
	}
	if row.Hash != a.hash {
		a.Mismatch = true
		return nil
	}
	if row.Status == 0 {
		// Written by an older hub that claimed keys before the work; never committed by
		// this one. It expires within a minute; until then the key is busy.
		return ErrInUse
	}
	a.Replay = &Response{}
	if err := json.Unmarshal(row.Response, a.Replay); err != nil {
		return fmt.Errorf("decode idempotent response: %w", err)
	}
	return nil
}

// Work runs the request's work so that, when it fails, everything it wrote is undone
// while the unit (and the key) stay; the answer to a failed request is kept like any
// other unless the caller Abandons the attempt.
func (a *Attempt) Work(fn func() error) error {
	return a.unit.Savepoint(a.Ctx, func(*sqlx.Tx) error { return fn() })
}

// Complete records resp as the key's answer and commits the unit: the key, the work
// and the answer become durable together. When it fails, nothing was written.
func (a *Attempt) Complete(resp Response) error {
	raw, err := json.Marshal(resp)
	if err != nil {
		a.unit.Rollback()
		return fmt.Errorf("encode idempotent response: %w", err)
	}
	// The answer goes with the commit (on PostgreSQL in its pipeline): the key row is
	// this unit's own, so the update cannot wait on anyone, and if it fails the commit
	// is not sent and the unit rolls back.
	answer := store.Exec{Query: completeKey, Args: []any{resp.Status, raw, a.scope}}
	if err := a.unit.Commit(a.Ctx, answer); err != nil {
		return fmt.Errorf("store idempotent response and commit: %w", err)
	}
	return nil
}

// Abandon rolls the unit back: the key and the work are gone, and a retry runs afresh.
func (a *Attempt) Abandon() { a.unit.Rollback() }

// Sweep deletes expired keys; the server calls it now and then.
func (s *Store) Sweep(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(sweepKeys), store.Now()); err != nil {
		return fmt.Errorf("sweep idempotency keys: %w", err)
	}
	return nil
}
