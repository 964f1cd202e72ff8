// Package store opens the hub's one SQL database — an embedded SQLite file by default,
// PostgreSQL in production — applies its migrations, runs transactions and maps driver
// errors to the sentinels domain packages check.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is the SQL engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the hub's database handle.
type DB struct {
	*sqlx.DB
	Dialect Dialect
	// writer is SQLite's one connection for transactions (nil on PostgreSQL); see
	// openSQLite.
	writer *sqlx.DB
}

var (
	// ErrNotFound: the row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique constraint refused the write.
	ErrConflict = errors.New("conflict")
)

// Open connects to databaseURL, or, when it is empty, to the SQLite file
// contacthub.db in dataDir (created with the directory when absent). maxConns bounds
// the PostgreSQL pool (0: twice the CPUs, at least 4): measured on two cores, a few
// busy connections answer far faster than many contending ones (BENCHMARKS.md).
func Open(ctx context.Context, databaseURL, dataDir string, maxConns int) (*DB, error) {
	if maxConns <= 0 {
		maxConns = max(4, 2*runtime.NumCPU())
	}
	switch {
	case databaseURL == "":
		return openSQLite(ctx, filepath.Join(dataDir, "contacthub.db"))
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return openPostgres(ctx, databaseURL, maxConns)
	case strings.HasPrefix(databaseURL, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "//"))
	default:
		return nil, errors.New("DATABASE_URL must start with postgres://, postgresql:// or sqlite")
	}
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// WAL lets readers run beside the one writer; immediate transactions take the write
	// lock up front so a transaction never fails to upgrade a read lock. The "sqlite"
	// time format sorts as text in time order, which cursors rely on.
	//
	// SQLite has one writer at a time, so transactions get a pool of their own with one
	// connection: writers queue in Go, in order, holding nothing while they wait.
	// When they shared the readers' pool, each waiting writer held a connection and
	// polled SQLite's busy handler (sleeps of up to 100 ms), so a writer could lose the
	// race for the lock for many seconds on a loaded machine (CI under -race saw writes
	// fail with 503 after 10 s), and a transaction that needed a second connection for a
	// read could find them all taken by writers waiting for its own lock. busy_timeout
	// now covers only the rarer autocommit write sent outside a transaction.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sqlx.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", filepath.Base(path), err)
	}
	writer, err := sqlx.Open("sqlite", dsn)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxIdleTime(0)
	return &DB{DB: db, Dialect: SQLite, writer: writer}, nil
}

// BeginTxx begins a transaction; on SQLite it waits its turn for the one writer
// connection (or until ctx ends).
func (db *DB) BeginTxx(ctx context.Context, opts *sql.TxOptions) (*sqlx.Tx, error) {
	if db.writer != nil {
		return db.writer.BeginTxx(ctx, opts)
	}
	return db.DB.BeginTxx(ctx, opts)
}

// PreparexContext prepares a statement for use in transactions (tx.StmtxContext): on
// SQLite it belongs to the writer pool, which every transaction comes from.
func (db *DB) PreparexContext(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if db.writer != nil {
		return db.writer.PreparexContext(ctx, query)
	}
	return db.DB.PreparexContext(ctx, query)
}

// Close closes the database's pools.
func (db *DB) Close() error {
	err := db.DB.Close()
	if db.writer != nil {
		err = errors.Join(err, db.writer.Close())
	}
	return err
}

func openPostgres(ctx context.Context, dsn string, maxConns int) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if t := traceOf(ctx); t != nil { // measuring: the same driver, with a tracer attached
		cfg.Tracer = t
	}
	db := sqlx.NewDb(openPipeDB(cfg), "pgx")
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &DB{DB: db, Dialect: Postgres}, nil
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling back
// otherwise. The transaction is passed explicitly; nothing hides it in the context.
// Inside a request's unit (see Unit) it is a savepoint of the unit's transaction. A
// transaction PostgreSQL aborts for a deadlock or a serialization failure is run again
// a few times (fn must not keep state from an earlier try), then fails with
// ErrContention.
func (db *DB) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	if u := db.unitOf(ctx); u != nil {
		return u.Savepoint(ctx, fn)
	}
	if db.Dialect == Postgres {
		return retryContention(ctx, func() error { return db.inTxWithAppends(ctx, fn) })
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", MapError(err))
	}
	return finish(tx, fn(tx), false)
}

// inTxWithAppends is InTx on PostgreSQL: appends go in one pipeline with the commit.
func (db *DB) inTxWithAppends(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, held, err := db.beginWithAppends(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", MapError(err))
	}
	defer func() {
		open.Delete(tx)
		_ = held.conn.Close()
	}()
	err = fn(tx)
	if err == nil {
		err = held.commit(ctx)
	}
	return finish(tx, err, held.committed)
}

// finish commits tx when err is nil and rolls it back otherwise. committed says the
// commit already went, and succeeded, in a pipeline: tx.Commit then sends nothing, and
// an error from it (database/sql answers the context's error once it is done, even
// after the server committed) does not undo what the server did.
func finish(tx *sqlx.Tx, err error, committed bool) error {
	if err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil && !committed {
		return fmt.Errorf("commit: %w", MapError(err))
	}
	return nil
}

// MapError turns driver errors into ErrNotFound and ErrConflict (wrapping the original),
// so domain code checks sentinels with errors.Is and never driver types.
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		}
	}
	return err
}

// NewID returns a new UUIDv7: time-ordered, so new rows land at the end of indexes.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// Now is the current time as both engines store it: UTC, to the microsecond.
func Now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}
