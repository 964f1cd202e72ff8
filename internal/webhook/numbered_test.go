package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/council/contacthub/internal/outbox"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
	"github.com/council/contacthub/internal/webhook"
)

// The hub fans a batch out in the transaction that numbers it: every event reaches every
// subscription once, the one UPDATE that numbers a message also marks it fanned out (so
// its row is written twice, not three times), and the catch-up loop finds nothing left.
// A message numbered by a dispatcher that does not fan out (an older replica) is caught
// up by Once, once.
func TestFanOut_WithTheOutboxNumbersEachEventReachesEachSubscriptionOnce(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, b)
			subscribe(t, db, "https://receiver.example.org/hook", 2)
			for range 4 {
				if err := recordContact(ctx, db, store.NewID()); err != nil {
					t.Fatal(err)
				}
			}
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			fan := webhook.NewFanOut(db)
			fan.CatchUpOnly = true
			d := outbox.NewDispatcher(db, outbox.NewMemoryBus(), quiet)
			d.Also = fan.Numbered

			if n, err := fan.Once(ctx); err != nil || n != 0 {
				t.Fatalf("catch-up before numbering took %d (%v), want 0: unnumbered messages are the dispatcher's", n, err)
			}
			if n, err := d.DispatchOnce(ctx); err != nil || n != 4 {
				t.Fatalf("numbered %d (%v), want 4", n, err)
			}
			if got := deliveries(t, db); got != 8 {
				t.Fatalf("%d deliveries after numbering, want 8 (4 events × 2 subscriptions)", got)
			}
			var unmarked, apart int
			if err := db.GetContext(ctx, &unmarked, `SELECT count(*) FROM outbox WHERE fanned_out_at IS NULL OR seq IS NULL`); err != nil {
				t.Fatal(err)
			}
			if err := db.GetContext(ctx, &apart, `SELECT count(*) FROM outbox WHERE fanned_out_at <> published_at`); err != nil {
				t.Fatal(err)
			}
			if unmarked != 0 || apart != 0 {
				t.Fatalf("%d messages unmarked, %d marked fanned out apart from their number; want both 0", unmarked, apart)
			}
			if n, err := fan.Once(ctx); err != nil || n != 0 {
				t.Fatalf("catch-up after numbering took %d (%v), want 0", n, err)
			}

			if err := recordContact(ctx, db, store.NewID()); err != nil {
				t.Fatal(err)
			}
			if n, err := outbox.NewDispatcher(db, outbox.NewMemoryBus(), quiet).DispatchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("an older replica numbered %d (%v), want 1", n, err)
			}
			for range 2 {
				if _, err := fan.Once(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if got := deliveries(t, db); got != 10 {
				t.Fatalf("%d deliveries after the catch-up, want 10", got)
			}
		})
	}
}

func deliveries(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.GetContext(context.Background(), &n, `SELECT count(*) FROM webhook_deliveries`); err != nil {
		t.Fatal(err)
	}
	return n
}
