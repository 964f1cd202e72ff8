package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// pipeFixture is a database with one connection (so every transaction reuses the one
// before it had), a table of rows with a CHECK, and its trace on PostgreSQL.
type pipeFixture struct {
	t  *testing.T
	db *store.DB
	tr *store.Trace
	pg bool
}

func newPipeFixture(t *testing.T, b storetest.Backend) *pipeFixture {
	t.Helper()
	db, tr := storetest.OpenTraced(t, b, 1)
	if _, err := db.Exec(`CREATE TABLE piped (id TEXT PRIMARY KEY, n INTEGER NOT NULL CHECK (n >= 0))`); err != nil {
		t.Fatal(err)
	}
	return &pipeFixture{t: t, db: db, tr: tr, pg: b.DatabaseURL != ""}
}

// nextTransactionIsClean empties the table and checks that a transaction after the one
// under test, on the pool it left, writes its row and nothing else.
func (f *pipeFixture) nextTransactionIsClean(ctx context.Context) {
	f.t.Helper()
	f.clean()
	if err := f.db.InTx(ctx, func(tx *sqlx.Tx) error { return store.Append(ctx, tx, pipedInsert, "next", 1) }); err != nil {
		f.t.Fatal(err)
	}
	if !slices.Equal(f.rows(), []string{"next"}) {
		f.t.Fatalf("rows %v, want the next transaction's only", f.rows())
	}
}

func (f *pipeFixture) rows() []string {
	f.t.Helper()
	var ids []string
	if err := f.db.Select(&ids, `SELECT id FROM piped ORDER BY id`); err != nil {
		f.t.Fatal(err)
	}
	return ids
}

// clean fails the test unless the pool's connection is outside any transaction and
// would be kept by the pool (PostgreSQL).
func (f *pipeFixture) clean() {
	f.t.Helper()
	if !f.pg {
		return
	}
	conn, err := f.db.Conn(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		if status, valid := store.ConnState(dc); status != 'I' || !valid {
			f.t.Errorf("connection back in the pool in transaction status %q (valid %v), want idle", status, valid)
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// sqlOf is what was sent, one string a statement, with each round trip's statements
// joined by " | ".
func sqlOf(stmts []store.Statement) []string {
	var out []string
	last := 0
	for _, s := range stmts {
		if s.Batch != 0 && s.Batch == last {
			out[len(out)-1] += " | " + s.SQL
		} else {
			out = append(out, s.SQL)
		}
		last = s.Batch
	}
	return out
}

const pipedInsert = `INSERT INTO piped (id, n) VALUES (?, ?)`

// On PostgreSQL a transaction's begin goes in one round trip with its first exec; when
// that statement fails nothing is written, the transaction is rolled back and the
// connection goes back to the pool clean, and the next transaction on it works.
func TestPipeline_AFailingFirstStatementWithBeginLeavesNothing(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newPipeFixture(t, b)
			f.tr.Start()
			err := f.db.InTx(ctx, func(tx *sqlx.Tx) error {
				_, err := tx.ExecContext(ctx, tx.Rebind(pipedInsert), "a", -1) // breaks the CHECK
				return err
			})
			sent := f.tr.Stop()
			if err == nil || len(f.rows()) != 0 {
				t.Fatalf("failing first statement: err %v, rows %v; want an error and nothing", err, f.rows())
			}
			if want := []string{"begin | INSERT INTO piped (id, n) VALUES ($1, $2)", "rollback"}; f.pg && !slices.Equal(sqlOf(sent), want) {
				t.Fatalf("sent %q, want %q", sqlOf(sent), want)
			}
			f.clean()
			if err := f.db.InTx(ctx, func(tx *sqlx.Tx) error {
				_, err := tx.ExecContext(ctx, tx.Rebind(pipedInsert), "b", 1)
				return err
			}); err != nil || !slices.Equal(f.rows(), []string{"b"}) {
				t.Fatalf("the next transaction: err %v, rows %v; want b", err, f.rows())
			}
			f.clean()
		})
	}
}

// A commit that fails in the appends' pipeline (here a deferred unique constraint,
// checked by the commit itself) returns the error, commits nothing, sends no rollback
// (the server has ended the transaction) and leaves the connection clean.
func TestPipeline_ACommitThatFailsInThePipelineCommitsNothing(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		if b.DatabaseURL == "" {
			continue // SQLite checks constraints at once and holds no appends
		}
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newPipeFixture(t, b)
			if _, err := f.db.Exec(`CREATE TABLE deferred_keys (k TEXT, CONSTRAINT deferred_keys_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)`); err != nil {
				t.Fatal(err)
			}
			insert := `INSERT INTO deferred_keys (k) VALUES (?)`
			f.tr.Start()
			err := f.db.InTx(ctx, func(tx *sqlx.Tx) error {
				if err := store.Append(ctx, tx, pipedInsert, "kept-only-if-committed", 1); err != nil {
					return err
				}
				if err := store.Append(ctx, tx, insert, "same"); err != nil {
					return err
				}
				return store.Append(ctx, tx, insert, "same")
			})
			sent := f.tr.Stop()
			if !errors.Is(err, store.ErrConflict) || len(f.rows()) != 0 {
				t.Fatalf("commit refused: err %v, rows %v; want ErrConflict and nothing", err, f.rows())
			}
			want := []string{"begin | INSERT INTO piped (id, n) VALUES ($1, $2) | INSERT INTO deferred_keys (k) VALUES ($1) | INSERT INTO deferred_keys (k) VALUES ($1) | commit"}
			if !slices.Equal(sqlOf(sent), want) {
				t.Fatalf("sent %q, want the whole transaction in one round trip and no rollback: %q", sqlOf(sent), want)
			}
			f.nextTransactionIsClean(ctx)
		})
	}
}

// A transaction whose first statement is a query sends begin alone before it (the
// query's rows must be the driver's own): the query runs inside the transaction (its
// now() is the transaction's), and so does a prepared statement run first.
func TestPipeline_QueriesAndPreparedStatementsRunInsideTheTransaction(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newPipeFixture(t, b)
			refused := errors.New("the caller changed its mind")
			if f.pg {
				f.tr.Start()
				err := f.db.InTx(ctx, func(tx *sqlx.Tx) error {
					var first, second time.Time
					if err := tx.GetContext(ctx, &first, `SELECT now()`); err != nil {
						return err
					}
					time.Sleep(5 * time.Millisecond)
					if err := tx.GetContext(ctx, &second, `SELECT now()`); err != nil {
						return err
					}
					if !first.Equal(second) {
						t.Errorf("now() %v then %v: the queries ran in different transactions", first, second)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := sqlOf(f.tr.Stop()), []string{"begin", "SELECT now()", "SELECT now()", "commit"}; !slices.Equal(got, want) {
					t.Fatalf("sent %q, want %q", got, want)
				}
			}
			stmt, err := f.db.PreparexContext(ctx, f.db.Rebind(pipedInsert))
			if err != nil {
				t.Fatal(err)
			}
			defer stmt.Close()
			err = f.db.InTx(ctx, func(tx *sqlx.Tx) error {
				if _, err := tx.StmtxContext(ctx, stmt).ExecContext(ctx, "prepared", 1); err != nil {
					return err
				}
				return refused
			})
			if !errors.Is(err, refused) || len(f.rows()) != 0 {
				t.Fatalf("prepared insert rolled back: err %v, rows %v; want the caller's error and nothing", err, f.rows())
			}
			f.clean()
		})
	}
}

// A transaction that sends nothing sends nothing at all, not even begin and commit;
// one whose context ends while its first pipeline waits is rolled back, and the
// connection after it is clean.
func TestPipeline_AnEmptyTransactionSendsNothingAndACancelledOneLeavesNothing(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		if b.DatabaseURL == "" {
			continue // pg_sleep, and the statements PostgreSQL is sent
		}
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newPipeFixture(t, b)
			f.tr.Start()
			if err := f.db.InTx(ctx, func(*sqlx.Tx) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if sent := f.tr.Stop(); len(sent) != 0 {
				t.Fatalf("an empty transaction sent %q", sqlOf(sent))
			}

			short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			err := f.db.InTx(short, func(tx *sqlx.Tx) error {
				if err := store.Append(short, tx, pipedInsert, "held", 1); err != nil {
					return err
				}
				_, err := tx.ExecContext(short, tx.Rebind(`INSERT INTO piped (id, n) SELECT 'slow', 1 FROM pg_sleep(2)`))
				return err
			})
			if err == nil {
				t.Fatal("a transaction cut off mid-pipeline succeeded")
			}
			if len(f.rows()) != 0 {
				t.Fatalf("rows %v after a cancelled transaction, want none", f.rows())
			}
			f.nextTransactionIsClean(ctx)
		})
	}
}

// PostgreSQL answers a commit of a transaction it aborted with ROLLBACK, not an error;
// a commit in the pipeline reports it as pgx's own commit does.
func TestPipeline_ACommitOfAnAbortedTransactionIsAnError(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		if b.DatabaseURL == "" {
			continue // a failed statement does not abort a SQLite transaction
		}
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newPipeFixture(t, b)
			err := f.db.InTx(ctx, func(tx *sqlx.Tx) error {
				_, _ = tx.ExecContext(ctx, tx.Rebind(pipedInsert), "bad", -1) // its error dropped: a bug
				return store.Append(ctx, tx, pipedInsert, "never", 1)
			})
			if err == nil || len(f.rows()) != 0 {
				t.Fatalf("commit of an aborted transaction: err %v, rows %v; want an error and nothing", err, f.rows())
			}
			f.clean()
			err = f.db.InTx(ctx, func(tx *sqlx.Tx) error {
				_, _ = tx.ExecContext(ctx, tx.Rebind(pipedInsert), "bad", -1)
				return nil // nothing held: commit is sent by the driver's Commit
			})
			if !errors.Is(err, pgx.ErrTxCommitRollback) {
				t.Fatalf("commit of an aborted transaction with nothing held: %v, want pgx.ErrTxCommitRollback", err)
			}
			f.clean()
			// A statement the server refuses to prepare fails before the begin it would
			// have gone with is sent; the transaction still may not commit.
			for _, then := range []func(tx *sqlx.Tx) error{
				func(tx *sqlx.Tx) error { return store.Append(ctx, tx, pipedInsert, "never", 1) },
				func(tx *sqlx.Tx) error {
					_, err := tx.ExecContext(ctx, tx.Rebind(pipedInsert), "never", 1)
					return err
				},
			} {
				err = f.db.InTx(ctx, func(tx *sqlx.Tx) error {
					_, _ = tx.ExecContext(ctx, `INSERT INTO no_such_table VALUES (1)`) // its error dropped: a bug
					return then(tx)
				})
				if !errors.Is(err, pgx.ErrTxCommitRollback) || len(f.rows()) != 0 {
					t.Fatalf("commit after a statement that could not be prepared: err %v, rows %v; want pgx.ErrTxCommitRollback and nothing", err, f.rows())
				}
				f.clean()
			}
			err = f.db.InTx(ctx, func(tx *sqlx.Tx) error {
				_, _ = tx.ExecContext(ctx, `INSERT INTO no_such_table VALUES (1)`)
				return nil
			})
			if !errors.Is(err, pgx.ErrTxCommitRollback) {
				t.Fatalf("commit of an aborted transaction with nothing held: %v, want pgx.ErrTxCommitRollback", err)
			}
			f.clean()
		})
	}
}

// A unit's last statements (an idempotency key's answer) go with its commit, in one
// round trip on PostgreSQL: when one fails, nothing of the unit is committed (the
// commit behind it is never run: the trace, which records results as they are read,
// shows no commit) and the connection is clean.
func TestUnit_CommitWithALastStatementThatFailsCommitsNothing(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newPipeFixture(t, b)
			for _, c := range []struct {
				name string
				last store.Exec
				rows []string
				sent []string
			}{
				{"refused", store.Exec{Query: `UPDATE piped SET n = -1 WHERE id = ?`, Args: []any{"work"}}, nil,
					[]string{"UPDATE piped SET n = -1 WHERE id = $1", "rollback"}},
				{"accepted", store.Exec{Query: `UPDATE piped SET n = 2 WHERE id = ?`, Args: []any{"work"}}, []string{"work"},
					[]string{"UPDATE piped SET n = 2 WHERE id = $1 | commit"}},
			} {
				uctx, unit, err := f.db.BeginUnit(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.db.InTx(uctx, func(tx *sqlx.Tx) error { return store.Append(uctx, tx, pipedInsert, "work", 1) }); err != nil {
					t.Fatal(err)
				}
				f.tr.Start()
				err = unit.Commit(uctx, c.last)
				sent := f.tr.Stop()
				unit.Rollback()
				if (err == nil) != (c.rows != nil) || !slices.Equal(f.rows(), c.rows) {
					t.Fatalf("%s: err %v, rows %v; want rows %v", c.name, err, f.rows(), c.rows)
				}
				if f.pg && !slices.Equal(sqlOf(sent), c.sent) {
					t.Fatalf("%s: sent %q, want %q", c.name, sqlOf(sent), c.sent)
				}
				f.clean()
			}
		})
	}
}
