package report

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
)

// A report's reads run at once on SQLite (the database's CPU is this process's, and its
// reads have a pool of their own) and one after another on PostgreSQL (a small pool
// shared with the hot paths); either way the first error is the report's.
func TestTogether_ReadsAtOnceOnSQLiteInTurnOnPostgres(t *testing.T) {
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			db := storetest.Open(t, be)
			r := New(db, catalogue.Default(), DefaultUnitCosts())
			var running, most atomic.Int32
			read := func(ctx context.Context) error {
				n := running.Add(1)
				defer running.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				var one int
				if err := db.GetContext(ctx, &one, "SELECT 1"); err != nil {
					return err
				}
				time.Sleep(30 * time.Millisecond)
				return nil
			}
			if err := r.together(context.Background(), read, read, read); err != nil {
				t.Fatal(err)
			}
			want := int32(1)
			if db.Dialect == store.SQLite {
				want = 3
			}
			if got := most.Load(); got != want {
				t.Fatalf("%d reads ran at once, want %d", got, want)
			}

			broken := errors.New("broken read")
			err := r.together(context.Background(), read, func(context.Context) error { return broken }, read)
			if !errors.Is(err, broken) {
				t.Fatalf("together returned %v, want the failed read's error", err)
			}
		})
	}
}
