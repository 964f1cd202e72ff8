package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL connections come from pgx's database/sql driver, wrapped so that a
// transaction's `begin` (and a unit's savepoint statements) travel with the next
// statement instead of alone, and its `commit` can end the pipeline of held appends.
// Domain code keeps its *sqlx.Tx; only the driver underneath sends less often.
//
// A statement the connection owes is one the transaction has logically run but the
// server has not yet seen. It goes first in the next round trip on the connection:
// with an exec in one pipeline, before a query on its own (database/sql's rows must
// come from pgx's own driver rows, which only a query sent alone makes), and in front
// of the store's own pipelines (appends, ExecPipelined). PostgreSQL runs a pipeline as
// if its statements came one by one and skips the rest of it after an error, so a
// failing statement leaves the transaction aborted exactly as it would have been.

// pipeConnector makes pipeConns from pgx's connector.
type pipeConnector struct{ inner driver.Connector }

func (c pipeConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pipeConn{Conn: dc.(*stdlib.Conn)}, nil
}

func (c pipeConnector) Driver() driver.Driver { return c.inner.Driver() }

// openPipeDB opens a pool of pipeConns for cfg.
func openPipeDB(cfg *pgx.ConnConfig) *sql.DB {
	return sql.OpenDB(pipeConnector{inner: stdlib.GetConnector(*cfg)})
}

// pipeConn is pgx's driver connection with statements owed to the server. database/sql
// calls it from one goroutine at a time (under the connection's lock), as does Raw.
type pipeConn struct {
	*stdlib.Conn
	owed      []string // sent first in the next round trip; "begin" first when the transaction has sent nothing
	inTx      bool     // a transaction of ours is open
	committed bool     // the open transaction's commit went, and succeeded, in a pipeline
	// spoilt is the error of a statement that failed before the transaction's begin
	// reached the server (a statement pgx could not prepare, a context already done).
	// Sent one by one it would have aborted the transaction, so the transaction may
	// not commit, as PostgreSQL would have refused it.
	spoilt error
}

func (c *pipeConn) pgx() *pgx.Conn { return c.Conn.Conn() }

// owesBegin reports whether the open transaction has sent nothing yet.
func (c *pipeConn) owesBegin() bool { return len(c.owed) > 0 && c.owed[0] == "begin" }

// owe holds stmt (no arguments) to go first in the next round trip.
func (c *pipeConn) owe(stmt string) { c.owed = append(c.owed, stmt) }

// Begin is BeginTx with default options (database/sql calls BeginTx).
func (c *pipeConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx sends nothing for a transaction with default options: its begin is owed.
// Other options go to pgx's driver, which sends begin with them at once.
func (c *pipeConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if sql.IsolationLevel(opts.Isolation) != sql.LevelDefault || opts.ReadOnly {
		return c.Conn.BeginTx(ctx, opts)
	}
	if c.pgx().IsClosed() {
		return nil, driver.ErrBadConn
	}
	c.inTx, c.committed, c.spoilt = true, false, nil
	c.owed = append(c.owed[:0], "begin")
	return &pipeTx{c: c, ctx: ctx}, nil
}

// ExecContext sends the owed statements and query in one pipeline.
func (c *pipeConn) ExecContext(ctx context.Context, query string, argsV []driver.NamedValue) (driver.Result, error) {
	if len(c.owed) == 0 {
		return c.Conn.ExecContext(ctx, query, argsV)
	}
	if c.pgx().IsClosed() {
		return nil, driver.ErrBadConn
	}
	var affected int64
	err := c.pipeline(ctx, false, func(b *pgx.Batch) {
		b.Queue(query, arguments(argsV)...)
	}, func(res pgx.BatchResults) error {
		tag, err := res.Exec()
		affected = tag.RowsAffected()
		return err
	})
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(affected), nil
}

// QueryContext sends the owed statements first, alone, then the query as pgx's driver
// does.
func (c *pipeConn) QueryContext(ctx context.Context, query string, argsV []driver.NamedValue) (driver.Rows, error) {
	if err := c.sendOwed(ctx); err != nil {
		return nil, err
	}
	return c.Conn.QueryContext(ctx, query, argsV)
}

// sendOwed sends the owed statements, if any, in one round trip.
func (c *pipeConn) sendOwed(ctx context.Context) error {
	if len(c.owed) == 0 {
		return nil
	}
	if c.pgx().IsClosed() {
		return driver.ErrBadConn
	}
	return c.pipeline(ctx, false, func(*pgx.Batch) {}, func(pgx.BatchResults) error { return nil })
}

// PrepareContext prepares on the server (a statement outlives transactions) and
// answers a statement that, when run, pays what the connection owes first.
func (c *pipeConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.Conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &pipeStmt{Stmt: s.(*stdlib.Stmt), c: c, query: query}, nil
}

// Prepare is PrepareContext without a context (database/sql calls PrepareContext).
func (c *pipeConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// ResetSession refuses a connection that still carries a transaction of ours (pgx's
// driver refuses one the server has open).
func (c *pipeConn) ResetSession(ctx context.Context) error {
	if c.inTx || len(c.owed) > 0 {
		return driver.ErrBadConn
	}
	return c.Conn.ResetSession(ctx)
}

// IsValid reports whether the connection may go back to the pool: open, with no
// transaction, ours or the server's.
func (c *pipeConn) IsValid() bool {
	conn := c.pgx()
	return !c.inTx && len(c.owed) == 0 && !conn.IsClosed() && conn.PgConn().TxStatus() == 'I'
}

// pipeline sends the owed statements, then what queue adds, in one round trip, and
// reads the owed statements' results before read reads the rest. endsTx says the
// pipeline ends with the transaction's commit. A begin that never reached the server
// (the pipeline failed before it was sent: a context already done, say) stays owed, so
// that nothing the transaction runs next can run outside it.
func (c *pipeConn) pipeline(ctx context.Context, endsTx bool, queue func(*pgx.Batch), read func(pgx.BatchResults) error) error {
	if endsTx && c.spoilt != nil {
		return fmt.Errorf("%w: %w", pgx.ErrTxCommitRollback, c.spoilt)
	}
	owed := c.owed
	c.owed = nil
	var b pgx.Batch
	for _, s := range owed {
		b.Queue(s)
	}
	queue(&b)
	err := c.sendBatch(ctx, &b, owed, read)
	c.owed = owed[:0]
	if err != nil && !endsTx && len(owed) > 0 && owed[0] == "begin" {
		if conn := c.pgx(); !conn.IsClosed() && conn.PgConn().TxStatus() == 'I' {
			c.owed, c.spoilt = owed, err
		}
	}
	return err
}

func (c *pipeConn) sendBatch(ctx context.Context, b *pgx.Batch, owed []string, read func(pgx.BatchResults) error) error {
	res := c.pgx().SendBatch(ctx, b)
	// An error here is as pgx answers it, unlabelled: it may be the next statement's
	// (pgx prepares a batch's new statements before it sends any).
	for range owed {
		if _, err := res.Exec(); err != nil {
			_ = res.Close()
			return err
		}
	}
	if err := read(res); err != nil {
		_ = res.Close()
		return err
	}
	return res.Close()
}

// endTx forgets the transaction that ended.
func (c *pipeConn) endTx() {
	c.inTx, c.committed, c.spoilt, c.owed = false, false, nil, c.owed[:0]
}

// pipeTx is a transaction whose begin may still be owed and whose commit may have gone
// in a pipeline.
type pipeTx struct {
	c   *pipeConn
	ctx context.Context // BeginTx's, as pgx's driver uses for commit and rollback
}

// Commit reports the pipeline's commit when one went; commits nothing when the
// transaction sent nothing; and otherwise sends what is owed and commit in one round
// trip.
func (t *pipeTx) Commit() error {
	c := t.c
	defer c.endTx()
	switch {
	case c.committed:
		return nil
	case c.spoilt != nil:
		return fmt.Errorf("%w: %w", pgx.ErrTxCommitRollback, c.spoilt)
	case c.owesBegin():
		return nil
	case c.pgx().IsClosed():
		return driver.ErrBadConn
	}
	return c.pipeline(t.ctx, true, func(b *pgx.Batch) { b.Queue("commit") }, readCommit)
}

// readCommit reads a commit's result: PostgreSQL answers a commit of an aborted
// transaction with ROLLBACK, not an error (pgx's own Commit checks the same).
func readCommit(res pgx.BatchResults) error {
	tag, err := res.Exec()
	if err != nil {
		return fmt.Errorf("commit: %w", MapError(err))
	}
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback rolls back whatever the server holds open: nothing when the begin was never
// sent or the transaction already ended (its pipeline's commit ran or failed);
// otherwise rollback, and a connection that cannot roll back is closed, as pgx does.
func (t *pipeTx) Rollback() error {
	c := t.c
	defer c.endTx()
	c.owed = c.owed[:0]
	conn := c.pgx()
	if conn.IsClosed() {
		return driver.ErrBadConn
	}
	if conn.PgConn().TxStatus() == 'I' {
		return nil
	}
	if _, err := conn.Exec(t.ctx, "rollback"); err != nil {
		_ = conn.Close(context.WithoutCancel(t.ctx))
		return err
	}
	return nil
}

// pipeStmt is a prepared statement run through its pipeConn, so that it pays what the
// connection owes first (pgx's runs on its own connection type, which owes nothing).
// pgx's driver runs a prepared statement by its text, which names it on the server.
type pipeStmt struct {
	*stdlib.Stmt
	c     *pipeConn
	query string
}

func (s *pipeStmt) ExecContext(ctx context.Context, argsV []driver.NamedValue) (driver.Result, error) {
	return s.c.ExecContext(ctx, s.query, argsV)
}

func (s *pipeStmt) QueryContext(ctx context.Context, argsV []driver.NamedValue) (driver.Rows, error) {
	return s.c.QueryContext(ctx, s.query, argsV)
}

// arguments are database/sql's arguments as pgx takes them (as pgx's driver converts).
func arguments(argsV []driver.NamedValue) []any {
	args := make([]any, len(argsV))
	for i, v := range argsV {
		args[i] = v.Value
	}
	return args
}

// pipeConnOf is the pipeConn under a database/sql connection's Raw.
func pipeConnOf(dc any) (*pipeConn, error) {
	c, ok := dc.(*pipeConn)
	if !ok {
		return nil, errors.New("store: not a pipelining PostgreSQL connection")
	}
	return c, nil
}
