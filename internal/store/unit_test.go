package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// A unit holds a whole request's statements in one transaction: InTx inside it is a
// savepoint (a failed one is undone, the unit goes on), reads through the DB see the
// unit's own writes, appends are readable once their savepoint ends, and nothing is
// visible to anyone else until the unit commits.
func TestUnit_InTxIsASavepointAndNothingShowsBeforeTheCommit(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			if _, err := db.Exec(`CREATE TABLE unit_rows (id TEXT PRIMARY KEY)`); err != nil {
				t.Fatal(err)
			}
			insert := `INSERT INTO unit_rows (id) VALUES (?)`
			count := func(ctx context.Context) int {
				var n int
				if err := db.GetContext(ctx, &n, `SELECT count(*) FROM unit_rows`); err != nil {
					t.Fatal(err)
				}
				return n
			}
			uctx, unit, err := db.BeginUnit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.InTx(uctx, func(tx *sqlx.Tx) error { return store.Append(uctx, tx, insert, "kept") }); err != nil {
				t.Fatal(err)
			}
			failed := errors.New("refused")
			err = db.InTx(uctx, func(tx *sqlx.Tx) error {
				if err := store.Append(uctx, tx, insert, "undone"); err != nil {
					return err
				}
				if _, err := tx.ExecContext(uctx, tx.Rebind(insert), "undone-too"); err != nil {
					return err
				}
				return failed
			})
			if !errors.Is(err, failed) {
				t.Fatalf("failed savepoint: %v", err)
			}
			// A unique violation inside a savepoint does not spoil the unit on PostgreSQL.
			err = db.InTx(uctx, func(tx *sqlx.Tx) error {
				_, err := tx.ExecContext(uctx, tx.Rebind(insert), "kept")
				return store.MapError(err)
			})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("duplicate in a savepoint: %v", err)
			}
			// An append that fails when its savepoint ends (on PostgreSQL it goes in one
			// pipeline with the release) undoes that savepoint only, the append before it too.
			err = db.InTx(uctx, func(tx *sqlx.Tx) error {
				if err := store.Append(uctx, tx, insert, "undone-append"); err != nil {
					return err
				}
				return store.Append(uctx, tx, insert, "kept")
			})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("duplicate append in a savepoint: %v", err)
			}
			if n := count(uctx); n != 1 {
				t.Fatalf("inside the unit: %d rows, want 1", n)
			}
			// Statements pipelined in the unit run in order and say what each did.
			affected, err := db.ExecPipelined(uctx, store.Exec{Query: insert, Args: []any{"piped"}},
				store.Exec{Query: `DELETE FROM unit_rows WHERE id = ?`, Args: []any{"piped"}},
				store.Exec{Query: `DELETE FROM unit_rows WHERE id = ?`, Args: []any{"piped"}})
			if err != nil || len(affected) != 3 || affected[0] != 1 || affected[1] != 1 || affected[2] != 0 {
				t.Fatalf("pipelined: %v %v, want [1 1 0]", affected, err)
			}
			if n := count(ctx); n != 0 {
				t.Fatalf("outside the unit before its commit: %d rows, want 0", n)
			}
			if err := unit.Commit(uctx); err != nil {
				t.Fatal(err)
			}
			if n := count(ctx); n != 1 {
				t.Fatalf("after the commit: %d rows, want 1", n)
			}
			// After the commit the context no longer routes to the unit.
			if err := db.InTx(uctx, func(tx *sqlx.Tx) error { return store.Append(uctx, tx, insert, "after") }); err != nil {
				t.Fatal(err)
			}
			if n := count(ctx); n != 2 {
				t.Fatalf("InTx after the unit: %d rows, want 2", n)
			}
		})
	}
}

// Two transactions that lock the same rows in opposite orders deadlock on PostgreSQL;
// the victim is run again rather than failed, so both commit.
func TestInTx_RetriesADeadlockVictim(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		if b.DatabaseURL == "" {
			continue // SQLite has one writer: no deadlocks between transactions
		}
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			if _, err := db.Exec(`CREATE TABLE locked_rows (id TEXT PRIMARY KEY, n INT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`INSERT INTO locked_rows VALUES ('a', 0), ('b', 0)`); err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				// Both hold their first lock before either asks for its second.
				var held sync.WaitGroup
				held.Add(2)
				bump := func(first, second string) error {
					once := sync.OnceFunc(held.Done)
					return db.InTx(ctx, func(tx *sqlx.Tx) error {
						if _, err := tx.ExecContext(ctx, `UPDATE locked_rows SET n = n + 1 WHERE id = $1`, first); err != nil {
							return err
						}
						once()
						held.Wait()
						_, err := tx.ExecContext(ctx, `UPDATE locked_rows SET n = n + 1 WHERE id = $1`, second)
						return err
					})
				}
				errs := make(chan error, 2)
				go func() { errs <- bump("a", "b") }()
				go func() { errs <- bump("b", "a") }()
				for range 2 {
					if err := <-errs; err != nil {
						t.Fatalf("round %d: %v", round, err)
					}
				}
			}
			var total int
			if err := db.Get(&total, `SELECT sum(n) FROM locked_rows`); err != nil {
				t.Fatal(err)
			}
			if total != 8 {
				t.Fatalf("sum %d after 2 rounds of two transactions bumping two rows, want 8", total)
			}
		})
	}
}

// Inside a unit a deadlock victim is not retried (its earlier locks are still held):
// the savepoint is undone and the request ends as ErrContention, for the client to
// retry whole. The unit itself stays usable.
func TestUnit_AContentionVictimEndsAsErrContention(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			uctx, unit, err := db.BeginUnit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer unit.Rollback()
			runs := 0
			err = db.InTx(uctx, func(*sqlx.Tx) error {
				runs++
				return &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
			})
			if !errors.Is(err, store.ErrContention) || runs != 1 {
				t.Fatalf("after %d runs: %v, want one run ending in ErrContention", runs, err)
			}
			if err := db.InTx(uctx, func(*sqlx.Tx) error { return nil }); err != nil {
				t.Fatalf("the unit after a contention: %v", err)
			}
		})
	}
}
