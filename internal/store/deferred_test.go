package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// Appends held for the commit must behave as if they had run at once: they land with
// the commit, vanish with a rollback, and one that fails fails the whole transaction.
func TestAppend_LandsWithTheCommitOrNotAtAll(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, storetest.FreshURL(t, b), t.TempDir(), 4)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			if _, err := db.Exec(`CREATE TABLE appended (id TEXT PRIMARY KEY, note TEXT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			count := func() int {
				var n int
				if err := db.Get(&n, `SELECT count(*) FROM appended`); err != nil {
					t.Fatal(err)
				}
				return n
			}
			insert := `INSERT INTO appended (id, note) VALUES (?, ?)`

			err = db.InTx(ctx, func(tx *sqlx.Tx) error {
				for _, id := range []string{"a", "b", "c"} {
					if err := store.Append(ctx, tx, insert, id, "kept"); err != nil {
						return err
					}
				}
				_, err := tx.Exec(tx.Rebind(`INSERT INTO appended (id, note) VALUES (?, ?)`), "d", "direct")
				return err
			})
			if err != nil || count() != 4 {
				t.Fatalf("committed appends: err %v, %d rows; want 4", err, count())
			}

			refused := errors.New("the caller changed its mind")
			err = db.InTx(ctx, func(tx *sqlx.Tx) error {
				if err := store.Append(ctx, tx, insert, "e", "rolled back"); err != nil {
					return err
				}
				return refused
			})
			if !errors.Is(err, refused) || count() != 4 {
				t.Fatalf("rolled-back append: err %v, %d rows; want the caller's error and 4", err, count())
			}

			err = db.InTx(ctx, func(tx *sqlx.Tx) error {
				if _, err := tx.Exec(tx.Rebind(insert), "f", "direct, then undone"); err != nil {
					return err
				}
				if err := store.Append(ctx, tx, insert, "g", "fine"); err != nil {
					return err
				}
				return store.Append(ctx, tx, insert, "a", "a duplicate key")
			})
			if !errors.Is(err, store.ErrConflict) || count() != 4 {
				t.Fatalf("failing append: err %v, %d rows; want a conflict and nothing of that transaction", err, count())
			}
		})
	}
}

// Counts held for the commit (HoldCount) go after every append, in the order of their
// keys whatever order they were held in, so that the shared rows are locked for the
// least time and by every writer in one order; they land with the commit, vanish with a
// rollback or a failed savepoint, and one that fails fails its transaction. Elsewhere
// than PostgreSQL nothing is held and the caller runs the upsert at once.
func TestHoldCount_GoesLastInKeyOrderWithTheCommit(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db, tr := storetest.OpenTraced(t, b, 4)
			for _, ddl := range []string{`CREATE TABLE appended (id TEXT PRIMARY KEY)`,
				`CREATE TABLE counted (k TEXT PRIMARY KEY, n INTEGER NOT NULL CHECK (n < 3))`} {
				if _, err := db.Exec(ddl); err != nil {
					t.Fatal(err)
				}
			}
			appendRow := `INSERT INTO appended (id) VALUES (?)`
			upsert := `INSERT INTO counted (k, n) VALUES (?, 1) ON CONFLICT (k) DO UPDATE SET n = counted.n + 1`
			held := b.Name != "sqlite"
			count := func(tx *sqlx.Tx, k string) error {
				if store.HoldCount(tx, "counted", 1, upsert, k) != held {
					t.Fatalf("count %s held: %v, want %v", k, !held, held)
				}
				if !held {
					_, err := tx.Exec(tx.Rebind(upsert), k)
					return store.MapError(err)
				}
				return nil
			}
			counts := func() (a, b, rows int) {
				if err := db.Get(&rows, `SELECT count(*) FROM appended`); err != nil {
					t.Fatal(err)
				}
				_ = db.Get(&a, `SELECT n FROM counted WHERE k = 'a'`)
				_ = db.Get(&b, `SELECT n FROM counted WHERE k = 'b'`)
				return a, b, rows
			}

			tr.Start()
			err := db.InTx(ctx, func(tx *sqlx.Tx) error {
				if err := count(tx, "b"); err != nil {
					return err
				}
				if err := store.Append(ctx, tx, appendRow, "x"); err != nil {
					return err
				}
				if err := count(tx, "a"); err != nil {
					return err
				}
				return store.Append(ctx, tx, appendRow, "y")
			})
			sent := tr.Stop()
			if a, b, rows := counts(); err != nil || a != 1 || b != 1 || rows != 2 {
				t.Fatalf("committed: err %v, counts a %d b %d, %d rows; want 1, 1, 2", err, a, b, rows)
			}
			if held {
				// Nothing was sent before the commit: begin, the appends, the counts in
				// key order and commit make one pipeline.
				var order []string
				for _, s := range sent {
					if s.SQL == "begin" || s.SQL == "commit" {
						order = append(order, s.SQL)
					} else {
						order = append(order, fmt.Sprint(s.Args...))
					}
				}
				if want := []string{"begin", "x", "y", "a", "b", "commit"}; !slices.Equal(order, want) || store.RoundTrips(sent) != 1 {
					t.Fatalf("sent %v in %d round trips, want the appends, then the counts in key order, between begin and commit in one: %v",
						order, store.RoundTrips(sent), want)
				}
			}

			refused := errors.New("the caller changed its mind")
			err = db.InTx(ctx, func(tx *sqlx.Tx) error {
				if err := count(tx, "a"); err != nil {
					return err
				}
				return refused
			})
			if a, _, _ := counts(); !errors.Is(err, refused) || a != 1 {
				t.Fatalf("rolled back: err %v, count a %d; want the caller's error and 1", err, a)
			}

			// The second count of b breaks its CHECK: the append made before it goes too.
			err = db.InTx(ctx, func(tx *sqlx.Tx) error {
				if err := store.Append(ctx, tx, appendRow, "z"); err != nil {
					return err
				}
				if err := count(tx, "b"); err != nil {
					return err
				}
				return count(tx, "b")
			})
			if a, b, rows := counts(); err == nil || b != 1 || rows != 2 || a != 1 {
				t.Fatalf("failing count: err %v, counts a %d b %d, %d rows; want an error and nothing of that transaction", err, a, b, rows)
			}

			// In a unit, a failed savepoint drops its counts; the unit's commit keeps the rest.
			uctx, unit, err := db.BeginUnit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer unit.Rollback()
			if err := db.InTx(uctx, func(tx *sqlx.Tx) error { return count(tx, "a") }); err != nil {
				t.Fatal(err)
			}
			if err := db.InTx(uctx, func(tx *sqlx.Tx) error {
				if err := count(tx, "b"); err != nil {
					return err
				}
				return refused
			}); !errors.Is(err, refused) {
				t.Fatalf("failed savepoint: %v", err)
			}
			if err := unit.Commit(uctx); err != nil {
				t.Fatal(err)
			}
			if a, b, _ := counts(); a != 2 || b != 1 {
				t.Fatalf("unit: counts a %d b %d; want 2 and 1", a, b)
			}
		})
	}
}
