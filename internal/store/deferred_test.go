package store_test

import (
	"context"
	"errors"
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
