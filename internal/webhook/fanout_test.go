package webhook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/council/contacthub/internal/catalogue"
	"github.com/council/contacthub/internal/store"
	"github.com/council/contacthub/internal/store/storetest"
	"github.com/council/contacthub/internal/webhook"
)

// The fan-out inserts a batch's deliveries in one statement, not one per delivery:
// the statement per delivery was most of what a subscription cost a write.
func TestFanOut_ABatchsDeliveriesGoInOneInsert(t *testing.T) {
	ctx := context.Background()
	db, tr := tracedPostgres(t)
	subscribe(t, db, "https://receiver.example.org/hook", 3)
	cases := []string{store.NewID(), store.NewID()}
	for i := range 10 {
		if err := recordContact(ctx, db, cases[i%2]); err != nil {
			t.Fatal(err)
		}
	}
	tr.Start()
	n, err := webhook.NewFanOut(db).Once(ctx)
	stmts := tr.Stop()
	if err != nil || n != 10 {
		t.Fatalf("fanned out %d (%v), want 10", n, err)
	}
	inserts := 0
	for _, s := range stmts {
		if strings.Contains(s.SQL, "INSERT INTO webhook_deliveries") {
			inserts++
		}
	}
	var made int
	if err := db.GetContext(ctx, &made, "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"); err != nil {
		t.Fatal(err)
	}
	if inserts != 1 || made != 30 {
		t.Fatalf("%d deliveries made in %d inserts, want 30 in 1", made, inserts)
	}
}

// tracedPostgres is a migrated PostgreSQL database whose statements a trace records; the
// test is skipped without PostgreSQL, as statements are traced there only.
func tracedPostgres(t *testing.T) (*store.DB, *store.Trace) {
	t.Helper()
	backends := storetest.Backends(t)
	if len(backends) < 2 {
		t.Skip("statements are traced on PostgreSQL only")
	}
	db, tr := storetest.OpenTraced(t, backends[1], 0)
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db, tr
}

// subscribe opens n subscriptions of crm to every event, delivering to url, and waits
// past their creation: a subscription takes the events written from then on.
func subscribe(tb testing.TB, db *store.DB, url string, n int) {
	tb.Helper()
	subs := webhook.NewSubscriptions(db, catalogue.Default(), noQueues{}, true)
	for range n {
		if _, _, err := subs.Create(context.Background(), webhook.Owner{Subject: "crm"},
			webhook.Input{URL: url, EventTypes: []string{"*"}}); err != nil {
			tb.Fatal(err)
		}
	}
	time.Sleep(10 * time.Millisecond)
}
